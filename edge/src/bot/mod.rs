//! AI engines. The conversation object asks [`reply`] for an answer to the newest visitor
//! message; the state machine decides afterwards whether that answer still counts.

mod faq;
mod llm;

use shared::api::{BotConfig, Engine as EngineKind};
use shared::faq::FaqEntry;
use shared::llm::Turn;
use shared::machine::BotReply;
use worker::{Env, Method, Result};

use crate::internal;

/// What an engine is asked.
pub struct Ask<'a> {
    pub question: &'a str,
    /// The conversation so far, oldest first, the question last.
    pub turns: &'a [Turn],
    pub faq: &'a [FaqEntry],
    /// Called with the whole answer so far as it streams.
    pub on_draft: &'a dyn Fn(&str),
}

/// One way of answering visitors: answer, hand over, or both.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no Send bound is needed.
pub trait Engine {
    async fn reply(&self, ask: &Ask<'_>) -> Result<BotReply>;
}

/// Answers with the site's configured engine.
pub async fn reply(
    env: &Env,
    site_key: &str,
    question: &str,
    turns: &[Turn],
    on_draft: &dyn Fn(&str),
) -> Result<BotReply> {
    let stub = internal::site(env, site_key)?;
    let config: BotConfig =
        internal::ask::<(), _>(&stub, Method::Get, "/bot-config", None).await?.unwrap_or_default();
    let ask = Ask { question, turns, faq: &config.faq, on_draft };
    match config.engine {
        EngineKind::Faq => faq::FaqBot::new(config.faq.clone()).reply(&ask).await,
        EngineKind::Llm(settings) => {
            let key = env.secret("LLM_API_KEY").ok().map(|s| s.to_string());
            llm::LlmBot { settings, key }.reply(&ask).await
        }
    }
}
