//! AI engines. The conversation object asks [`reply`] for an answer to the newest visitor
//! message; the state machine decides afterwards whether that answer still counts.

mod faq;
mod llm;
mod webhook;

pub use llm::summarise;
pub use webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};

use shared::api::{BotConfig, Engine as EngineKind};
use shared::faq::FaqEntry;
use shared::llm::Turn;
use shared::machine::BotReply;
use worker::{Env, Result};

/// Which visitor message is being answered, and where.
pub struct Asked<'a> {
    pub site_key: &'a str,
    pub conversation_id: &'a str,
    /// The visitor message's sequence number.
    pub turn: u64,
    pub question: &'a str,
    /// The conversation so far, oldest first, the question last.
    pub turns: &'a [Turn],
    pub language: Option<&'a str>,
}

/// What an engine is asked.
pub struct Ask<'a> {
    pub asked: &'a Asked<'a>,
    pub faq: &'a [FaqEntry],
    /// Whether a handover can happen now: takeover on. Engines word their answers for it.
    pub can_hand_over: bool,
    /// Within business hours: a person could answer soon.
    pub open: bool,
    /// Called with the whole answer so far as it streams.
    pub on_draft: &'a dyn Fn(&str),
}

/// One way of answering visitors: answer, hand over, or both; `None` when the answer comes
/// later through the bot API.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no Send bound is needed.
pub trait Engine {
    async fn reply(&self, ask: &Ask<'_>) -> Result<Option<BotReply>>;
}

/// Answers with the site's configured engine.
pub async fn reply(
    env: &Env,
    config: &BotConfig,
    asked: &Asked<'_>,
    on_draft: &dyn Fn(&str),
) -> Result<Option<BotReply>> {
    let ask = Ask {
        asked,
        faq: &config.faq,
        can_hand_over: config.takeover.enabled,
        open: config.open_now,
        on_draft,
    };
    match &config.engine {
        EngineKind::Faq => faq::FaqBot::new(config.faq.clone()).reply(&ask).await,
        EngineKind::Llm(settings) => {
            let key = env.secret("LLM_API_KEY").ok().map(|s| s.to_string());
            llm::LlmBot { settings: settings.clone(), key }.reply(&ask).await
        }
        EngineKind::Webhook(settings) => {
            let secret = env.secret("WEBHOOK_SECRET").ok().map(|s| s.to_string());
            webhook::WebhookBot { url: settings.url.clone(), secret }.reply(&ask).await
        }
    }
}
