//! The agents' API: sign-in with an HttpOnly session cookie, the inbox, and the sockets.
//! The role is checked again by the object on every action.

use serde::{Deserialize, Serialize};
use shared::api::{LoginRequest, Me};
use worker::{Env, Headers, Method, Request, Response, RouteContext};

use crate::api::{valid_conversation_id, valid_site_key};
use crate::http::{ApiResult, Refused, body, cookie, is_https, is_websocket_upgrade, json, refuse};
use crate::internal::{self, AgentIdentity, SessionToken};

type Ctx = RouteContext<()>;

const SESSION_COOKIE: &str = "takeover_session";
const SESSION_DAYS: u32 = 14;

/// What the site object answers to a successful login.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginGranted {
    pub token: String,
    pub me: Me,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Browsers send `Origin` on cross-site requests and WebSocket upgrades: refuse any that is
/// not this host, so another site cannot act with a teammate's cookie.
fn same_origin(req: &Request) -> Result<(), Refused> {
    let Some(origin) = req.headers().get("Origin")? else {
        return Ok(());
    };
    let url = req.url()?;
    let host = url.host_str().unwrap_or_default();
    let own = match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    };
    if origin == own {
        Ok(())
    } else {
        Err(refuse(403, "cross_origin", "Requests from other sites are not allowed here."))
    }
}

fn session_cookie(req: &Request, value: &str, max_age: u32) -> String {
    let secure = if is_https(req) { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

fn session_parts(req: &Request) -> Option<(String, String)> {
    let raw = cookie(req, SESSION_COOKIE)?;
    let (site, token) = raw.split_once('.')?;
    valid_site_key(site).then(|| (site.to_owned(), token.to_owned()))
}

/// The teammate behind the request's session cookie.
pub async fn session(req: &Request, env: &Env) -> Result<AgentIdentity, Refused> {
    let signed_out = || refuse(401, "unauthorized", "Sign in to continue.");
    let (site_key, token) = session_parts(req).ok_or_else(signed_out)?;
    let stub = internal::site(env, &site_key)?;
    let me: Me = internal::ask(&stub, Method::Post, "/session", Some(&SessionToken { token }))
        .await?
        .ok_or_else(signed_out)?;
    Ok(AgentIdentity { site_key: me.site_key, agent: me.agent, role: me.role })
}

pub async fn login(mut req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    let login: LoginRequest = body(&mut req).await?;
    let wrong = || refuse(401, "wrong_credentials", "That email and password do not match.");
    if !valid_site_key(&login.site_key) {
        return Err(wrong());
    }
    let stub = internal::site(&ctx.env, &login.site_key)?;
    let creds = Credentials { email: login.email, password: login.password };
    let granted: LoginGranted =
        internal::ask(&stub, Method::Post, "/login", Some(&creds)).await?.ok_or_else(wrong)?;
    let value = format!("{}.{}", login.site_key, granted.token);
    let headers = Headers::new();
    headers.set("Set-Cookie", &session_cookie(&req, &value, SESSION_DAYS * 86_400))?;
    Ok(Response::from_json(&granted.me)?.with_headers(headers))
}

pub async fn logout(req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    if let Some((site_key, token)) = session_parts(&req) {
        let stub = internal::site(&ctx.env, &site_key)?;
        internal::send(&stub, Method::Post, "/logout", Some(&SessionToken { token })).await?;
    }
    let headers = Headers::new();
    headers.set("Set-Cookie", &session_cookie(&req, "", 0))?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

pub async fn me(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    let stub = internal::site(&ctx.env, &who.site_key)?;
    let token = session_parts(&req).map(|(_, t)| t).unwrap_or_default();
    let me: Me = internal::ask(&stub, Method::Post, "/session", Some(&SessionToken { token }))
        .await?
        .ok_or_else(|| refuse(401, "unauthorized", "Sign in to continue."))?;
    json(&me)
}

pub async fn conversations(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    let stub = internal::site(&ctx.env, &who.site_key)?;
    Ok(internal::send::<()>(&stub, Method::Get, "/conversations", None).await?)
}

fn upgrade_checks(req: &Request) -> Result<(), Refused> {
    if !is_websocket_upgrade(req) {
        return Err(refuse(426, "upgrade_required", "This endpoint speaks WebSocket only."));
    }
    same_origin(req)
}

pub async fn conversation_socket(req: Request, ctx: Ctx) -> ApiResult {
    upgrade_checks(&req)?;
    let id = ctx
        .param("id")
        .filter(|id| valid_conversation_id(id))
        .ok_or_else(|| refuse(404, "unknown_conversation", "There is no such conversation."))?;
    let who = session(&req, &ctx.env).await?;
    let stub = internal::conversation(&ctx.env, id)?;
    Ok(internal::upgrade(&stub, "/ws", Some(&who)).await?)
}

pub async fn inbox_socket(req: Request, ctx: Ctx) -> ApiResult {
    upgrade_checks(&req)?;
    let who = session(&req, &ctx.env).await?;
    let stub = internal::site(&ctx.env, &who.site_key)?;
    Ok(internal::upgrade(&stub, "/inbox/ws", Some(&who)).await?)
}
