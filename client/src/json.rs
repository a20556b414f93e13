//! JSON text read by the browser's own `JSON.parse` into the [`Json`] that
//! `shared::read_json` reads: the browser apps then carry none of serde_json's parser (its
//! number and string scanners, their error texts), which every visitor would download.
//!
//! The widget runs in the host page's realm, where `JSON.parse` is the page's to replace (one
//! that revives dates from strings would turn a visitor's message into a `Date`). Such a
//! parse is not trusted: when the page's `JSON.parse` is not the engine's own, or makes what
//! JSON does not, the text is read again by the `JSON.parse` of an empty frame of our own,
//! made the first time it is needed, where the page's scripts never ran.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use shared::json::Json;
use wasm_bindgen::{JsCast, JsValue};

/// A frame from the server (`shared::read_json::frame`); none for anything else.
pub fn server_frame(text: &str) -> Option<shared::protocol::ServerFrame> {
    parse(text).and_then(shared::read_json::frame)
}

/// Nested arrays and objects, as many as serde_json reads (127): deeper text is refused, not
/// walked down the wasm stack.
const MAX_DEPTH: usize = 127;

/// JSON text as a value; none when it is not JSON, or nested deeper than serde_json allows.
pub fn parse(text: &str) -> Option<Json> {
    let text = JsValue::from_str(text);
    // Asked each time: a page may replace it after the widget loaded.
    let page = Parser::of(&js_sys::global())?;
    if page.native() {
        // What the engine's own parse refuses is not JSON, whoever reads it.
        let parsed = page.call(&text)?;
        if let Some(value) = page.read(&parsed) {
            return Some(value);
        }
    }
    match own_realm().as_ref().and_then(Parser::of) {
        Some(ours) => ours.read(&ours.call(&text)?),
        // Without a frame of our own (no document), the page's is all there is.
        None => page.read(&page.call(&text)?),
    }
}

/// One realm's `JSON.parse`, and the prototype of the objects it makes.
struct Parser {
    json: JsValue,
    parse: Function,
    plain: JsValue,
}

impl Parser {
    fn of(global: &JsValue) -> Option<Parser> {
        let json = Reflect::get(global, &"JSON".into()).ok()?;
        // Not `dyn_into`: that asks `instanceof Function`, which a function of another realm
        // is not.
        let parse = Reflect::get(&json, &"parse".into()).ok().filter(JsValue::is_function)?;
        // `Object.prototype` of that realm (`Object.getPrototypeOf(JSON)`): what a plain
        // object it parses has as its prototype.
        let plain = Object::get_prototype_of(&json).into();
        Some(Parser { json, parse: parse.unchecked_into(), plain })
    }

    /// Whether `parse` reads as the engine's own function. A disguised one (bound, proxied,
    /// its `toString` replaced) passes, and is then caught by what it makes, if not JSON's.
    fn native(&self) -> bool {
        // Each frame is parsed: the source of a function already found native is not copied
        // into the wasm again.
        let parse: &JsValue = &self.parse;
        if NATIVE.with(|n| n.borrow().as_ref() == Some(parse)) {
            return true;
        }
        // `Function.prototype.toString`, called so that a page's one that throws is an answer.
        let to_string = Reflect::get(&Object::get_prototype_of(parse), &"toString".into());
        let Some(to_string) = to_string.ok().filter(JsValue::is_function) else { return false };
        let source = Reflect::apply(to_string.unchecked_ref::<Function>(), parse, &Array::new());
        let native =
            source.ok().and_then(|s| s.as_string()).is_some_and(|s| s.contains("[native code]"));
        if native {
            NATIVE.with(|n| *n.borrow_mut() = Some(parse.clone()));
        }
        native
    }

    fn call(&self, text: &JsValue) -> Option<JsValue> {
        self.parse.call1(&self.json, text).ok()
    }

    fn read(&self, parsed: &JsValue) -> Option<Json> {
        Reader { plain: &self.plain }.value(parsed, 0)
    }
}

thread_local! {
    /// The page's `JSON.parse` last found to be the engine's own.
    static NATIVE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    static HOME: RefCell<Option<web_sys::Node>> = const { RefCell::new(None) };
    static FRAME: RefCell<Option<web_sys::Element>> = const { RefCell::new(None) };
}

/// The window of a hidden, empty frame of our own: a realm the page's scripts never ran in.
/// Made once and kept (so is its realm); put back if a page that rebuilds itself took it out.
fn own_realm() -> Option<JsValue> {
    let document = web_sys::window()?.document()?;
    let frame = match FRAME.with(|f| f.borrow().clone()) {
        Some(frame) => frame,
        None => {
            let frame = document.create_element("iframe").ok()?;
            for (name, value) in [("hidden", ""), ("aria-hidden", "true"), ("tabindex", "-1")] {
                frame.set_attribute(name, value).ok()?;
            }
            FRAME.with(|f| *f.borrow_mut() = Some(frame.clone()));
            frame
        }
    };
    if !frame.is_connected() {
        let home = HOME.with(|h| h.borrow().clone()).filter(web_sys::Node::is_connected);
        let home: web_sys::Node = match home {
            Some(home) => home,
            None => document.document_element()?.into(),
        };
        home.append_child(&frame).ok()?;
    }
    Reflect::get(&frame, &"contentWindow".into()).ok().filter(|w| w.is_object())
}

/// Where that frame goes if it is ever needed: the widget keeps it in its shadow root, out of
/// the page's `querySelectorAll("iframe")`.
pub fn keep_frames_in(home: web_sys::Node) {
    HOME.with(|h| *h.borrow_mut() = Some(home));
}

struct Reader<'a> {
    /// The prototype of a plain object in the realm that parsed.
    plain: &'a JsValue,
}

impl Reader<'_> {
    fn value(&self, v: &JsValue, depth: usize) -> Option<Json> {
        Some(if let Some(s) = v.as_string() {
            Json::String(s)
        } else if let Some(n) = v.as_f64() {
            number(n)
        } else if let Some(b) = v.as_bool() {
            Json::Bool(b)
        } else if v.is_null() {
            Json::Null
        } else if depth == MAX_DEPTH {
            return None;
        } else if Array::is_array(v) {
            let items = v.unchecked_ref::<Array>().iter().map(|item| self.value(&item, depth + 1));
            Json::Array(items.collect::<Option<_>>()?)
        } else if v.is_object() && JsValue::from(Object::get_prototype_of(v)) == *self.plain {
            // An object as JSON makes one: not a date, a map or a class.
            let entries = Object::entries(v.unchecked_ref());
            let entries = entries.iter().map(|entry| {
                let entry: Array = entry.unchecked_into();
                Some((entry.get(0).as_string()?, self.value(&entry.get(1), depth + 1)?))
            });
            Json::Object(entries.collect::<Option<_>>()?)
        } else {
            return None;
        })
    }
}

/// The browser reads every number as a double, serde_json a whole one as an integer, which is
/// what `read_json` asks of sequence numbers, ids and counts: a whole double below 2^53 is
/// exactly that integer (2^53 itself may have been 2^53 + 1).
fn number(n: f64) -> Json {
    const EXACT: f64 = 9_007_199_254_740_991.0;
    if n.fract() == 0.0 && n.abs() <= EXACT {
        if n >= 0.0 { Json::Unsigned(n as u64) } else { Json::Negative(n as i64) }
    } else {
        Json::Float(n)
    }
}
