//! The owner's own bot. Each visitor message the AI should answer is POSTed to the owner's
//! URL, signed with the deployment's `WEBHOOK_SECRET`; the owner answers in the response
//! (200 with a [`WebhookReply`] body) or later through `POST /api/bot/conversations/{id}/reply`
//! (answer 202 at once), signed the same way.
//!
//! Signature: `X-Takeover-Signature: sha256=HEX(HMAC-SHA256(secret, "{timestamp}.{body}"))`
//! with `X-Takeover-Timestamp` in Unix seconds; either side refuses one more than five minutes
//! off, so a captured request cannot be replayed later.

use futures_util::future::{Either, select};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use shared::api::WebhookReply;
use shared::llm::Turn;
use shared::machine::BotReply;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit, Result, console_error};

use super::{Ask, Engine};
use crate::crypto;

pub const SIGNATURE_HEADER: &str = "X-Takeover-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Takeover-Timestamp";
const MAX_SKEW_SECS: i64 = 300;
/// How long the owner's server may take to answer the POST itself.
const TIMEOUT_MS: u64 = 10_000;
const FALLBACK: &str = "Sorry, I can't answer that right now. Please try again in a moment.";

pub struct WebhookBot {
    pub url: String,
    pub secret: Option<String>,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("sha256={}", crypto::hex(&mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Checks a signed request from the owner's bot: a fresh timestamp and a matching signature,
/// compared in constant time.
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now_secs: i64) -> bool {
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (now_secs - t).abs() <= MAX_SKEW_SECS);
    let Some(bytes) = signature.strip_prefix("sha256=").and_then(crypto::unhex) else {
        return false;
    };
    fresh && mac(secret, timestamp, body).verify_slice(&bytes).is_ok()
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
        "conversation": conversation,
    })
}

impl WebhookBot {
    async fn post(&self, ask: &Ask<'_>) -> std::result::Result<Option<BotReply>, String> {
        let secret = self.secret.as_deref().ok_or("WEBHOOK_SECRET is not set")?;
        let body = payload(ask).to_string();
        let timestamp = (worker::Date::now().as_millis() / 1000).to_string();
        let fail = |e: worker::Error| e.to_string();
        let headers = Headers::new();
        headers.set("Content-Type", "application/json").map_err(fail)?;
        headers.set(TIMESTAMP_HEADER, &timestamp).map_err(fail)?;
        headers.set(SIGNATURE_HEADER, &sign(secret, &timestamp, body.as_bytes())).map_err(fail)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let req = Request::new_with_init(&self.url, &init).map_err(fail)?;
        let mut res = Fetch::Request(req).send().await.map_err(fail)?;
        match res.status_code() {
            200 => {
                let reply: WebhookReply = res.json().await.map_err(|e| e.to_string())?;
                let reply = BotReply { text: reply.text, handover: reply.handover, tokens: None };
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
        match select(Box::pin(self.post(ask)), timeout).await {
            Either::Left((Ok(reply), _)) => Ok(reply),
            Either::Left((Err(e), _)) => {
                console_error!("webhook engine: {e}");
                Ok(Some(BotReply { text: Some(FALLBACK.into()), ..BotReply::default() }))
            }
            Either::Right(_) => {
                console_error!("webhook engine: no answer within {TIMEOUT_MS} ms");
                Ok(Some(BotReply { text: Some(FALLBACK.into()), ..BotReply::default() }))
            }
        }
    }
}
