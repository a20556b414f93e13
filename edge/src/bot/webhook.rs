//! The site's own bot. Each visitor message the AI should answer is POSTed to the owner's URL,
//! signed with the site's signing secret as the Standard Webhooks specification describes
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`; see `shared::signing`), so any of
//! its libraries verifies it. The bot answers in the response (200 with a [`WebhookReply`]
//! body) or later through `POST /api/bot/conversations/{id}/reply` (answer 202 at once),
//! signed as `shared::signing` says for replies.

use futures_util::future::{Either, select};
use serde_json::json;
use shared::api::WebhookReply;
use shared::llm::Turn;
use shared::machine::BotReply;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit, Result, console_error};

use super::{Ask, Engine};
use crate::crypto;

/// How long the owner's server may take to answer the POST itself.
const TIMEOUT_MS: u64 = 10_000;
/// The most of a synchronous answer we read: a reply is 4,000 characters at most.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
const FALLBACK: &str = "Sorry, I can't answer that right now. Please try again in a moment.";

pub struct WebhookBot {
    pub url: String,
    /// The site's signing secrets, newest first (two while a rotation runs).
    pub secrets: Vec<String>,
}

fn payload(ask: &Ask<'_>) -> serde_json::Value {
    let a = ask.asked;
    let conversation: Vec<_> = a
        .turns
        .iter()
        .map(|t| match t {
            Turn::Visitor(text) => json!({ "author": "visitor", "text": text }),
            Turn::Assistant(text) => json!({ "author": "bot", "text": text }),
            Turn::Agent { name, text } => json!({ "author": "agent", "name": name, "text": text }),
        })
        .collect();
    json!({
        "type": "visitor_message",
        "site_key": a.site_key,
        "conversation_id": a.conversation_id,
        "turn": a.turn,
        "text": a.question,
        "language": a.language,
        "can_hand_over": ask.can_hand_over,
        "open_now": ask.open,
        "waiting_for_person": a.waiting,
        "conversation": conversation,
    })
}

impl WebhookBot {
    async fn post(&self, ask: &Ask<'_>) -> std::result::Result<Option<BotReply>, String> {
        let keys: Vec<Vec<u8>> =
            self.secrets.iter().filter_map(|s| shared::signing::key(s)).collect();
        if keys.is_empty() {
            return Err("the site has no signing secret for its bot yet".into());
        }
        let body = payload(ask).to_string();
        let id = format!("msg_{}", crypto::new_id().map_err(|e| e.to_string())?);
        let timestamp = (worker::Date::now().as_millis() / 1000) as i64;
        let signature = shared::signing::outbound_signature(&keys, &id, timestamp, body.as_bytes());
        let fail = |e: worker::Error| e.to_string();
        let headers = Headers::new();
        headers.set("Content-Type", "application/json").map_err(fail)?;
        headers.set("webhook-id", &id).map_err(fail)?;
        headers.set("webhook-timestamp", &timestamp.to_string()).map_err(fail)?;
        headers.set("webhook-signature", &signature).map_err(fail)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let req = Request::new_with_init(&self.url, &init).map_err(fail)?;
        let res = Fetch::Request(req).send_with_signal(ask.signal).await.map_err(fail)?;
        match res.status_code() {
            200 => {
                let bytes =
                    crate::http::read_response(&res, MAX_ANSWER_BYTES).await.map_err(|_| {
                        format!("the answer is unreadable or over {MAX_ANSWER_BYTES} bytes")
                    })?;
                let reply: WebhookReply = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("the answer is not a reply: {e}"))?;
                let too_long = |t: &Option<String>| {
                    t.as_ref().is_some_and(|t| {
                        t.chars().count() > shared::protocol::limits::MAX_MESSAGE_CHARS
                    })
                };
                if too_long(&reply.text) || too_long(&reply.handover) {
                    return Err("the answer is longer than 4,000 characters".into());
                }
                let reply = BotReply {
                    text: reply.text,
                    handover: reply.handover,
                    tokens: None,
                    source: None,
                };
                // Nothing in the body: the answer will come through the API.
                Ok(Some(reply).filter(|r| r.text.is_some() || r.handover.is_some()))
            }
            202 | 204 => Ok(None),
            status => Err(format!("the webhook answered HTTP {status}")),
        }
    }
}

impl Engine for WebhookBot {
    async fn reply(&self, ask: &Ask<'_>) -> Result<Option<BotReply>> {
        let timeout = Delay::from(std::time::Duration::from_millis(TIMEOUT_MS));
        let outcome = select(Box::pin(self.post(ask)), timeout).await;
        let failure = match outcome {
            Either::Left((Ok(reply), _)) => return Ok(reply),
            // A newer visitor message took this call's place: nothing to say.
            _ if ask.signal.aborted() => return Ok(None),
            Either::Left((Err(e), _)) => e,
            Either::Right(_) => format!("no answer within {TIMEOUT_MS} ms"),
        };
        console_error!("webhook engine: {failure}");
        Ok(Some(BotReply { text: Some(FALLBACK.into()), ..BotReply::default() }))
    }
}
