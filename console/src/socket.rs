//! A WebSocket to the edge that comes back by itself: after a drop it reconnects with backoff
//! and jitter and says hello again, and the hello's answer resyncs whatever was missed.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};

type Handler = Closure<dyn FnMut(web_sys::Event)>;

struct Inner {
    url: String,
    ws: Option<WebSocket>,
    on_open: Rc<dyn Fn(&Socket)>,
    on_text: Rc<dyn Fn(String)>,
    on_down: Rc<dyn Fn(u16)>,
    stopped: bool,
    attempt: u32,
    handlers: Vec<Handler>,
}

#[derive(Clone)]
pub struct Socket(Rc<RefCell<Inner>>);

impl Socket {
    /// Opens `path` on this origin. `on_open` runs after every (re)connect, `on_text` for each
    /// frame, `on_down` with the close code when the connection drops.
    pub fn open(
        path: &str,
        on_open: impl Fn(&Socket) + 'static,
        on_text: impl Fn(String) + 'static,
        on_down: impl Fn(u16) + 'static,
    ) -> Socket {
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        let socket = Socket(Rc::new(RefCell::new(Inner {
            url: format!("{}{path}", origin.replacen("http", "ws", 1)),
            ws: None,
            on_open: Rc::new(on_open),
            on_text: Rc::new(on_text),
            on_down: Rc::new(on_down),
            stopped: false,
            attempt: 0,
            handlers: Vec::new(),
        })));
        socket.connect();
        socket
    }

    fn connect(&self) {
        if self.0.borrow().stopped {
            return;
        }
        let url = self.0.borrow().url.clone();
        let Ok(ws) = WebSocket::new(&url) else { return self.retry() };
        let me = self.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            me.0.borrow_mut().attempt = 0;
            let f = me.0.borrow().on_open.clone();
            f(&me);
        });
        let me = self.clone();
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if let Some(text) = e.unchecked_into::<MessageEvent>().data().as_string() {
                let f = me.0.borrow().on_text.clone();
                f(text);
            }
        });
        let me = self.clone();
        let on_close = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let code = e.unchecked_into::<web_sys::CloseEvent>().code();
            me.0.borrow_mut().ws = None;
            let f = me.0.borrow().on_down.clone();
            f(code);
            me.retry();
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        inner.handlers = vec![on_open, on_message, on_close];
        inner.ws = Some(ws);
    }

    fn retry(&self) {
        let attempt = {
            let mut inner = self.0.borrow_mut();
            if inner.stopped {
                return;
            }
            inner.attempt = inner.attempt.saturating_add(1);
            inner.attempt
        };
        let delay = shared::backoff::delay_ms(attempt, js_sys::Math::random()) as i32;
        let me = self.clone();
        let cb = Closure::once_into_js(move || me.connect());
        if let Some(w) = web_sys::window() {
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), delay);
        }
    }

    /// Sends a frame if connected; `false` when it could not go out now.
    pub fn send<T: Serialize>(&self, frame: &T) -> bool {
        let inner = self.0.borrow();
        let Some(ws) = inner.ws.as_ref().filter(|ws| ws.ready_state() == WebSocket::OPEN) else {
            return false;
        };
        serde_json::to_string(frame).is_ok_and(|text| ws.send_with_str(&text).is_ok())
    }

    /// Drops the current socket without waiting for its close and opens another at once:
    /// for a socket that stays open while nothing passes through it.
    pub fn reconnect(&self) {
        let old = self.0.borrow_mut().ws.take();
        if let Some(ws) = old {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
        self.0.borrow_mut().attempt = 0;
        self.connect();
    }

    /// Closes for good: no reconnect.
    pub fn stop(&self) {
        let mut inner = self.0.borrow_mut();
        inner.stopped = true;
        if let Some(ws) = inner.ws.take() {
            ws.set_onclose(None);
            ws.set_onmessage(None);
            let _ = ws.close();
        }
    }
}
