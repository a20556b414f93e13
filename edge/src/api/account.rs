//! `/api/account/…`: what a teammate does by a link from a mail, before signing in: see and
//! accept an invitation, ask for a password reset, set the new password. Same-origin only,
//! and limited per client like sign-ins; the site object checks each link.

use crate::router::Ctx;
use shared::links::{AcceptInvite, ResetFinish, ResetRequest};
use worker::{Method, Request};

use crate::api::admin::same_origin;
use crate::api::valid_site_key;
use crate::http::{ApiResult, body, refuse};
use crate::{internal, limits};

fn expired() -> crate::http::Refused {
    refuse(410, "link_expired", "This link has expired or was already used. Ask for a new one.")
}

fn site_key(key: &str) -> Result<&str, crate::http::Refused> {
    if valid_site_key(key) { Ok(key) } else { Err(expired()) }
}

/// Link secrets are 256 random bits in hex.
fn token(t: &str) -> Result<&str, crate::http::Refused> {
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) { Ok(t) } else { Err(expired()) }
}

/// `POST /api/account/invite/info` with `{site_key, token}`: in the body, not the address,
/// so the secret reaches no request log.
pub async fn invite(mut req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    limits::check(&ctx.env, &req, &limits::LOGIN).await?;
    let ask: shared::links::InviteLink = body(&mut req).await?;
    let stub = internal::site(&ctx.env, site_key(&ask.site_key)?)?;
    let token = serde_json::json!({ "token": token(&ask.token)? });
    Ok(internal::send(&stub, Method::Post, "/invite/info", Some(&token)).await?)
}

/// `POST /api/account/invite`.
pub async fn accept(mut req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    limits::check(&ctx.env, &req, &limits::LOGIN).await?;
    let accept: AcceptInvite = body(&mut req).await?;
    let stub = internal::site(&ctx.env, site_key(&accept.site_key)?)?;
    Ok(internal::send(&stub, Method::Post, "/invite", Some(&accept)).await?)
}

/// `POST /api/account/reset`: the same answer whether or not the email is a teammate's.
pub async fn reset(mut req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    limits::check(&ctx.env, &req, &limits::LOGIN).await?;
    let ask: ResetRequest = body(&mut req).await?;
    if !valid_site_key(&ask.site_key) || shared::validate::email(&ask.email).is_err() {
        return crate::http::json(&serde_json::json!({ "message": shared::links::RESET_SENT }));
    }
    let stub = internal::site(&ctx.env, &ask.site_key)?;
    let res = internal::send(&stub, Method::Post, "/reset", Some(&ask)).await?;
    if res.status_code() == 404 {
        // No such site: answered like any other, so site keys cannot be probed either.
        return crate::http::json(&serde_json::json!({ "message": shared::links::RESET_SENT }));
    }
    Ok(res)
}

/// `POST /api/account/reset/finish`.
pub async fn reset_finish(mut req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    limits::check(&ctx.env, &req, &limits::LOGIN).await?;
    let finish: ResetFinish = body(&mut req).await?;
    let stub = internal::site(&ctx.env, site_key(&finish.site_key)?)?;
    Ok(internal::send(&stub, Method::Post, "/reset/finish", Some(&finish)).await?)
}
