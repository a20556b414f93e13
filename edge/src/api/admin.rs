//! The agents' API: sign-in with an HttpOnly session cookie, the inbox, team, exports and the
//! sockets. Every state-changing request carries the session's CSRF token and comes from this
//! origin; the role is checked again by the object on every action.

use serde::{Deserialize, Serialize};
use shared::api::{LoginRequest, Me};
use worker::{Env, Headers, Method, Request, Response, RouteContext};

use crate::api::{valid_conversation_id, valid_site_key};
use crate::crypto;
use crate::http::{ApiResult, Refused, body, cookie, is_https, is_websocket_upgrade, json, refuse};
use crate::internal::{self, AgentIdentity, SessionToken};

type Ctx = RouteContext<()>;

const SESSION_COOKIE: &str = "takeover_session";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

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
    /// The client's address where the platform tells it, for rate limiting.
    #[serde(default)]
    pub client: Option<String>,
}

/// Browsers send `Origin` on cross-site requests and WebSocket upgrades: refuse any that is
/// not this host, so another site cannot act with a teammate's cookie.
fn same_origin(req: &Request) -> Result<(), Refused> {
    let Some(origin) = req.headers().get("Origin")? else { return Ok(()) };
    if origin == req.url()?.origin().ascii_serialization() {
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

async fn signed_in(req: &Request, env: &Env) -> Result<(Me, String), Refused> {
    let signed_out = || refuse(401, "unauthorized", "Sign in to continue.");
    let (site_key, token) = session_parts(req).ok_or_else(signed_out)?;
    let stub = internal::site(env, &site_key)?;
    let session = SessionToken { token: token.clone() };
    let me: Me = internal::ask(&stub, Method::Post, "/session", Some(&session))
        .await?
        .ok_or_else(signed_out)?;
    Ok((me, token))
}

/// The teammate behind the request's session cookie.
pub async fn session(req: &Request, env: &Env) -> Result<AgentIdentity, Refused> {
    let (me, _) = signed_in(req, env).await?;
    Ok(AgentIdentity { site_key: me.site_key, agent: me.agent, role: me.role })
}

/// Like [`session`], for a request that changes something: same origin and a matching CSRF
/// token are required as well.
async fn acting(req: &Request, env: &Env) -> Result<AgentIdentity, Refused> {
    same_origin(req)?;
    let (me, token) = signed_in(req, env).await?;
    let given = req.headers().get(CSRF_HEADER)?.unwrap_or_default();
    if !crypto::same(&given, &crypto::csrf_token(&token)) {
        return Err(refuse(403, "csrf", "This request lacks its CSRF token; reload the page."));
    }
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
    let client = req.headers().get("CF-Connecting-IP")?;
    let creds = Credentials { email: login.email, password: login.password, client };
    let mut res = internal::send(&stub, Method::Post, "/login", Some(&creds)).await?;
    match res.status_code() {
        200 => {}
        429 => {
            let e: shared::api::ApiError = res.json().await?;
            return Err(refuse(429, "too_many_attempts", e.message));
        }
        _ => return Err(wrong()),
    }
    let granted: LoginGranted = res.json().await?;
    let value = format!("{}.{}", login.site_key, granted.token);
    let headers = Headers::new();
    headers.set("Set-Cookie", &session_cookie(&req, &value, internal::SESSION_DAYS * 86_400))?;
    Ok(Response::from_json(&granted.me)?.with_headers(headers))
}

pub async fn logout(req: Request, ctx: Ctx) -> ApiResult {
    acting(&req, &ctx.env).await?;
    if let Some((site_key, token)) = session_parts(&req) {
        let stub = internal::site(&ctx.env, &site_key)?;
        internal::send(&stub, Method::Post, "/logout", Some(&SessionToken { token })).await?;
    }
    let headers = Headers::new();
    headers.set("Set-Cookie", &session_cookie(&req, "", 0))?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

pub async fn me(req: Request, ctx: Ctx) -> ApiResult {
    json(&signed_in(&req, &ctx.env).await?.0)
}

/// Forwards a request to the site object on behalf of the signed-in teammate.
async fn to_site(mut req: Request, ctx: &Ctx, path: &str, who: &AgentIdentity) -> ApiResult {
    let method = req.method();
    let raw = if matches!(method, Method::Get | Method::Delete) {
        None
    } else {
        Some(body::<serde_json::Value>(&mut req).await?)
    };
    let stub = internal::site(&ctx.env, &who.site_key)?;
    let identity = serde_json::to_string(who)?;
    let trusted = [(internal::AGENT_HEADER, identity.as_str())];
    Ok(internal::send_with(&stub, method, path, raw.as_ref(), &trusted).await?)
}

pub async fn conversations(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    to_site(req, &ctx, "/conversations", &who).await
}

pub async fn tickets(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    to_site(req, &ctx, "/tickets", &who).await
}

/// `GET /api/admin/settings` for every teammate; `PUT` for owners and admins (the site object
/// checks the role).
pub async fn settings(mut req: Request, ctx: Ctx) -> ApiResult {
    if req.method() == Method::Get {
        let who = session(&req, &ctx.env).await?;
        return to_site(req, &ctx, "/settings", &who).await;
    }
    let who = acting(&req, &ctx.env).await?;
    let settings: shared::api::SiteSettings = body(&mut req).await?;
    crate::api::setup::validate_settings(&settings)?;
    let stub = internal::site(&ctx.env, &who.site_key)?;
    let identity = serde_json::to_string(&who)?;
    let trusted = [(internal::AGENT_HEADER, identity.as_str())];
    let res =
        internal::send_with(&stub, Method::Put, "/settings", Some(&settings), &trusted).await?;
    match res.status_code() {
        200 => Ok(res),
        403 => Err(refuse(403, "forbidden", "Only owners and admins change the settings.")),
        _ => Err(refuse(500, "internal", "The settings could not be saved.")),
    }
}

pub async fn usage(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    to_site(req, &ctx, "/usage", &who).await
}

pub async fn tickets_csv(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    to_site(req, &ctx, "/tickets.csv", &who).await
}

/// `GET/POST /api/admin/team` and `PATCH/DELETE /api/admin/team/{id}`; `PATCH /api/admin/me`.
pub async fn team(req: Request, ctx: Ctx) -> ApiResult {
    let who = if req.method() == Method::Get {
        session(&req, &ctx.env).await?
    } else {
        acting(&req, &ctx.env).await?
    };
    let path = match ctx.param("id") {
        Some(id) => format!("/team/{id}"),
        None if req.path() == "/api/admin/me" => format!("/team/{}", who.agent.id),
        None => "/team".to_owned(),
    };
    to_site(req, &ctx, &path, &who).await
}

fn conversation_id(ctx: &Ctx) -> Result<String, Refused> {
    ctx.param("id")
        .filter(|id| valid_conversation_id(id))
        .cloned()
        .ok_or_else(|| refuse(404, "unknown_conversation", "There is no such conversation."))
}

/// The transcript as JSON, or as text with `?format=text`.
pub async fn transcript(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    let id = conversation_id(&ctx)?;
    let text = req.url()?.query_pairs().any(|(k, v)| k == "format" && v == "text");
    let path = if text { "/transcript?format=text" } else { "/transcript" };
    let stub = internal::conversation(&ctx.env, &id)?;
    let identity = serde_json::to_string(&who)?;
    let trusted = [(internal::AGENT_HEADER, identity.as_str())];
    let res = internal::send_with::<()>(&stub, Method::Get, path, None, &trusted).await?;
    match res.status_code() {
        200 => Ok(res),
        _ => Err(refuse(404, "unknown_conversation", "There is no such conversation.")),
    }
}

fn upgrade_checks(req: &Request) -> Result<(), Refused> {
    if !is_websocket_upgrade(req) {
        return Err(refuse(426, "upgrade_required", "This endpoint speaks WebSocket only."));
    }
    same_origin(req)
}

pub async fn conversation_socket(req: Request, ctx: Ctx) -> ApiResult {
    upgrade_checks(&req)?;
    let id = conversation_id(&ctx)?;
    let who = session(&req, &ctx.env).await?;
    let stub = internal::conversation(&ctx.env, &id)?;
    Ok(internal::upgrade(&stub, "/ws", Some(&who)).await?)
}

pub async fn inbox_socket(req: Request, ctx: Ctx) -> ApiResult {
    upgrade_checks(&req)?;
    let who = session(&req, &ctx.env).await?;
    let stub = internal::site(&ctx.env, &who.site_key)?;
    Ok(internal::upgrade(&stub, "/inbox/ws", Some(&who)).await?)
}
