//! Times and durations in the visitor's own language and time zone, by the browser's `Intl`:
//! "tomorrow" / "Monday", "9:00 AM" / "09:00", "3 minutes" / "3 Minuten". A browser that lacks
//! a part of `Intl` (or refuses an option) gets plainer words, never an exception.

use js_sys::{Array, Date, Function, Object, Reflect};
use shared::protocol::Millis;
use wasm_bindgen::{JsCast, JsValue};

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

/// `new Intl[name](locales, options)`, or `None` where the browser has no such formatter or
/// throws on the options.
fn formatter(name: &str, code: &str, pairs: &[(&str, &str)]) -> Option<JsValue> {
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let class: Function = Reflect::get(&intl, &JsValue::from_str(name)).ok()?.dyn_into().ok()?;
    let args = Array::of2(&locales(code), &options(pairs));
    Reflect::construct(&class, &args).ok()
}

/// `formatter.format(args…)` as a string; `None` on any failure.
fn format(formatter: &JsValue, args: &[JsValue]) -> Option<String> {
    let method: Function =
        Reflect::get(formatter, &JsValue::from_str("format")).ok()?.dyn_into().ok()?;
    let args: Array = args.iter().collect();
    method.apply(formatter, &args).ok()?.as_string().filter(|s| !s.is_empty())
}

fn date_part(code: &str, pairs: &[(&str, &str)], at: &Date) -> Option<String> {
    format(&formatter("DateTimeFormat", code, pairs)?, &[at.into()])
}

/// Local midnight of a moment, as days since the epoch in the visitor's zone.
fn local_day(at: &Date) -> f64 {
    let (y, m, d) = (at.get_full_year(), at.get_month() as i32, at.get_date() as i32);
    (Date::new_with_year_month_day(y, m, d).get_time() / 86_400_000.0).round()
}

/// The day and the time of `at` as a visitor reads them: "today", "tomorrow", else the
/// weekday's name; "9:00 AM" or "09:00" as their locale writes it.
pub fn day_and_time(code: &str, at: Millis) -> (String, String) {
    let when = Date::new(&JsValue::from_f64(at as f64));
    let ahead = local_day(&when) - local_day(&Date::new_0());
    let relative = (0.0..=1.0).contains(&ahead).then(|| {
        let f = formatter("RelativeTimeFormat", code, &[("numeric", "auto")])?;
        format(&f, &[JsValue::from_f64(ahead), JsValue::from_str("day")])
    });
    let day = relative
        .flatten()
        .or_else(|| date_part(code, &[("weekday", "long")], &when))
        .unwrap_or_else(|| String::from(when.to_date_string()));
    let time = date_part(code, &[("hour", "numeric"), ("minute", "2-digit")], &when)
        .unwrap_or_else(|| format!("{:02}:{:02}", when.get_hours(), when.get_minutes()));
    (day, time)
}

/// A wait in whole minutes, as the visitor's language says it ("3 minutes").
pub fn minutes(code: &str, secs: u32) -> String {
    let minutes = secs.div_ceil(60).max(1);
    let unit = [("style", "unit"), ("unit", "minute"), ("unitDisplay", "long")];
    formatter("NumberFormat", code, &unit)
        .and_then(|f| format(&f, &[JsValue::from(minutes)]))
        .unwrap_or_else(|| format!("{minutes} min"))
}
