//! AI engines. The conversation object asks [`reply`] for an answer to the newest visitor
//! message; the state machine decides afterwards whether that answer still counts.

mod faq;

use shared::faq::FaqEntry;
use shared::machine::BotReply;
use worker::{Env, Method, Result};

use crate::internal;

/// One way of answering visitors. Engines see the visitor's words and decide: answer, hand
/// over, or both.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no Send bound is needed.
pub trait Engine {
    async fn reply(&self, visitor_text: &str) -> Result<BotReply>;
}

/// Answers with the site's configured engine; today every site uses the FAQ engine.
pub async fn reply(env: &Env, site_key: &str, visitor_text: &str) -> Result<BotReply> {
    let stub = internal::site(env, site_key)?;
    let entries: Vec<FaqEntry> =
        internal::ask::<(), _>(&stub, Method::Get, "/bot-config", None).await?.unwrap_or_default();
    faq::FaqBot::new(entries).reply(visitor_text).await
}
