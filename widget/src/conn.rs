//! The visitor's side of the conversation: hello with the last sequence seen, resync from the
//! backlog, and an outbox of unacknowledged messages, kept in the browser's storage and resent
//! with their original ids (after a reconnect, a late acknowledgement or a reload), so nothing
//! is lost or shown twice. The socket itself is the shared [`Link`].

use std::cell::RefCell;
use std::rc::Rc;

use shared::protocol::{
    Author, ClientFrame, Credential, ErrorCode, Hello, Item, ItemBody, PROTOCOL_VERSION,
    ServerFrame, SignedIn, StateView, VisitorProfile,
};
use shared::write_json::{self, Object};
use takeover_client::{Handlers, Link};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::api::Saved;
use crate::parts::{Cell, Kept};

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

impl Pending {
    /// What [`Pending::read`] reads.
    fn write(&self) -> String {
        Object::new().str("client_id", &self.client_id).str("text", &self.text).end()
    }

    fn read(value: shared::json::Json) -> Option<Pending> {
        let mut f = shared::read_json::Fields::of(value)?;
        Some(Pending { client_id: f.string("client_id")?, text: f.string("text")? })
    }
}

/// Everything the view reads. Copy handles onto reactive state.
#[derive(Clone, Copy)]
pub struct Chat {
    pub items: Cell<Vec<Item>>,
    pub state: Cell<Option<StateView>>,
    pub status: Cell<Status>,
    pub outbox: Cell<Vec<Pending>>,
    pub bot_typing: Cell<bool>,
    pub agent_typing: Cell<Option<String>>,
    /// The last refusal, shown in the visitor's language.
    pub notice: Cell<Option<ErrorCode>>,
    pub profile: Cell<VisitorProfile>,
    /// The AI's answer as it streams in, until the stored message arrives.
    pub draft: Cell<Option<String>>,
    /// The site's widget settings: fetched on start, pushed live when the owner changes them.
    pub config: Cell<Option<shared::api::WidgetConfig>>,
    /// The newest item that arrived live (not from a backlog): what events and the unread
    /// badge react to.
    pub live: Cell<Option<Item>>,
    /// Where the outbox is kept across page loads (per conversation).
    outbox_key: Kept<Option<String>>,
    /// A saved conversation that turned out gone, while its outbox waits in storage for the
    /// next one to keep it.
    gone: Kept<Option<String>>,
    /// Where what is typed before there is a conversation waits (see [`Chat::keep_unstarted`]),
    /// and the ids of what an earlier page left there, not yet sent.
    unstarted: Kept<Option<String>>,
    restored: Kept<Vec<String>>,
}

impl Chat {
    pub fn new() -> Self {
        Chat {
            items: Cell::new(Vec::new()),
            state: Cell::new(None),
            status: Cell::new(Status::Connecting),
            outbox: Cell::new(Vec::new()),
            bot_typing: Cell::new(false),
            agent_typing: Cell::new(None),
            notice: Cell::new(None),
            profile: Cell::new(VisitorProfile::default()),
            draft: Cell::new(None),
            config: Cell::new(None),
            live: Cell::new(None),
            outbox_key: Kept::new(None),
            gone: Kept::new(None),
            unstarted: Kept::new(None),
            restored: Kept::new(Vec::new()),
        }
    }

    /// Keeps what is typed before there is a conversation to send it to (the first message,
    /// while the first conversation is being made) in the browser's storage too, under the
    /// site: a page closed or reloaded meanwhile leaves it there, and the next page shows it
    /// waiting and sends it to the conversation it starts or joins. Only while no user is
    /// signed in: words waiting for nobody's conversation in particular must never reach a
    /// signed-in user's (a shared computer), so a page with one drops them, unread.
    pub fn keep_unstarted(&self, site_key: &str, signed_in: bool) {
        let key = format!("takeover:outbox-new:{site_key}");
        if signed_in {
            if let Some(storage) = crate::api::local_storage() {
                let _ = storage.remove_item(&key);
            }
            return;
        }
        let kept = crate::api::local_storage().map(|s| stored_outbox(&s, &key)).unwrap_or_default();
        self.unstarted.set_value(Some(key.clone()));
        self.outbox_key.set_value(Some(key));
        if !kept.is_empty() {
            self.restored.set_value(kept.iter().map(|p| p.client_id.clone()).collect());
            self.outbox.set(kept);
        }
    }

    /// A user was signed in after the page loaded, before a conversation: what an earlier
    /// page left waiting is dropped, what this page typed stays with it (in memory, for the
    /// conversation being made), and nothing more waits in storage.
    pub fn stop_keeping_unstarted(&self) {
        let Some(key) = self.unstarted.update_value(Option::take) else { return };
        let restored = self.restored.update_value(std::mem::take);
        if !restored.is_empty() {
            self.outbox.update(|o| o.retain(|p| !restored.contains(&p.client_id)));
        }
        if self.outbox_key.with_value(|k| k.as_ref() == Some(&key)) {
            self.outbox_key.set_value(None);
        }
        if let Some(storage) = crate::api::local_storage() {
            let _ = storage.remove_item(&key);
        }
    }

    /// Whether anything typed is waiting to be sent.
    pub fn has_unsent(&self) -> bool {
        self.outbox.with_untracked(|o| !o.is_empty())
    }

    pub fn new_client_id(&self) -> String {
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
            .unwrap_or_else(|| format!("m{}", (js_sys::Math::random() * 1e16) as u64))
    }

    /// Puts a message in the outbox under a fresh id. It stays there, shown as pending, until
    /// the server acknowledges it: whatever happens to the socket, or to the page, meanwhile.
    pub fn queue(&self, text: String) -> Pending {
        let pending = Pending { client_id: self.new_client_id(), text };
        self.outbox.update(|o| o.push(pending.clone()));
        self.in_storage(|o| o.push(pending.clone()));
        pending
    }

    /// Message `id` was stored or refused for good: it leaves the outbox (this tab's, and
    /// the one kept for the conversation, which other tabs share).
    /// Whether this page was still waiting for it.
    fn settle(&self, id: &str) -> bool {
        let waiting = self.outbox.with_untracked(|o| o.iter().any(|p| p.client_id == id));
        if waiting {
            self.outbox.update(|o| o.retain(|p| p.client_id != id));
        }
        self.in_storage(|o| o.retain(|p| p.client_id != id));
        waiting
    }

    /// Restores the outbox this conversation left in the browser's storage, and keeps it
    /// there from now on: a message typed just before a reload or a navigation is sent by the
    /// next page. What waited for a conversation joins it (what another tab typed before it
    /// had one too: sent twice rather than lost), and what a gone conversation left can go.
    fn keep_outbox(&self, conversation_id: &str) {
        self.restored.set_value(Vec::new());
        let storage = crate::api::local_storage();
        let mut mine = self.outbox.get_untracked();
        if let (Some(storage), Some(key)) = (&storage, self.unstarted.get_value()) {
            for p in stored_outbox(storage, &key) {
                if !mine.contains(&p) {
                    mine.push(p);
                }
            }
        }
        self.outbox_key.set_value(Some(outbox_key(conversation_id)));
        let mut kept = Vec::new();
        self.in_storage(|o| {
            o.extend(mine.iter().filter(|p| !o.contains(p)).cloned().collect::<Vec<_>>());
            kept = o.clone();
        });
        if !kept.is_empty() {
            self.outbox.set(kept);
        }
        let Some(storage) = storage else { return };
        if let Some(gone) = self.gone.update_value(Option::take) {
            let _ = storage.remove_item(&outbox_key(&gone));
        }
        // Only what was read: another tab may have added its own since.
        if let Some(key) = self.unstarted.get_value() {
            edit_stored(&storage, &key, |o| o.retain(|p| !mine.contains(p)));
        }
    }

    /// Conversation `id` is gone: its outbox stays in storage (a reload meanwhile finds it
    /// there again, with the conversation still saved) until the next conversation keeps it
    /// ([`Chat::keep_outbox`]); until then a start does not open it again.
    pub fn leave(&self, id: &str) {
        self.gone.set_value(Some(id.to_owned()));
        self.outbox_key.set_value(None);
    }

    /// Whether `id` is the gone conversation a start must pass over.
    pub fn is_gone(&self, id: &str) -> bool {
        self.gone.with_value(|g| g.as_deref() == Some(id))
    }

    /// Changes the outbox kept for the conversation, read afresh each time: every tab of a
    /// conversation adds and removes its own messages there, none writes over another's.
    fn in_storage(&self, change: impl FnOnce(&mut Vec<Pending>)) {
        let Some(key) = self.outbox_key.get_value() else { return };
        let Some(storage) = crate::api::local_storage() else { return };
        edit_stored(&storage, &key, change);
    }

    /// Forgets the conversation shown, to start another.
    pub fn reset(&self) {
        self.items.set(Vec::new());
        self.state.set(None);
        self.status.set(Status::Connecting);
        self.outbox.set(Vec::new());
        // What waits for a conversation is not this one's to clear (other tabs' words too).
        if self.outbox_key.get_value() != self.unstarted.get_value() {
            self.in_storage(Vec::clear);
        }
        // Until the next conversation is known, what is typed waits as the first did.
        self.outbox_key.set_value(self.unstarted.get_value());
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

/// Where conversation `id`'s outbox is kept across page loads.
fn outbox_key(id: &str) -> String {
    format!("takeover:outbox:{id}")
}

/// The outbox kept under `key`; none when there is nothing there that reads as one.
fn stored_outbox(storage: &web_sys::Storage, key: &str) -> Vec<Pending> {
    storage
        .get_item(key)
        .ok()
        .flatten()
        .and_then(|raw| takeover_client::json::parse(&raw))
        .and_then(|kept| shared::read_json::list(kept, Pending::read))
        .unwrap_or_default()
}

/// Changes the outbox kept under `key`, read afresh (see [`Chat::in_storage`]).
fn edit_stored(storage: &web_sys::Storage, key: &str, change: impl FnOnce(&mut Vec<Pending>)) {
    let mut kept = stored_outbox(storage, key);
    change(&mut kept);
    let _ = if kept.is_empty() {
        storage.remove_item(key)
    } else {
        storage.set_item(key, &write_json::list(&kept, Pending::write))
    };
}

/// The widget's connection: the shared [`Link`] with the visitor's hello, resync and outbox.
#[derive(Clone)]
pub struct Conn {
    link: Link,
    state: Rc<RefCell<State>>,
    conversation_id: Rc<str>,
}

struct State {
    chat: Chat,
    token: String,
    /// Sent after every welcome: the server keeps the latest and ignores repeats.
    /// The page's `identify`, as the frame that says it: sent again after every welcome.
    identity: Option<ClientFrame>,
}

impl Conn {
    pub fn open(base: &str, saved: &Saved, chat: Chat) -> Conn {
        let path = format!("/api/conversations/{}/ws", saved.conversation_id);
        let url = shared::protocol::socket_url(base, &path);
        chat.keep_outbox(&saved.conversation_id);
        let state =
            Rc::new(RefCell::new(State { chat, token: saved.token.clone(), identity: None }));
        let handlers = Handlers {
            open: Box::new({
                let state = state.clone();
                move |link| hello(link, &state)
            }),
            text: Box::new({
                let state = state.clone();
                move |link, text| {
                    if let Some(frame) = takeover_client::json::server_frame(&text) {
                        on_frame(link, &state, frame);
                    }
                }
            }),
            down: Box::new(move |code| on_down(chat, code)),
        };
        let link = Link::open(url, handlers);
        // Heard every half minute whatever passes (a ping, answered without waking the
        // conversation): a page that stops is one whose machine slept or lost its network,
        // and stops counting as online (see the edge's `visitor_online`).
        link.keep_saying(shared::protocol::PING);
        // Messages a reload or a navigation left unacknowledged go out with the welcome.
        for p in chat.outbox.get_untracked() {
            link.send_tracked(&p.client_id, &send_frame(&p));
        }
        let conn = Conn { link, state, conversation_id: saved.conversation_id.as_str().into() };
        conn.watch_network();
        conn
    }

    pub fn conversation_id(&self) -> &str {
        &self.conversation_id
    }

    /// Closes for good, as the visitor leaves this conversation for a new one.
    pub fn stop(&self) {
        self.link.stop();
    }

    /// Sends a queued message now if the socket is up; the link keeps it until acknowledged.
    pub fn send(&self, p: &Pending) {
        self.link.send_tracked(&p.client_id, &send_frame(p));
    }

    pub fn identify(&self, frame: ClientFrame) {
        self.link.send(&frame);
        self.state.borrow_mut().identity = Some(frame);
    }

    /// The email the visitor gave while waiting, for replies once they leave: said once,
    /// unlike the page's `identify`; if the socket is down the visitor sees why.
    pub fn give_email(&self, email: String) {
        let frame = ClientFrame::Identify {
            name: None,
            email: Some(email.clone()),
            user_id: None,
            token: None,
        };
        if !self.link.send(&frame) {
            self.state.borrow().chat.notice.set(Some(ErrorCode::Internal));
        }
        // The page's unsigned identify, said again after every reconnect, must not put back
        // the address the visitor just replaced.
        if let Some(ClientFrame::Identify { email: page_email @ Some(_), user_id: None, .. }) =
            &mut self.state.borrow_mut().identity
        {
            *page_email = Some(email);
        }
    }

    /// Going offline drops the socket at once, so the visitor sees "Reconnecting…" instead of
    /// a chat that silently stopped; coming back online reconnects without waiting for the
    /// backoff.
    fn watch_network(&self) {
        let Some(window) = web_sys::window() else { return };
        let offline = {
            let link = self.link.clone();
            Closure::<dyn FnMut()>::new(move || link.drop_socket())
        };
        let online = {
            let (link, chat) = (self.link.clone(), self.state.borrow().chat);
            Closure::<dyn FnMut()>::new(move || {
                if chat.status.get_untracked() != Status::Closed {
                    link.wake();
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
        self.link.send(&ClientFrame::RequestHuman);
    }

    /// Typing, with the draft so far: the team sees it as it is written. Ephemeral: not
    /// sent when the socket is down, never resent.
    pub fn typing(&self, on: bool, text: Option<String>) {
        self.link.send(&ClientFrame::Typing { on, text });
    }

    /// The visitor's rating of a chat; if the socket is down the visitor sees why.
    pub fn rate(&self, ticket: u32, score: u8, comment: String) {
        if !self.link.send(&ClientFrame::Rate { ticket, score, comment }) {
            self.state.borrow().chat.notice.set(Some(ErrorCode::Internal));
        }
    }

    /// The out-of-hours form; if the socket is down the visitor sees why and sends again.
    pub fn leave_message(&self, client_id: String, form: crate::app::Form) {
        let frame = ClientFrame::LeaveMessage {
            client_id,
            name: form.name,
            email: form.email,
            text: form.text,
        };
        if !self.link.send(&frame) {
            self.state.borrow().chat.notice.set(Some(ErrorCode::Internal));
        }
    }
}

fn send_frame(p: &Pending) -> ClientFrame {
    ClientFrame::Send { client_id: p.client_id.clone(), text: p.text.clone(), original: None }
}

fn hello(link: &Link, state: &Rc<RefCell<State>>) {
    let (chat, token, identity) = {
        let s = state.borrow();
        let identity = match &s.identity {
            Some(ClientFrame::Identify { user_id: Some(user_id), token: Some(t), .. }) => {
                Some(SignedIn { user_id: user_id.clone(), token: t.clone() })
            }
            _ => None,
        };
        (s.chat, s.token.clone(), identity)
    };
    link.send(&ClientFrame::Hello(Hello {
        version: PROTOCOL_VERSION,
        credential: Credential::Visitor { token },
        last_seq: chat.last_seq(),
        identity,
        beats: true,
        item_acks: true,
    }));
}

fn on_frame(link: &Link, state: &Rc<RefCell<State>>, frame: ServerFrame) {
    let chat = state.borrow().chat;
    match frame {
        ServerFrame::Welcome(w) => {
            link.welcomed();
            catch_up(link, chat, w.backlog);
            chat.state.set(Some(w.state));
            chat.profile.set(w.visitor);
            chat.status.set(Status::Online);
            let identity = state.borrow().identity.clone();
            if let Some(frame) = identity {
                link.send(&frame);
            }
            // What was never acknowledged goes again with its original id: the server
            // stores each id once.
            link.resend();
        }
        ServerFrame::Item(item) => {
            if let ItemBody::Message(m) = &item.body {
                if matches!(m.author, Author::Agent(_)) {
                    chat.agent_typing.set(None);
                }
                if m.author == Author::Bot {
                    chat.draft.set(None);
                }
                // Our own message is stored: its item is its ack (`Hello::item_acks`).
                if m.author == Author::Visitor
                    && let Some(id) = &m.client_id
                {
                    stored(link, chat, id);
                }
            }
            chat.push(item.clone());
            chat.live.set(Some(item));
        }
        ServerFrame::Backlog { items } => catch_up(link, chat, items),
        ServerFrame::Pong => {}
        ServerFrame::Visitor(profile) => chat.profile.set(profile),
        ServerFrame::Ack { client_id, .. } => {
            chat.notice.set(None);
            stored(link, chat, &client_id);
        }
        ServerFrame::State(view) => {
            // A takeover drops an answer the AI was still writing.
            chat.draft.set(None);
            chat.state.set(Some(view));
        }
        ServerFrame::BotDraft { text, .. } => chat.draft.set(Some(text)),
        ServerFrame::Config(config) => chat.config.set(Some(config)),
        ServerFrame::Typing { author, on, .. } => match author {
            Author::Bot => chat.bot_typing.set(on),
            Author::Agent(a) => chat.agent_typing.set(on.then_some(a.name)),
            Author::Visitor => {}
        },
        ServerFrame::Error(e) => {
            // A message refused for good will never be stored: it leaves the outbox (the
            // notice says why). One refused for the moment (too fast, a failed write) stays,
            // and the link sends it again.
            if let Some(id) = e.client_id.as_ref().filter(|_| !e.retryable) {
                link.give_up(id);
                chat.settle(id);
            }
            if matches!(
                e.code,
                ErrorCode::Unauthorized
                    | ErrorCode::UnsupportedVersion
                    | ErrorCode::UnknownConversation
            ) {
                chat.status.set(Status::Closed);
            }
            chat.notice.set(Some(e.code));
        }
    }
}

/// Items missed while away, oldest first.
fn catch_up(link: &Link, chat: Chat, items: Vec<Item>) {
    for item in items {
        // Stored while no acknowledgement could reach us: no longer waiting.
        if let ItemBody::Message(m) = &item.body
            && m.author == Author::Visitor
            && let Some(id) = &m.client_id
        {
            stored(link, chat, id);
        }
        chat.push(item);
    }
}

/// A visitor's message is stored, told by its ack or by its item: it leaves the outbox and its
/// pending bubble gives way to the real one. If this page was waiting for it, an older
/// refusal no longer applies (another device's message, or a backlog's, says nothing of it).
fn stored(link: &Link, chat: Chat, client_id: &str) {
    link.acked(client_id);
    if chat.settle(client_id) {
        chat.notice.set(None);
    }
}

/// The socket dropped: whether to come back.
fn on_down(chat: Chat, code: u16) -> bool {
    chat.bot_typing.set(false);
    chat.agent_typing.set(None);
    chat.draft.set(None);
    // 4000, 4001 and 4004 (no such conversation) are final refusals, and 4009 means a newer
    // tab of this visitor took the place of this one; anything else is worth another try.
    let last = matches!(code, 4000 | 4001 | 4004 | 4009);
    if chat.status.get_untracked() == Status::Closed || last {
        chat.status.set(Status::Closed);
        return false;
    }
    chat.status.set(Status::Reconnecting);
    true
}
