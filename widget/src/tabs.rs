//! Work that two tabs of one browser must not do at once, such as making the site's
//! conversation: two tabs that each found theirs refused at the same moment each made one,
//! and the visitor's words were split between two conversations. The browser's Web Locks
//! serialise it; a page without them (served over plain HTTP) does the work unguarded.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request, catch)]
    fn request_lock(name: &str, holder: &JsValue) -> Result<Promise, JsValue>;
}

/// How long a lock is kept after the work it guarded. What that work wrote to storage reaches
/// another tab's storage a moment later, not with the lock: Chromium hands one tab's writes to
/// another's asynchronously (seen here: granted the lock at once, a waiting tab still read the
/// old conversation, and asked for a second one 16 ms after the first was made).
const LINGER_MS: i32 = 300;

/// How long a tab waits for the lock before it goes ahead without it.
const WAIT_MS: i32 = 5_000;

/// A Web Lock this tab holds until dropped (and [`LINGER_MS`] after). The lock goes with the
/// tab too, so a tab closed mid-work holds nobody up.
pub struct Held(Option<Function>);

impl Drop for Held {
    fn drop(&mut self) {
        if let (Some(release), Some(window)) = (&self.0, web_sys::window()) {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(release, LINGER_MS);
        }
    }
}

/// Waits until this tab holds the lock `name`. Where the browser has no Web Locks, or refuses
/// them (a sandboxed frame), at once and unguarded; unguarded too after [`WAIT_MS`], should
/// the tab holding it be stuck (a request that never answers, a frozen background tab).
pub async fn hold(name: &str) -> Held {
    let gave_up = Rc::new(Cell::new(false));
    let late = gave_up.clone();
    let mut request = None;
    let granted = Promise::new(&mut |granted, _| {
        let late = late.clone();
        // Held until the promise it returns settles: until `release` is called, or at once
        // for a wait given up on (it runs as a task of its own, never between the timer's
        // end and the giving up, which are one run of promise callbacks).
        let holder = Closure::once_into_js(move |_lock: JsValue| {
            if late.get() {
                return Promise::resolve(&JsValue::NULL);
            }
            Promise::new(&mut |release, _| {
                let _ = granted.call1(&JsValue::NULL, &release);
            })
        });
        request = request_lock(name, &holder).ok();
    });
    let Some(request) = request else { return Held(None) };
    let timer = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, WAIT_MS);
        }
    });
    // A refused request rejects, and is never granted.
    let first = Promise::race(&js_sys::Array::of3(&granted, &request, &timer));
    let release = JsFuture::from(first).await.ok().and_then(|r| r.dyn_into::<Function>().ok());
    gave_up.set(release.is_none());
    Held(release)
}
