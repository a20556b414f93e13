//! `POST /api/bot/conversations/{id}/reply`: the owner's webhook bot answering a turn it was
//! sent. Signed like the webhook's own requests (see `bot::webhook`); without the deployment's
//! `WEBHOOK_SECRET` the endpoint does not exist.

use shared::api::WebhookReply;
use worker::{Method, Request, RouteContext};

use crate::api::valid_conversation_id;
use crate::bot::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use crate::http::{ApiResult, refuse};
use crate::internal;

const MAX_BODY_BYTES: usize = 64 * 1024;

pub async fn reply(mut req: Request, ctx: RouteContext<()>) -> ApiResult {
    let secret = ctx
        .env
        .secret("WEBHOOK_SECRET")
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            refuse(404, "not_found", "The bot API is not enabled on this deployment.")
        })?;
    let id = ctx
        .param("id")
        .filter(|id| valid_conversation_id(id))
        .cloned()
        .ok_or_else(|| refuse(404, "unknown_conversation", "There is no such conversation."))?;
    let body = req
        .bytes()
        .await
        .map_err(|_| refuse(400, "malformed_body", "The body could not be read."))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(refuse(413, "body_too_large", "The request body is too large."));
    }
    let header = |name| req.headers().get(name).ok().flatten().unwrap_or_default();
    let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
    let now_secs = (worker::Date::now().as_millis() / 1000) as i64;
    if !verify(&secret, &timestamp, &signature, &body, now_secs) {
        return Err(refuse(
            401,
            "bad_signature",
            "The signature is missing, wrong, or more than five minutes old.",
        ));
    }
    let reply: WebhookReply = serde_json::from_slice(&body)
        .map_err(|e| refuse(400, "malformed_body", format!("The JSON body is not valid: {e}.")))?;
    let too_long = |t: &Option<String>| {
        t.as_ref().is_some_and(|t| t.chars().count() > shared::protocol::limits::MAX_MESSAGE_CHARS)
    };
    if too_long(&reply.text) || too_long(&reply.handover) {
        return Err(refuse(400, "message_too_long", "A reply can be at most 4000 characters."));
    }
    let stub = internal::conversation(&ctx.env, &id)?;
    let mut res = internal::send(&stub, Method::Post, "/bot-reply", Some(&reply)).await?;
    match res.status_code() {
        200 => Ok(worker::Response::from_json(&res.json::<serde_json::Value>().await?)?),
        404 => Err(refuse(404, "unknown_conversation", "There is no such conversation.")),
        409 => Err(refuse(
            409,
            "stale_turn",
            "That turn is no longer the AI's to answer: the visitor wrote again, or a person took over.",
        )),
        _ => Err(refuse(500, "internal", "The reply could not be stored.")),
    }
}
