//! HTTP handlers, by audience.

pub mod account;
pub mod admin;
pub mod assets;
pub mod bench;
pub mod bot;
pub mod channels;
pub mod setup;
pub mod unsubscribe;
pub mod visitor;

/// Site keys name Durable Objects and appear in URLs: keep them short and plain.
pub use shared::validate::site_key as valid_site_key;

/// Conversation ids are the 32 hex digits of a random UUID.
pub fn valid_conversation_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ids() {
        assert!(valid_site_key("demo-shop-2"));
        assert!(!valid_site_key("Demo") && !valid_site_key("") && !valid_site_key("a/b"));
        assert!(valid_conversation_id("0123456789abcdef0123456789abcdef"));
        assert!(!valid_conversation_id("../../etc"));
    }
}
