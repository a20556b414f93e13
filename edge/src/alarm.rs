//! One alarm per object serves several clocks: each asks to be woken by a time, and the
//! earliest request wins.

use worker::{Result, ScheduledTime, Storage};

/// An absolute time in milliseconds since the epoch (a plain `i64` would be an offset).
pub fn at(ms: i64) -> ScheduledTime {
    ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)))
}

/// Brings the alarm forward to `ms` if it is set later, or not at all.
pub async fn wake_by(storage: &Storage, ms: i64) -> Result<()> {
    match storage.get_alarm().await? {
        Some(set) if set <= ms => Ok(()),
        _ => storage.set_alarm(at(ms)).await,
    }
}
