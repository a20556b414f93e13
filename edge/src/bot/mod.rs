//! AI engines. The conversation object asks [`reply`] for an answer to the newest visitor
//! message; the state machine decides afterwards whether that answer still counts.

mod faq;
mod llm;
mod webhook;

pub use llm::{Failure, assist, summarise};

use shared::api::Engine as EngineKind;
use shared::faq::FaqEntry;
use shared::llm::Turn;
use shared::machine::BotReply;
use worker::{AbortSignal, Env, Result};

use crate::internal::BotSetup;

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
    /// The visitor already waits for a person (the site lets the AI answer meanwhile).
    pub waiting: bool,
}

/// What an engine is asked.
pub struct Ask<'a> {
    pub asked: &'a Asked<'a>,
    pub faq: &'a [FaqEntry],
    /// Whether a handover can happen now: takeover on and no person asked for yet. Engines
    /// word their answers for it.
    pub can_hand_over: bool,
    /// Within business hours: a person could answer soon.
    pub open: bool,
    /// Called with the whole answer so far as it streams.
    pub on_draft: &'a dyn Fn(&str),
    /// Aborted when a newer visitor message takes this call's place: the engine stops its
    /// request and answers nothing.
    pub signal: &'a AbortSignal,
}

/// One way of answering visitors: answer, hand over, or both; `None` when the answer comes
/// later through the bot API.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no Send bound is needed.
pub trait Engine {
    async fn reply(&self, ask: &Ask<'_>) -> Result<Option<BotReply>>;
}

/// The key to send to a model host: the site's own, else the deployment's `LLM_API_KEY` —
/// but that one only to the deployment's `LLM_BASE_URL`, whatever a site's settings say.
/// An admin can point a site at any host; the deployment's key never follows.
pub fn model_key(env: &Env, setup: &BotSetup, base_url: &str) -> Option<String> {
    // The site's own key goes only to the endpoint it was saved for.
    if let Some((own, endpoint)) = &setup.secrets.model_key
        && shared::validate::same_endpoint(endpoint, base_url)
    {
        return Some(own.clone());
    }
    let allowed = crate::site::deployment_model_url(env);
    if !shared::validate::same_endpoint(base_url, &allowed) {
        return None;
    }
    env.secret("LLM_API_KEY").ok().map(|s| s.to_string()).filter(|k| !k.is_empty())
}

/// Answers with the site's configured engine.
pub async fn reply(
    env: &Env,
    setup: &BotSetup,
    asked: &Asked<'_>,
    on_draft: &dyn Fn(&str),
    signal: &AbortSignal,
) -> Result<Option<BotReply>> {
    let config = &setup.config;
    let ask = Ask {
        asked,
        faq: &config.faq,
        can_hand_over: config.takeover.enabled && !asked.waiting,
        // The AI offers a person only when one can come: within hours and someone available.
        open: config.open_now && config.staffed,
        on_draft,
        signal,
    };
    match &config.engine {
        EngineKind::Faq => faq::FaqBot::new(config.faq.clone()).reply(&ask).await,
        EngineKind::Llm(settings) => {
            let key = model_key(env, setup, &settings.base_url);
            llm::LlmBot { settings: settings.clone(), key }.reply(&ask).await
        }
        EngineKind::Webhook(settings) => {
            let secrets = setup.secrets.webhook_secrets.clone();
            webhook::WebhookBot { url: settings.url.clone(), secrets }.reply(&ask).await
        }
    }
}
