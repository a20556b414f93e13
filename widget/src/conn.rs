//! The visitor's socket: hello with the last sequence seen, resync from the backlog, and an
//! outbox of unacknowledged messages resent with their original ids after every reconnect, so
//! nothing is lost or shown twice.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use shared::protocol::{
    Author, ClientFrame, Credential, ErrorCode, Hello, Item, ItemBody, PROTOCOL_VERSION,
    ServerFrame, StateView, VisitorProfile,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::api::Saved;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Connecting,
    Online,
    Reconnecting,
    /// The server refused this conversation for good (ended token, version mismatch).
    Closed,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pending {
    pub client_id: String,
    pub text: String,
}

/// Everything the view reads. Copy handles onto reactive state.
#[derive(Clone, Copy)]
pub struct Chat {
    pub items: RwSignal<Vec<Item>>,
    pub state: RwSignal<Option<StateView>>,
    pub status: RwSignal<Status>,
    pub outbox: RwSignal<Vec<Pending>>,
    pub bot_typing: RwSignal<bool>,
    pub agent_typing: RwSignal<Option<String>>,
    /// The last refusal, shown in the visitor's language.
    pub notice: RwSignal<Option<ErrorCode>>,
    pub profile: RwSignal<VisitorProfile>,
    /// The AI's answer as it streams in, until the stored message arrives.
    pub draft: RwSignal<Option<String>>,
    /// The site's widget settings: fetched on start, pushed live when the owner changes them.
    pub config: RwSignal<Option<shared::api::WidgetConfig>>,
    /// The newest item that arrived live (not from a backlog): what events and the unread
    /// badge react to.
    pub live: RwSignal<Option<Item>>,
}

impl Chat {
    pub fn new() -> Self {
        Chat {
            items: RwSignal::new(Vec::new()),
            state: RwSignal::new(None),
            status: RwSignal::new(Status::Connecting),
            outbox: RwSignal::new(Vec::new()),
            bot_typing: RwSignal::new(false),
            agent_typing: RwSignal::new(None),
            notice: RwSignal::new(None),
            profile: RwSignal::new(VisitorProfile::default()),
            draft: RwSignal::new(None),
            config: RwSignal::new(None),
            live: RwSignal::new(None),
        }
    }

    pub fn new_client_id(&self) -> String {
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
            .unwrap_or_else(|| format!("m{}", (js_sys::Math::random() * 1e16) as u64))
    }

    /// Puts a message in the outbox under a fresh id. It stays there, shown as pending, until
    /// the server acknowledges it: whatever happens to the socket meanwhile.
    pub fn queue(&self, text: String) -> Pending {
        let pending = Pending { client_id: self.new_client_id(), text };
        self.outbox.update(|o| o.push(pending.clone()));
        pending
    }

    /// Forgets the conversation shown, to start another.
    pub fn reset(&self) {
        self.items.set(Vec::new());
        self.state.set(None);
        self.status.set(Status::Connecting);
        self.outbox.set(Vec::new());
        self.bot_typing.set(false);
        self.agent_typing.set(None);
        self.notice.set(None);
        self.profile.set(VisitorProfile::default());
        self.draft.set(None);
        self.live.set(None);
    }

    fn last_seq(&self) -> u64 {
        self.items.with_untracked(|items| items.last().map_or(0, |i| i.seq))
    }

    fn push(&self, item: Item) {
        self.items.update(|items| {
            if items.last().is_none_or(|last| item.seq > last.seq) {
                items.push(item);
            }
        });
    }
}

struct Inner {
    chat: Chat,
    url: String,
    token: String,
    ws: Option<WebSocket>,
    attempt: u32,
    /// Sent after every welcome: the server keeps the latest and ignores repeats.
    identity: Option<(Option<String>, Option<String>)>,
    /// Kept alive as long as the socket they serve.
    handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    /// Stopped for good: the visitor moved on to a new conversation.
    stopped: bool,
    /// When the socket last carried a frame in, and when the oldest unacknowledged message
    /// was first and last sent: what the watchdog judges by.
    heard_at: f64,
    waiting: Option<(f64, f64)>,
    watchdog: Option<i32>,
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A cheap handle to the one connection of this widget.
#[derive(Clone)]
pub struct Conn(Rc<RefCell<Inner>>);

impl Conn {
    pub fn open(base: &str, saved: &Saved, chat: Chat) -> Conn {
        let ws_base = base.replacen("http", "ws", 1);
        let url = format!("{ws_base}/api/conversations/{}/ws", saved.conversation_id);
        let conn = Conn(Rc::new(RefCell::new(Inner {
            chat,
            url,
            token: saved.token.clone(),
            ws: None,
            attempt: 0,
            identity: None,
            handlers: Vec::new(),
            stopped: false,
            heard_at: now(),
            waiting: None,
            watchdog: None,
        })));
        conn.watch_network();
        conn.watch_acks();
        conn.connect();
        conn
    }

    /// Once a second: a message unacknowledged for a while is sent again on the same socket,
    /// and a socket silent while a message waits is replaced (`shared::watchdog`).
    fn watch_acks(&self) {
        let me = self.clone();
        let tick = Closure::<dyn FnMut()>::new(move || me.check_acks());
        let id = web_sys::window().and_then(|w| {
            w.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                1000,
            )
            .ok()
        });
        tick.forget();
        self.0.borrow_mut().watchdog = id;
    }

    fn check_acks(&self) {
        let chat = self.chat();
        if chat.outbox.with_untracked(Vec::is_empty) {
            self.0.borrow_mut().waiting = None;
            return;
        }
        let online =
            self.0.borrow().ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN);
        if !online || chat.status.get_untracked() != Status::Online {
            return;
        }
        let (waiting, heard_at) = {
            let inner = self.0.borrow();
            (inner.waiting, inner.heard_at)
        };
        match shared::watchdog::verdict(now(), waiting, heard_at) {
            shared::watchdog::Verdict::Fine => {}
            shared::watchdog::Verdict::Resend => {
                for p in chat.outbox.get_untracked() {
                    self.raw_send(&ClientFrame::Send { client_id: p.client_id, text: p.text });
                }
                if let Some(w) = self.0.borrow_mut().waiting.as_mut() {
                    w.1 = now();
                }
            }
            shared::watchdog::Verdict::Replace => self.replace(),
        }
    }

    /// Drops the current socket without waiting for its close and opens another at once;
    /// the welcome resends the outbox.
    fn replace(&self) {
        let old = {
            let mut inner = self.0.borrow_mut();
            inner.waiting = None;
            inner.ws.take()
        };
        if let Some(ws) = old {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
        self.chat().status.set(Status::Reconnecting);
        self.connect();
    }

    /// Notes that a message went out, for the watchdog.
    fn sent(&self) {
        let mut inner = self.0.borrow_mut();
        if inner.waiting.is_none() {
            inner.waiting = Some((now(), now()));
        }
    }

    fn chat(&self) -> Chat {
        self.0.borrow().chat
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
        let Ok(ws) = WebSocket::new(&url) else {
            self.retry();
            return;
        };
        let on_open = {
            let me = self.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| me.hello())
        };
        let on_message = {
            let me = self.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                me.0.borrow_mut().heard_at = now();
                let Some(text) = e.unchecked_into::<MessageEvent>().data().as_string() else {
                    return;
                };
                if let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) {
                    me.on_frame(frame);
                }
            })
        };
        let on_close = {
            let me = self.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                let code = e.unchecked_into::<CloseEvent>().code();
                me.on_close(code);
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.ws.take() {
            // Its handlers are about to be dropped; a late event must not call them.
            old.set_onopen(None);
            old.set_onmessage(None);
            old.set_onclose(None);
        }
        inner.handlers = vec![on_open, on_message, on_close];
        inner.ws = Some(ws);
    }

    fn raw_send(&self, frame: &ClientFrame) -> bool {
        let inner = self.0.borrow();
        let Some(ws) = &inner.ws else { return false };
        if ws.ready_state() != WebSocket::OPEN {
            return false;
        }
        match serde_json::to_string(frame) {
            Ok(text) => ws.send_with_str(&text).is_ok(),
            Err(_) => false,
        }
    }

    fn hello(&self) {
        self.0.borrow_mut().heard_at = now();
        let chat = self.chat();
        let token = self.0.borrow().token.clone();
        self.raw_send(&ClientFrame::Hello(Hello {
            version: PROTOCOL_VERSION,
            credential: Credential::Visitor { token },
            last_seq: chat.last_seq(),
        }));
    }

    fn on_frame(&self, frame: ServerFrame) {
        let chat = self.chat();
        match frame {
            ServerFrame::Welcome(w) => {
                self.0.borrow_mut().attempt = 0;
                for item in w.backlog {
                    chat.push(item);
                }
                chat.state.set(Some(w.state));
                chat.profile.set(w.visitor);
                chat.status.set(Status::Online);
                let identity = self.0.borrow().identity.clone();
                if let Some((name, email)) = identity {
                    self.raw_send(&ClientFrame::Identify { name, email });
                }
                // Resend what was never acknowledged, with the original ids: the server
                // stores each id once.
                for p in chat.outbox.get_untracked() {
                    self.raw_send(&ClientFrame::Send { client_id: p.client_id, text: p.text });
                    self.sent();
                }
            }
            ServerFrame::Item(item) => {
                if let ItemBody::Message(m) = &item.body {
                    if matches!(m.author, Author::Agent(_)) {
                        chat.agent_typing.set(None);
                    }
                    if m.author == Author::Bot {
                        chat.draft.set(None);
                    }
                    // Our own message is stored: its pending bubble gives way to the real one.
                    if m.author == Author::Visitor
                        && let Some(id) = &m.client_id
                    {
                        chat.outbox.update(|o| o.retain(|p| &p.client_id != id));
                    }
                }
                chat.push(item.clone());
                chat.live.set(Some(item));
            }
            ServerFrame::Visitor(profile) => chat.profile.set(profile),
            ServerFrame::Ack { client_id, .. } => {
                // A message went through: an older refusal no longer applies.
                chat.notice.set(None);
                chat.outbox.update(|o| o.retain(|p| p.client_id != client_id));
                // The oldest waiting message was answered: the next one gets its own time.
                let more = !chat.outbox.with_untracked(Vec::is_empty);
                self.0.borrow_mut().waiting = more.then(|| (now(), now()));
            }
            ServerFrame::State(view) => {
                // A takeover drops an answer the AI was still writing.
                chat.draft.set(None);
                chat.state.set(Some(view));
            }
            ServerFrame::BotDraft { text, .. } => chat.draft.set(Some(text)),
            ServerFrame::Config(config) => chat.config.set(Some(config)),
            ServerFrame::Typing { author, on } => match author {
                Author::Bot => chat.bot_typing.set(on),
                Author::Agent(a) => chat.agent_typing.set(on.then_some(a.name)),
                Author::Visitor => {}
            },
            ServerFrame::Error(e) => {
                // A message refused for good will never be stored: it leaves the outbox (the
                // notice says why). One refused for the moment (too fast, a failed write)
                // stays, and the watchdog sends it again.
                if let Some(id) = e.client_id.as_ref().filter(|_| !e.retryable) {
                    chat.outbox.update(|o| o.retain(|p| &p.client_id != id));
                }
                if matches!(e.code, ErrorCode::Unauthorized | ErrorCode::UnsupportedVersion) {
                    chat.status.set(Status::Closed);
                }
                chat.notice.set(Some(e.code));
            }
        }
    }

    fn on_close(&self, code: u16) {
        if self.0.borrow().stopped {
            return;
        }
        let chat = self.chat();
        chat.bot_typing.set(false);
        chat.agent_typing.set(None);
        chat.draft.set(None);
        self.0.borrow_mut().ws = None;
        // 4000 and 4001 are final refusals, and 4009 means a newer tab of this visitor took
        // the place of this one; anything else is worth another try.
        let last = matches!(code, 4000 | 4001 | 4009);
        if chat.status.get_untracked() == Status::Closed || last {
            chat.status.set(Status::Closed);
            return;
        }
        chat.status.set(Status::Reconnecting);
        self.retry();
    }

    fn retry(&self) {
        let attempt = {
            let mut inner = self.0.borrow_mut();
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

    /// Closes for good, as the visitor leaves this conversation for a new one.
    pub fn stop(&self) {
        let (ws, watchdog) = {
            let mut inner = self.0.borrow_mut();
            inner.stopped = true;
            (inner.ws.take(), inner.watchdog.take())
        };
        if let (Some(id), Some(w)) = (watchdog, web_sys::window()) {
            w.clear_interval_with_handle(id);
        }
        if let Some(ws) = ws {
            ws.set_onclose(None);
            ws.set_onmessage(None);
            let _ = ws.close();
        }
    }

    /// Sends a queued message now if the socket is up; otherwise the welcome resends it.
    pub fn send(&self, p: &Pending) {
        let frame = ClientFrame::Send { client_id: p.client_id.clone(), text: p.text.clone() };
        if self.raw_send(&frame) {
            self.sent();
        }
    }

    pub fn identify(&self, name: Option<String>, email: Option<String>) {
        self.0.borrow_mut().identity = Some((name.clone(), email.clone()));
        self.raw_send(&ClientFrame::Identify { name, email });
    }

    /// Going offline drops the socket at once, so the visitor sees "Reconnecting…" instead of
    /// a chat that silently stopped; coming back online reconnects without waiting for the
    /// backoff.
    fn watch_network(&self) {
        let Some(window) = web_sys::window() else { return };
        let offline = {
            let me = self.clone();
            Closure::<dyn FnMut()>::new(move || {
                let ws = me.0.borrow().ws.clone();
                if let Some(ws) = ws {
                    let _ = ws.close();
                }
            })
        };
        let online = {
            let me = self.clone();
            Closure::<dyn FnMut()>::new(move || {
                let idle = me.0.borrow().ws.is_none();
                if idle && me.chat().status.get_untracked() != Status::Closed {
                    me.0.borrow_mut().attempt = 0;
                    me.connect();
                }
            })
        };
        let _ =
            window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        // These live as long as the page: the widget is never unmounted.
        offline.forget();
        online.forget();
    }

    pub fn request_human(&self) {
        self.raw_send(&ClientFrame::RequestHuman);
    }

    /// The out-of-hours form; if the socket is down the visitor sees why and sends again.
    pub fn leave_message(&self, client_id: String, form: crate::app::Form) {
        let frame = ClientFrame::LeaveMessage {
            client_id,
            name: form.name,
            email: form.email,
            text: form.text,
        };
        if !self.raw_send(&frame) {
            self.chat().notice.set(Some(ErrorCode::Internal));
        }
    }
}
