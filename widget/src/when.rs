//! Times and durations in the visitor's own language and time zone, by the browser's `Intl`:
//! "tomorrow" / "Monday", "9:00 AM" / "09:00", "3 minutes" / "3 Minuten".

use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use shared::protocol::Millis;
use wasm_bindgen::JsValue;

/// The locales to format for: the browser's own tag when it is the widget's language (so an
/// American reads 9:00 AM and a Briton 09:00), else the language alone.
fn locales(code: &str) -> Array {
    let browser = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let tag = if shared::texts::primary(&browser) == code { browser } else { code.to_owned() };
    Array::of1(&JsValue::from_str(&tag))
}

fn options(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}

fn call(format: Function, value: &JsValue) -> String {
    format.call1(&JsValue::NULL, value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn date_format(code: &str, pairs: &[(&str, &str)], at: &Date) -> String {
    call(Intl::DateTimeFormat::new(&locales(code), &options(pairs)).format(), at)
}

/// Local midnight of a moment, as days since the epoch in the visitor's zone.
fn local_day(at: &Date) -> f64 {
    let midnight = Date::new_with_year_month_day(
        at.get_full_year(),
        at.get_month() as i32,
        at.get_date() as i32,
    );
    (midnight.get_time() / 86_400_000.0).round()
}

/// The day and the time of `at` as a visitor reads them: "today", "tomorrow", else the
/// weekday's name; "9:00 AM" or "09:00" as their locale writes it.
pub fn day_and_time(code: &str, at: Millis) -> (String, String) {
    let when = Date::new(&JsValue::from_f64(at as f64));
    let ahead = local_day(&when) - local_day(&Date::new_0());
    let day = if (0.0..=1.0).contains(&ahead) {
        let relative =
            Intl::RelativeTimeFormat::new(&locales(code), &options(&[("numeric", "auto")]));
        String::from(relative.format(ahead, "day"))
    } else {
        date_format(code, &[("weekday", "long")], &when)
    };
    let time = date_format(code, &[("hour", "numeric"), ("minute", "2-digit")], &when);
    (day, time)
}

/// A wait in whole minutes, as the visitor's language says it ("3 minutes").
pub fn minutes(code: &str, secs: u32) -> String {
    let minutes = secs.div_ceil(60).max(1);
    let unit = options(&[("style", "unit"), ("unit", "minute"), ("unitDisplay", "long")]);
    let formatted =
        call(Intl::NumberFormat::new(&locales(code), &unit).format(), &JsValue::from(minutes));
    // A browser without unit formatting still gets the number across.
    if formatted.is_empty() { format!("{minutes} min") } else { formatted }
}
