//! One reconnecting socket with an outbox of unacknowledged messages.

use std::cell::RefCell;
use std::rc::Rc;

use shared::protocol::{ClientFrame, PING};
use shared::watchdog::{self, Verdict};
use shared::write_json;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

type Handler = Closure<dyn FnMut(web_sys::Event)>;
type OnText = Box<dyn Fn(&Link, String)>;

/// What the owner of a link does: say hello when a socket opens, read each frame, and hear
/// of a drop (returning whether to come back: some close codes are final).
pub struct Handlers {
    pub open: Box<dyn Fn(&Link)>,
    pub text: OnText,
    pub down: Box<dyn Fn(u16) -> bool>,
}

struct Inner {
    url: String,
    ws: Option<WebSocket>,
    handlers: Rc<Handlers>,
    /// Kept alive as long as the socket they serve.
    listeners: Vec<Handler>,
    attempt: u32,
    stopped: bool,
    /// Messages sent and not yet acknowledged, by id, as sent (JSON).
    unacked: Vec<(String, String)>,
    /// When the socket last carried a frame in, and when the oldest waiting message was first
    /// and last sent.
    heard_at: f64,
    waiting: Option<(f64, f64)>,
    watchdog: Option<i32>,
    /// The watchdog's callback, kept until [`Link::stop`]: it holds the link, so forgetting
    /// it would keep every stopped link alive.
    tick: Option<Closure<dyn FnMut()>>,
    /// When the current socket opened, and whether the server has greeted it since: a
    /// socket that opens and is never greeted is replaced too.
    opened_at: f64,
    welcomed: bool,
    /// A ping is out, waited for like a message.
    pinged: bool,
    /// Said every `PRESENT_EVERY_MS` whatever else passes (see [`Link::keep_saying`]), and
    /// when it was last said.
    beat: Option<&'static str>,
    beat_at: f64,
}

/// A cheap handle to one link.
#[derive(Clone)]
pub struct Link(Rc<RefCell<Inner>>);

fn now() -> f64 {
    js_sys::Date::now()
}

impl Link {
    /// Connects to `url` (ws:// or wss://) and keeps connected until [`Link::stop`].
    pub fn open(url: String, handlers: Handlers) -> Link {
        let link = Link(Rc::new(RefCell::new(Inner {
            url,
            ws: None,
            handlers: Rc::new(handlers),
            listeners: Vec::new(),
            attempt: 0,
            stopped: false,
            unacked: Vec::new(),
            heard_at: now(),
            waiting: None,
            watchdog: None,
            tick: None,
            opened_at: now(),
            welcomed: false,
            pinged: false,
            beat: None,
            beat_at: now(),
        })));
        link.watch();
        link.connect();
        link
    }

    fn connect(&self) {
        if self.0.borrow().stopped {
            return;
        }
        if let Some(ws) = &self.0.borrow().ws
            && matches!(ws.ready_state(), WebSocket::CONNECTING | WebSocket::OPEN)
        {
            // A retry timer and the `online` event can both ask; one socket is enough.
            return;
        }
        let url = self.0.borrow().url.clone();
        let Ok(ws) = WebSocket::new(&url) else { return self.retry() };
        let me = self.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            {
                let mut inner = me.0.borrow_mut();
                inner.heard_at = now();
                inner.opened_at = now();
                inner.beat_at = now();
                inner.welcomed = false;
            }
            let handlers = me.0.borrow().handlers.clone();
            (handlers.open)(&me);
        });
        let me = self.clone();
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            {
                // Anything at all answers a ping.
                let mut inner = me.0.borrow_mut();
                inner.heard_at = now();
                if std::mem::take(&mut inner.pinged) && inner.unacked.is_empty() {
                    inner.waiting = None;
                }
            }
            if let Some(text) = e.unchecked_into::<MessageEvent>().data().as_string() {
                let handlers = me.0.borrow().handlers.clone();
                (handlers.text)(&me, text);
            }
        });
        let me = self.clone();
        let on_close = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let code = e.unchecked_into::<CloseEvent>().code();
            me.0.borrow_mut().ws = None;
            let handlers = me.0.borrow().handlers.clone();
            if (handlers.down)(code) {
                me.retry();
            } else {
                me.stop();
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.ws.take() {
            detach(&old);
        }
        inner.listeners = vec![on_open, on_message, on_close];
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
        // Full jitter: after a deploy closes every socket at once, clients come back spread
        // out, not in one wave.
        let delay = shared::backoff::delay_ms(attempt, js_sys::Math::random()) as i32;
        let me = self.clone();
        let cb = Closure::once_into_js(move || me.connect());
        if let Some(w) = web_sys::window() {
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), delay);
        }
    }

    /// The server greeted this socket (a welcome, the inbox's snapshot): the connection
    /// works, so the next drop starts the backoff afresh.
    pub fn welcomed(&self) {
        let mut inner = self.0.borrow_mut();
        inner.attempt = 0;
        inner.welcomed = true;
    }

    pub fn is_open(&self) -> bool {
        self.0.borrow().ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN)
    }

    /// Sends a frame if connected; `false` when it could not go out now.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        self.send_text(&write_json::client_frame(frame))
    }

    fn send_text(&self, text: &str) -> bool {
        let inner = self.0.borrow();
        let Some(ws) = inner.ws.as_ref().filter(|ws| ws.ready_state() == WebSocket::OPEN) else {
            return false;
        };
        ws.send_with_str(text).is_ok()
    }

    /// Sends a message the server acknowledges by `id`, and keeps it until [`Link::acked`] or
    /// [`Link::give_up`]: it goes out again after every reconnect ([`Link::resend`]) and when
    /// its acknowledgement is late. Sent again, an id is stored once.
    pub fn send_tracked(&self, id: &str, frame: &ClientFrame) {
        let text = write_json::client_frame(frame);
        {
            let mut inner = self.0.borrow_mut();
            if !inner.unacked.iter().any(|(i, _)| i == id) {
                inner.unacked.push((id.to_owned(), text.clone()));
            }
        }
        // Before the greeting, it waits for `resend`, which sends the older ones first.
        if self.0.borrow().welcomed && self.send_text(&text) {
            let mut inner = self.0.borrow_mut();
            if inner.waiting.is_none() {
                inner.waiting = Some((now(), now()));
            }
        }
    }

    /// The server stored message `id`.
    pub fn acked(&self, id: &str) {
        let mut inner = self.0.borrow_mut();
        let before = inner.unacked.len();
        inner.unacked.retain(|(i, _)| i != id);
        if inner.unacked.len() < before {
            // The next waiting message gets its own time.
            inner.waiting = (!inner.unacked.is_empty()).then(|| (now(), now()));
        }
    }

    /// The server refused message `id` for good: it is not sent again.
    pub fn give_up(&self, id: &str) {
        self.acked(id);
    }

    /// Sends every unacknowledged message again, in order (after a welcome).
    pub fn resend(&self) {
        let texts: Vec<String> = self.0.borrow().unacked.iter().map(|(_, t)| t.clone()).collect();
        let mut sent = false;
        for text in &texts {
            sent |= self.send_text(text);
        }
        let mut inner = self.0.borrow_mut();
        if sent {
            let first = inner.waiting.map_or(now(), |w| w.0);
            inner.waiting = Some((first, now()));
        }
    }

    /// Once a second: a late acknowledgement means resend, a silent socket a new one.
    fn watch(&self) {
        let me = self.clone();
        let tick = Closure::<dyn FnMut()>::new(move || me.check());
        let id = web_sys::window().and_then(|w| {
            w.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                1000,
            )
            .ok()
        });
        let mut inner = self.0.borrow_mut();
        inner.watchdog = id;
        inner.tick = Some(tick);
    }

    /// Says `text` every `PRESENT_EVERY_MS` while connected, whatever else passes: how a
    /// console or a widget tells the server it is still there (a sleeping machine stops
    /// saying it).
    pub fn keep_saying(&self, text: &'static str) {
        self.0.borrow_mut().beat = Some(text);
    }

    fn check(&self) {
        if !self.is_open() {
            return;
        }
        let beat = {
            let inner = self.0.borrow();
            inner.beat.filter(|_| now() - inner.beat_at >= shared::protocol::PRESENT_EVERY_MS)
        };
        if let Some(text) = beat
            && self.send_text(text)
        {
            self.0.borrow_mut().beat_at = now();
        }
        let (waiting, heard_at, greeting_late) = {
            let inner = self.0.borrow();
            let late = !inner.welcomed && now() - inner.opened_at >= watchdog::SILENT_AFTER_MS;
            (inner.waiting, inner.heard_at, late)
        };
        if greeting_late {
            return self.reconnect();
        }
        if watchdog::should_ping(now(), waiting, heard_at) && self.send_text(PING) {
            let mut inner = self.0.borrow_mut();
            inner.pinged = true;
            inner.waiting = Some((now(), now()));
            return;
        }
        match watchdog::verdict(now(), waiting, heard_at) {
            Verdict::Fine => {}
            Verdict::Resend => {
                if self.0.borrow().pinged {
                    self.send_text(PING);
                }
                self.resend();
            }
            Verdict::Replace => self.reconnect(),
        }
    }

    /// Drops the current socket without waiting for its close and opens another at once:
    /// for a socket that stays open while nothing passes through it, or a network that came
    /// back. The owner's `open` says hello again; its welcome resends.
    pub fn reconnect(&self) {
        let old = {
            let mut inner = self.0.borrow_mut();
            inner.waiting = None;
            inner.pinged = false;
            inner.attempt = 0;
            inner.ws.take()
        };
        if let Some(ws) = old {
            detach(&ws);
            let _ = ws.close();
        }
        self.connect();
    }

    /// Closes the socket (the network went away): `down` hears of it and it comes back.
    pub fn drop_socket(&self) {
        let ws = self.0.borrow().ws.clone();
        if let Some(ws) = ws {
            let _ = ws.close();
        }
    }

    /// Connects now if no socket is up (the network came back).
    pub fn wake(&self) {
        if self.0.borrow().ws.is_none() {
            self.0.borrow_mut().attempt = 0;
            self.connect();
        }
    }

    /// Closes for good: no reconnect, no watchdog.
    pub fn stop(&self) {
        let (ws, watchdog, callbacks) = {
            let mut inner = self.0.borrow_mut();
            inner.stopped = true;
            let callbacks = (std::mem::take(&mut inner.listeners), inner.tick.take());
            (inner.ws.take(), inner.watchdog.take(), callbacks)
        };
        if let (Some(id), Some(w)) = (watchdog, web_sys::window()) {
            w.clear_interval_with_handle(id);
        }
        if let Some(ws) = ws {
            detach(&ws);
            let _ = ws.close();
        }
        // The callbacks hold the link: dropped, the link can go. Not now: `stop` may run
        // inside one of them (a final close), and a closure must not be dropped while it
        // runs.
        let drop_later = Closure::once_into_js(move || drop(callbacks));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(drop_later.unchecked_ref());
        }
    }
}

/// A socket whose listeners are about to be dropped must not call them late.
fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
}
