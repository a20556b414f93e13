//! JSON text read by the browser's own `JSON.parse` into the `serde_json::Value` that
//! `shared::read_json` reads: the browser apps then carry none of serde_json's parser (its
//! number and string scanners, their error texts), which every visitor would download.
//!
//! The widget runs in the host page's realm, so this is the page's `JSON.parse`. A page may
//! wrap it (the host-pages browser test does), as it may wrap `fetch` or `WebSocket`; one
//! that makes it return other than JSON's values (dates revived from strings) gets those
//! values refused, never read as something else.

use js_sys::{Array, JSON, Object};
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

/// A frame from the server (`shared::read_json::frame`); none for anything else.
pub fn server_frame(text: &str) -> Option<shared::protocol::ServerFrame> {
    parse(text).and_then(shared::read_json::frame)
}

/// Nested arrays and objects, as many as serde_json reads (127): deeper text is refused, not
/// walked down the wasm stack.
const MAX_DEPTH: usize = 127;

/// JSON text as a value; none when it is not JSON, or nested deeper than serde_json allows.
pub fn parse(text: &str) -> Option<Value> {
    value(&JSON::parse(text).ok()?, 0)
}

fn value(v: &JsValue, depth: usize) -> Option<Value> {
    Some(if let Some(s) = v.as_string() {
        Value::String(s)
    } else if let Some(n) = v.as_f64() {
        number(n)
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if v.is_null() {
        Value::Null
    } else if depth == MAX_DEPTH {
        return None;
    } else if Array::is_array(v) {
        let items = v.unchecked_ref::<Array>().iter().map(|item| value(&item, depth + 1));
        Value::Array(items.collect::<Option<_>>()?)
    } else if v.is_object() && plain(v) {
        let mut map = Map::new();
        for entry in Object::entries(v.unchecked_ref()).iter() {
            let entry: Array = entry.unchecked_into();
            map.insert(entry.get(0).as_string()?, value(&entry.get(1), depth + 1)?);
        }
        Value::Object(map)
    } else {
        return None;
    })
}

/// An object as JSON makes one, `Object.prototype` its prototype: not a date, a map or a class.
fn plain(v: &JsValue) -> bool {
    thread_local!(static PLAIN: JsValue = Object::get_prototype_of(&Object::new()).into());
    let prototype: JsValue = Object::get_prototype_of(v).into();
    PLAIN.with(|plain| prototype == *plain)
}

/// The browser reads every number as a double, serde_json a whole one as an integer, which is
/// what `read_json` asks of sequence numbers, ids and counts: a whole double below 2^53 is
/// exactly that integer (2^53 itself may have been 2^53 + 1).
fn number(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_991.0;
    if n.fract() == 0.0 && n.abs() <= EXACT {
        if n >= 0.0 { Value::from(n as u64) } else { Value::from(n as i64) }
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}
