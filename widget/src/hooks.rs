//! Calls back into the loader: events for the host page's listeners, the unread badge, the
//! launcher's colour and label, and closing (the loader owns the open state and the focus).

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

#[derive(Clone)]
pub struct Hooks(JsValue);

impl Hooks {
    pub fn new(value: JsValue) -> Self {
        Hooks(value)
    }

    fn call(&self, name: &str, args: &[JsValue]) {
        let Ok(f) = Reflect::get(&self.0, &JsValue::from_str(name)) else { return };
        let Some(f) = f.dyn_ref::<Function>() else { return };
        let array: js_sys::Array = args.iter().collect();
        // A throwing host listener must not break the widget.
        let _ = f.apply(&self.0, &array);
    }

    /// `detail` is a plain JS object built from string pairs.
    pub fn emit(&self, event: &str, detail: &[(&str, &str)]) {
        let obj = js_sys::Object::new();
        for (k, v) in detail {
            let _ = Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v));
        }
        self.call("emit", &[JsValue::from_str(event), obj.into()]);
    }

    pub fn unread(&self, count: u32) {
        self.call("unread", &[JsValue::from(count)]);
    }

    pub fn theme(&self, color: &str, label: &str) {
        self.call("theme", &[JsValue::from_str(color), JsValue::from_str(label)]);
    }

    pub fn close(&self) {
        self.call("close", &[]);
    }
}
