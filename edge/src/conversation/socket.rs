//! Who is on each socket, kept in the socket's attachment so it survives hibernation, and the
//! per-socket rate limit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use shared::machine::Actor;
use shared::protocol::{ErrorCode, ErrorFrame, Millis, Participant, ServerFrame, limits};
use wasm_bindgen::{JsCast, JsValue};
use worker::{Result, WebSocket};

use crate::internal::AgentIdentity;
use crate::sockets;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Who {
    Visitor,
    Agent(AgentIdentity),
}

/// Stored with the socket. `ready` turns true once the hello was accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    pub socket_id: String,
    pub who: Who,
    pub ready: bool,
    /// When the socket was accepted: one that has not said hello soon after is closed, and
    /// the oldest goes first when a conversation has too many.
    #[serde(default)]
    pub opened_at: Millis,
    /// The client it came from, for the quota of sockets that have not said hello yet.
    #[serde(default)]
    pub client: String,
    /// We closed it: whatever still arrives on it is ignored, even if its client never
    /// answers the close (the socket then stays "closing", and can still deliver frames).
    #[serde(default)]
    pub closed: bool,
    /// A visitor's socket opened with a credential a mailed link gave: closed when that
    /// access ends (see `grants::revoke_links`).
    #[serde(default)]
    pub by_link: bool,
    /// The signed-in user a visitor's page named at hello, with its token: checked when the
    /// conversation becomes a user's (see `profile::keep_only`).
    #[serde(default)]
    pub identity: Option<shared::protocol::SignedIn>,
    /// Its client said at hello that it pings every half minute whatever passes
    /// (`Hello::beats`): silent longer than a console is given, nobody is behind it.
    #[serde(default)]
    pub beats: bool,
    /// Its client said at hello that its own message's item is its ack (`Hello::item_acks`).
    #[serde(default)]
    pub item_acks: bool,
}

/// The attachments of the sockets this isolate has seen, by socket: reading one back from
/// workerd (a structured clone, then a field-by-field conversion into Rust) was a large part of
/// a broadcast, which reads every socket's. Keyed through a `WeakMap` on the socket object
/// itself, so an entry can never answer for another socket; every write goes through
/// [`Attachment::save`], so an entry is never stale. A socket woken from hibernation is a new
/// object and is read once more.
struct Cache {
    keys: js_sys::WeakMap,
    attachments: HashMap<u32, Rc<Attachment>>,
    next: u32,
}

/// Entries of sockets that went away without a close event (hibernation makes new socket
/// objects) are not reclaimed one by one; past this many, the cache starts afresh.
const CACHE_MAX: usize = 20_000;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache {
        keys: js_sys::WeakMap::new(),
        attachments: HashMap::new(),
        next: 0,
    });
}

fn key_of(ws: &WebSocket) -> &js_sys::Object {
    let js: &web_sys::WebSocket = ws.as_ref();
    js.unchecked_ref()
}

impl Attachment {
    /// Shared, not copied: a broadcast reads every socket's, and copying each (its strings
    /// allocated anew) was a tenth of a message's time in the worker's profile.
    pub fn of(ws: &WebSocket) -> Result<Option<Rc<Attachment>>> {
        let cached = CACHE.with_borrow(|c| {
            let key = c.keys.get(key_of(ws)).as_f64()?;
            c.attachments.get(&(key as u32)).cloned()
        });
        if cached.is_some() {
            return Ok(cached);
        }
        let read: Option<Attachment> = ws.deserialize_attachment()?;
        Ok(read.map(|att| remember(ws, att)))
    }

    /// Stores the attachment with the socket (it survives hibernation there) and in the cache.
    pub fn save(&self, ws: &WebSocket) -> Result<()> {
        ws.serialize_attachment(self)?;
        remember(ws, self.clone());
        Ok(())
    }

    /// The socket is gone: its entry goes too.
    pub fn forget(ws: &WebSocket) {
        CACHE.with_borrow_mut(|c| {
            if let Some(key) = c.keys.get(key_of(ws)).as_f64() {
                c.attachments.remove(&(key as u32));
                c.keys.delete(key_of(ws));
            }
        });
    }

    pub fn actor(&self) -> Actor {
        match &self.who {
            Who::Visitor => Actor::Visitor,
            Who::Agent(a) => Actor::Agent { agent: a.agent.clone(), role: a.role },
        }
    }

    pub fn participant(&self) -> Participant {
        match &self.who {
            Who::Visitor => Participant::Visitor,
            Who::Agent(a) => Participant::Agent { agent: a.agent.clone(), role: a.role },
        }
    }

    pub fn is_visitor(&self) -> bool {
        matches!(self.who, Who::Visitor)
    }
}

fn remember(ws: &WebSocket, att: Attachment) -> Rc<Attachment> {
    let att = Rc::new(att);
    CACHE.with_borrow_mut(|c| {
        let key = match c.keys.get(key_of(ws)).as_f64() {
            Some(key) => key as u32,
            None => {
                if c.attachments.len() >= CACHE_MAX {
                    c.attachments.clear();
                    c.keys = js_sys::WeakMap::new();
                }
                c.next = c.next.wrapping_add(1);
                c.keys.set(key_of(ws), &JsValue::from_f64(f64::from(c.next)));
                c.next
            }
        };
        c.attachments.insert(key, att.clone());
    });
    att
}

/// Closes a socket for good: its attachment says so first, so nothing it sends after counts,
/// whether or not its client ever completes the close.
pub fn close_for_good(ws: &WebSocket, code: u16, reason: &str) {
    if let Ok(Some(att)) = Attachment::of(ws) {
        let mut att = Attachment::clone(&att);
        att.closed = true;
        att.ready = false;
        let _ = att.save(ws);
    }
    let _ = ws.close(Some(code), Some(reason));
}

pub fn refuse(ws: &WebSocket, code: ErrorCode, message: impl Into<String>) {
    refuse_frame(ws, code, message, None);
}

/// A refusal of a frame that carried a message id: the client learns which of its messages
/// will not be stored, and whether sending it again can help.
pub fn refuse_frame(
    ws: &WebSocket,
    code: ErrorCode,
    message: impl Into<String>,
    client_id: Option<String>,
) {
    sockets::send(ws, &ServerFrame::Error(ErrorFrame::new(code, message, client_id)));
}

/// The message id a frame carries, read without trusting the rest of it: a frame refused
/// before it is parsed (too large, too fast) still names the message it would have stored.
/// Only the first bytes are looked at, and only a well-formed id is taken.
pub fn client_id_in(text: &str) -> Option<String> {
    let head = &text.as_bytes()[..text.len().min(256)];
    let key = br#""client_id":""#;
    let start = head.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = &head[start..];
    let id = std::str::from_utf8(&rest[..rest.iter().position(|b| *b == b'"')?]).ok()?;
    shared::machine::is_client_id(id).then(|| id.to_owned())
}

/// A token bucket: `FRAMES_PER_SECOND` sustained, `FRAME_BURST` at once. Kept in memory only:
/// hibernation resets it, which forgives at most one burst.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    at: Millis,
}

impl Bucket {
    pub fn new(now: Millis) -> Self {
        Bucket { tokens: limits::FRAME_BURST as f64, at: now }
    }

    pub fn take(&mut self, now: Millis) -> bool {
        let refill = (now - self.at).max(0) as f64 / 1000.0 * limits::FRAMES_PER_SECOND as f64;
        self.tokens = (self.tokens + refill).min(limits::FRAME_BURST as f64);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
