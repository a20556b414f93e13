//! What messaging platforms call: a Telegram bot's updates (`POST
//! /api/channels/telegram/{site}`), WhatsApp's subscription handshake and webhooks (`GET` and
//! `POST /api/channels/whatsapp/{site}`). The site checks the platform's secret or signature
//! and maps each chat to its conversation, which stores what the visitor said before we
//! answer: a 200 means it is kept, and anything else makes the platform send it again (stored
//! once, by its message id). Answers to the visitor go out afterwards, on the conversation's
//! own time.

use crate::router::Ctx;
use shared::channel::ChannelKind;
use worker::{Method, Request, Response, Stub};

use crate::api::valid_site_key;
use crate::http::{ApiResult, read_capped, refuse};
use crate::internal::{self, ChannelRenew, ChannelRoute, ChannelUpdate, Handshake};

const TELEGRAM_SECRET: &str = "X-Telegram-Bot-Api-Secret-Token";
const WHATSAPP_SIGNATURE: &str = "X-Hub-Signature-256";
/// A text update is a few KB; the platforms' largest (a batch of messages, a long caption)
/// well under.
const MAX_UPDATE_BYTES: usize = 256 * 1024;

fn site_key(ctx: &Ctx) -> Result<String, crate::http::Refused> {
    ctx.param("site")
        .filter(|k| valid_site_key(k))
        .cloned()
        .ok_or_else(|| refuse(404, "unknown_site", "There is no site with that key."))
}

pub async fn telegram(req: Request, ctx: Ctx) -> ApiResult {
    take(req, ctx, ChannelKind::Telegram).await
}

pub async fn whatsapp(req: Request, ctx: Ctx) -> ApiResult {
    take(req, ctx, ChannelKind::WhatsApp).await
}

/// `GET /api/channels/whatsapp/{site}?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`:
/// the challenge back, as text, when the verify token is the site's.
pub async fn whatsapp_handshake(req: Request, ctx: Ctx) -> ApiResult {
    let site_key = site_key(&ctx)?;
    let url = req.url()?;
    let param = |name: &str| {
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    let ask = Handshake {
        mode: param("hub.mode"),
        verify_token: param("hub.verify_token"),
        challenge: param("hub.challenge"),
    };
    if ask.challenge.is_empty() || ask.challenge.len() > 200 || ask.verify_token.len() > 200 {
        return Err(refuse(
            400,
            "malformed_handshake",
            "hub.challenge and hub.verify_token are needed.",
        ));
    }
    let site = internal::site(&ctx.env, &site_key)?;
    Ok(internal::send(&site, Method::Post, "/channels/whatsapp/verify", Some(&ask)).await?)
}

async fn take(mut req: Request, ctx: Ctx, kind: ChannelKind) -> ApiResult {
    let site_key = site_key(&ctx)?;
    let (header, path) = match kind {
        ChannelKind::Telegram => (TELEGRAM_SECRET, "/channels/telegram/in"),
        ChannelKind::WhatsApp => (WHATSAPP_SIGNATURE, "/channels/whatsapp/in"),
    };
    let secret = req.headers().get(header)?.unwrap_or_default();
    if secret.is_empty() || secret.len() > 256 {
        return Err(refuse(401, "bad_secret", format!("{header} is missing or wrong.")));
    }
    let bytes = read_capped(&mut req, MAX_UPDATE_BYTES).await?;
    let body = String::from_utf8(bytes)
        .map_err(|_| refuse(400, "malformed_update", "The body is not UTF-8 text."))?;
    let site = internal::site(&ctx.env, &site_key)?;
    let update = ChannelUpdate { secret, body };
    let res = internal::send(&site, Method::Post, path, Some(&update)).await?;
    if res.status_code() != 200 {
        // The site's refusal, worded already (401 bad secret, 404 not connected, 400 not a
        // webhook).
        return Ok(res);
    }
    let routes: Vec<ChannelRoute> = internal::json(&res).await?;
    for route in routes {
        deliver(&ctx, &site, route).await?;
    }
    Ok(Response::ok("")?)
}

/// Hands one message to its conversation; a conversation closed for good hands the chat to
/// its next one, once.
async fn deliver(ctx: &Ctx, site: &Stub, route: ChannelRoute) -> Result<(), crate::http::Refused> {
    let mut to = route.conversation_id;
    for _ in 0..2 {
        let stub = internal::conversation(&ctx.env, &to)?;
        let res = internal::send(&stub, Method::Post, "/channel/in", Some(&route.inbound)).await?;
        match res.status_code() {
            200 => return Ok(()),
            410 => {
                let renew = ChannelRenew { peer: route.inbound.peer.clone(), ended: to.clone() };
                let res =
                    internal::send(site, Method::Post, "/channels/renew", Some(&renew)).await?;
                to = internal::json(&res).await?;
            }
            status => {
                worker::console_error!("channel message to {to}: {status}");
                break;
            }
        }
    }
    Err(refuse(500, "internal", "The message could not be stored; send it again."))
}
