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

    /// The unread count, and who wrote the newest unread message and its first line, for
    /// the card above the launcher.
    pub fn unread(&self, count: u32, newest: Option<(&str, &str)>) {
        let (who, text) = newest.unwrap_or_default();
        self.call(
            "unread",
            &[JsValue::from(count), JsValue::from_str(who), JsValue::from_str(text)],
        );
    }

    /// The accent colour, the launcher's label and the word that hides the reply card.
    pub fn theme(&self, color: &str, label: &str, hide: &str) {
        let args = [JsValue::from_str(color), JsValue::from_str(label), JsValue::from_str(hide)];
        self.call("theme", &args);
    }

    pub fn close(&self) {
        self.call("close", &[]);
    }
}
