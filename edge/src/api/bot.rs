//! `POST /api/bot/conversations/{id}/reply`: a site's own bot answering a turn it was sent.
//! The conversation's site checks the signature with the site's own signing secrets (see
//! `shared::signing`: it binds the method, this path and so the conversation, and a time), and
//! only while the site's engine is that bot; only then is the body read as a reply.

use crate::router::Ctx;
use worker::{Method, Request};

use crate::api::valid_conversation_id;
use crate::http::{ApiResult, read_capped, refuse};
use crate::internal::{self, SignedReply};

pub const SIGNATURE_HEADER: &str = "X-Takeover-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Takeover-Timestamp";
const MAX_BODY_BYTES: usize = 64 * 1024;

pub async fn reply(mut req: Request, ctx: Ctx) -> ApiResult {
    crate::limits::check(&ctx.env, &req, &crate::limits::BOT_REPLY).await?;
    let id = ctx
        .param("id")
        .filter(|id| valid_conversation_id(id))
        .cloned()
        .ok_or_else(|| refuse(404, "unknown_conversation", "There is no such conversation."))?;
    let header = |name| req.headers().get(name).ok().flatten().unwrap_or_default();
    let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
    if timestamp.len() > 20 || signature.len() > 1000 {
        return Err(refuse(401, "bad_signature", "The signature headers are malformed."));
    }
    let bytes = read_capped(&mut req, MAX_BODY_BYTES).await?;
    let body = String::from_utf8(bytes)
        .map_err(|_| refuse(400, "malformed_body", "The body is not UTF-8 text."))?;
    let signed =
        SignedReply { method: "POST".to_owned(), path: req.path(), timestamp, signature, body };
    let stub = internal::conversation(&ctx.env, &id)?;
    // The object answers with the refusal the caller should see, worded already.
    let res = internal::send(&stub, Method::Post, "/bot-reply", Some(&signed)).await?;
    Ok(res)
}
