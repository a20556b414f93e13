//! What the edge and the widget share: the wire protocol, the HTTP API bodies, the
//! conversation state machine and the FAQ retrieval. No I/O, no clock, no randomness: time and
//! ids come in as parameters, so everything here builds natively and tests run faster than
//! real time.

pub mod api;
pub mod backoff;
pub mod channel;
pub mod clean;
pub mod encoding;
pub mod faq;
mod faq_lexicon;
pub mod faq_words;
pub mod hooks;
pub mod hours;
pub mod identity;
pub mod json;
pub mod links;
pub mod llm;
pub mod machine;
pub mod mail;
pub mod names;
pub mod origins;
pub mod pace;
pub mod protocol;
pub mod read_json;
pub mod reply_mail;
pub mod signing;
pub mod summary;
pub mod texts;
pub mod validate;
pub mod wait;
pub mod watchdog;
pub mod widget_texts;
pub mod write_json;
