//! Times as agents read them.

pub fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// "42 s", "5 min", "3 h", "2 d".
pub fn ago(since: i64, now: i64) -> String {
    let s = ((now - since) / 1000).max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// Local wall-clock time of a timestamp, `HH:MM`.
pub fn clock(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// Local date of a timestamp, as the browser writes dates (`12/10/2026`, `10.12.2026`).
pub fn date(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(d.to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(0, 42_000), "42 s");
        assert_eq!(ago(0, 300_000), "5 min");
        assert_eq!(ago(0, 3 * 3_600_000), "3 h");
        assert_eq!(ago(0, 2 * 86_400_000), "2 d");
        assert_eq!(ago(10, 0), "0 s");
    }
}
