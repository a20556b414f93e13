//! The browser side of the socket protocol, once for both apps: a [`Link`] to a conversation
//! (or the inbox) that reconnects with backoff and jitter, says hello again through its
//! owner, keeps every message until the server acknowledges it, sends a late one again on
//! the same socket and replaces a socket that has gone silent (`shared::watchdog`).

pub mod json;
mod link;

pub use link::{Handlers, Link};
