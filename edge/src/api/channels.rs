//! What messaging platforms call: `POST /api/channels/telegram/{site}`, a bot's update. The
//! site checks the secret Telegram sends back and maps the chat to its conversation, which
//! stores what the visitor said before we answer: a 200 means it is kept, and anything else
//! makes Telegram send the update again (stored once, by its message id). The AI's answer is
//! sent afterwards, on the conversation's own time.

use worker::{Method, Request, Response, RouteContext};

use crate::api::valid_site_key;
use crate::http::{ApiResult, read_capped, refuse};
use crate::internal::{self, ChannelRenew, ChannelRoute, ChannelUpdate};

const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";
/// A text update is a few KB; Telegram's largest (a long caption with entities) well under.
const MAX_UPDATE_BYTES: usize = 64 * 1024;

pub async fn telegram(mut req: Request, ctx: RouteContext<()>) -> ApiResult {
    let site_key = ctx
        .param("site")
        .filter(|k| valid_site_key(k))
        .cloned()
        .ok_or_else(|| refuse(404, "unknown_site", "There is no site with that key."))?;
    let secret = req.headers().get(SECRET_HEADER)?.unwrap_or_default();
    if secret.is_empty() || secret.len() > 256 {
        return Err(refuse(401, "bad_secret", "The secret token is missing or wrong."));
    }
    let bytes = read_capped(&mut req, MAX_UPDATE_BYTES).await?;
    let body = String::from_utf8(bytes)
        .map_err(|_| refuse(400, "malformed_update", "The body is not UTF-8 text."))?;
    let site = internal::site(&ctx.env, &site_key)?;
    let update = ChannelUpdate { secret, body };
    let mut res =
        internal::send(&site, Method::Post, "/channels/telegram/in", Some(&update)).await?;
    if res.status_code() != 200 {
        // The site's refusal, worded already (401 bad secret, 404 no bot, 400 not an update).
        return Ok(res);
    }
    let text = res.text().await?;
    if text.is_empty() {
        return Ok(Response::ok("")?);
    }
    let route: ChannelRoute = serde_json::from_str(&text)?;
    let mut to = route.conversation_id;
    for _ in 0..2 {
        let stub = internal::conversation(&ctx.env, &to)?;
        let res = internal::send(&stub, Method::Post, "/channel/in", Some(&route.inbound)).await?;
        match res.status_code() {
            200 => return Ok(Response::ok("")?),
            // Closed for good: the chat's next conversation takes it.
            410 => {
                let renew = ChannelRenew { peer: route.inbound.peer.clone(), ended: to.clone() };
                let mut res =
                    internal::send(&site, Method::Post, "/channels/renew", Some(&renew)).await?;
                to = res.json().await?;
            }
            status => {
                worker::console_error!("channel update to {to}: {status}");
                break;
            }
        }
    }
    Err(refuse(500, "internal", "The update could not be stored; send it again."))
}
