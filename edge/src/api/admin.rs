//! The agents' API: sign-in with an HttpOnly session cookie, the inbox, team, exports and the
//! sockets. Every state-changing request carries the session's CSRF token and comes from this
//! origin; the role is checked again by the object on every action.

use crate::router::Ctx;
use serde::{Deserialize, Serialize};
use shared::api::{LoginRequest, Me};
use worker::{Env, Headers, Method, Request, Response};

use crate::api::{valid_conversation_id, valid_site_key};
use crate::http::{
    ApiResult, MAX_BODY_BYTES, Refused, body, cookie, is_https, is_websocket_upgrade, json,
    read_capped, refuse,
};
use crate::internal::{self, AgentIdentity, SessionCheck, SessionToken};
use crate::{crypto, limits};

/// Under https the cookie is `__Host-` prefixed: the browser then refuses it unless it is
/// Secure, for this exact host and path `/`, so no sibling subdomain can plant or shadow it.
const SESSION_COOKIE: &str = "takeover_session";
const HOST_SESSION_COOKIE: &str = "__Host-takeover_session";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// What the site object answers to a successful login.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginGranted {
    pub token: String,
    pub me: Me,
}

/// A sign-in, as the site object sees it: never the password.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginAttempt {
    pub email: String,
    /// The client's address where the platform tells it, for counting failures.
    #[serde(default)]
    pub client: Option<String>,
}

/// The hash to check a sign-in's password against (a member's, or one of no password).
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginHash {
    pub hash: String,
}

/// What the Worker found checking the password against `hash`.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginOutcome {
    pub email: String,
    #[serde(default)]
    pub client: Option<String>,
    pub hash: String,
    pub verified: bool,
    /// Where the teammate signed in: the console's address for links in team mail.
    #[serde(default)]
    pub origin: Option<String>,
}

/// Browsers send `Origin` on cross-site requests and WebSocket upgrades: refuse any that is
/// not this host, so another site cannot act with a teammate's cookie.
pub fn same_origin(req: &Request) -> Result<(), Refused> {
    let Some(origin) = req.headers().get("Origin")? else { return Ok(()) };
    if origin == req.url()?.origin().ascii_serialization() {
        Ok(())
    } else {
        Err(refuse(403, "cross_origin", "Requests from other sites are not allowed here."))
    }
}

fn cookie_name(req: &Request) -> &'static str {
    if is_https(req) { HOST_SESSION_COOKIE } else { SESSION_COOKIE }
}

fn session_cookie(req: &Request, value: &str, max_age: u32) -> String {
    let secure = if is_https(req) { "; Secure" } else { "" };
    let name = cookie_name(req);
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

fn session_parts(req: &Request) -> Option<(String, String)> {
    let raw = cookie(req, cookie_name(req))?;
    let (site, token) = raw.split_once('.')?;
    let plausible = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    (valid_site_key(site) && plausible).then(|| (site.to_owned(), token.to_owned()))
}

/// The signed-in teammate and their session secret. With `socket_in`, the site also records
/// that this session opens a socket into that conversation.
async fn signed_in(
    req: &Request,
    env: &Env,
    socket_in: Option<&str>,
) -> Result<(SessionCheck, String), Refused> {
    let signed_out = || refuse(401, "unauthorized", "Sign in to continue.");
    let (site_key, token) = session_parts(req).ok_or_else(signed_out)?;
    let stub = internal::site(env, &site_key)?;
    let session = SessionToken { token: token.clone(), socket_in: socket_in.map(str::to_owned) };
    let res = internal::send_idempotent(&stub, Method::Post, "/session", Some(&session)).await?;
    if res.headers().has(internal::NO_CONVERSATION_HEADER)? {
        return Err(refuse(404, UNKNOWN_CONVERSATION, "There is no such conversation."));
    }
    if res.status_code() >= 400 {
        return Err(signed_out());
    }
    Ok((internal::json(&res).await?, token))
}

fn identity(check: SessionCheck, token: &str) -> AgentIdentity {
    AgentIdentity {
        site_key: check.me.site_key,
        agent: check.me.agent,
        role: check.me.role,
        session: crypto::secret_hash(token),
        checked_at: check.checked_at,
    }
}

/// The teammate behind the request's session cookie.
pub async fn session(req: &Request, env: &Env) -> Result<AgentIdentity, Refused> {
    let (me, token) = signed_in(req, env, None).await?;
    Ok(identity(me, &token))
}

/// Like [`session`], for a request that changes something: same origin and a matching CSRF
/// token are required as well.
async fn acting(req: &Request, env: &Env) -> Result<AgentIdentity, Refused> {
    same_origin(req)?;
    let (me, token) = signed_in(req, env, None).await?;
    let given = req.headers().get(CSRF_HEADER)?.unwrap_or_default();
    if !crypto::same(&given, &crypto::csrf_token(&token)) {
        return Err(refuse(403, "csrf", "This request lacks its CSRF token; reload the page."));
    }
    Ok(identity(me, &token))
}

pub async fn login(mut req: Request, ctx: Ctx) -> ApiResult {
    same_origin(&req)?;
    limits::check(&ctx.env, &req, &limits::LOGIN).await?;
    let login: LoginRequest = body(&mut req).await?;
    let wrong = || refuse(401, "wrong_credentials", "That email and password do not match.");
    if !valid_site_key(&login.site_key) {
        return Err(wrong());
    }
    let stub = internal::site(&ctx.env, &login.site_key)?;
    let client = limits::client(&req);
    let attempt = LoginAttempt { email: login.email.clone(), client: client.clone() };
    let res = internal::send(&stub, Method::Post, "/login/check", Some(&attempt)).await?;
    match res.status_code() {
        200 => {}
        429 => {
            let e: shared::api::ApiError = internal::json(&res).await?;
            return Err(refuse(429, "too_many_attempts", e.message));
        }
        _ => return Err(wrong()),
    }
    let LoginHash { hash } = internal::json(&res).await?;
    // The slow check runs here, in the Worker, not in the site object every console needs.
    // Far longer than any password we accept: refused without spending a hash on it.
    let verified =
        login.password.len() <= 1024 && crypto::verify_password(&login.password, &hash).await?;
    let origin = Some(req.url()?.origin().ascii_serialization());
    let outcome = LoginOutcome { email: login.email, client, hash, verified, origin };
    let res = internal::send(&stub, Method::Post, "/login/finish", Some(&outcome)).await?;
    if res.status_code() != 200 {
        return Err(wrong());
    }
    let granted: LoginGranted = internal::json(&res).await?;
    let value = format!("{}.{}", login.site_key, granted.token);
    let headers = Headers::new();
    headers.set("Set-Cookie", &session_cookie(&req, &value, internal::SESSION_DAYS * 86_400))?;
    Ok(Response::from_json(&granted.me)?.with_headers(headers))
}

pub async fn logout(req: Request, ctx: Ctx) -> ApiResult {
    acting(&req, &ctx.env).await?;
    if let Some((site_key, token)) = session_parts(&req) {
        let stub = internal::site(&ctx.env, &site_key)?;
        let session = SessionToken { token, socket_in: None };
        internal::send(&stub, Method::Post, "/logout", Some(&session)).await?;
    }
    let headers = Headers::new();
    headers.set("Set-Cookie", &session_cookie(&req, "", 0))?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

pub async fn me(req: Request, ctx: Ctx) -> ApiResult {
    json(&signed_in(&req, &ctx.env, None).await?.0.me)
}

/// Forwards a request to the site object on behalf of the signed-in teammate; a JSON body,
/// if any, is checked on the way.
async fn to_site(mut req: Request, ctx: &Ctx, path: &str, who: &AgentIdentity) -> ApiResult {
    let method = req.method();
    let raw = if matches!(method, Method::Get | Method::Delete) {
        Vec::new()
    } else {
        read_capped(&mut req, MAX_BODY_BYTES).await?
    };
    let body: Option<serde_json::Value> =
        if raw.is_empty() { None } else { Some(crate::http::parse_json(&raw)?) };
    as_teammate(ctx, who, method, path, body.as_ref()).await
}

/// Sends `body` to the site object as the signed-in teammate `who` (the identity header is
/// the Worker's own, never the browser's).
async fn as_teammate<T: Serialize>(
    ctx: &Ctx,
    who: &AgentIdentity,
    method: Method,
    path: &str,
    body: Option<&T>,
) -> ApiResult {
    let stub = internal::site(&ctx.env, &who.site_key)?;
    let identity = serde_json::to_string(who)?;
    let trusted = [(internal::AGENT_HEADER, identity.as_str())];
    Ok(internal::send_with(&stub, method, path, body, &trusted).await?)
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
    shared::validate::settings(&settings).map_err(|m| refuse(400, "invalid_settings", m))?;
    // The site object words its own refusals (roles, a model host that needs the site's key).
    let res = as_teammate(&ctx, &who, Method::Put, "/settings", Some(&settings)).await?;
    internal::forget_site_config(&who.site_key);
    Ok(res)
}

/// `GET /api/admin/secrets` and the writes under it: owners and admins only (the site object
/// checks the role); values go in, never out.
pub async fn secrets(req: Request, ctx: Ctx) -> ApiResult {
    let who = if req.method() == Method::Get {
        session(&req, &ctx.env).await?
    } else {
        acting(&req, &ctx.env).await?
    };
    let path = req.path().replacen("/api/admin", "", 1);
    to_site(req, &ctx, &path, &who).await
}

/// `GET /api/admin/channels` and `PUT`/`DELETE /api/admin/channels/{telegram,whatsapp}`: owners and
/// admins only (the site object checks the role). The webhook Telegram is pointed at is this
/// deployment's own address, as the console reached it.
pub async fn channels(mut req: Request, ctx: Ctx) -> ApiResult {
    if req.method() == Method::Get {
        let who = session(&req, &ctx.env).await?;
        return to_site(req, &ctx, "/channels", &who).await;
    }
    let who = acting(&req, &ctx.env).await?;
    let path = req.path().replacen("/api/admin", "", 1);
    if req.method() == Method::Delete {
        return as_teammate::<()>(&ctx, &who, Method::Delete, &path, None).await;
    }
    let origin = req.url()?.origin().ascii_serialization();
    if path == "/channels/whatsapp" {
        let ask: shared::api::ConnectWhatsApp = body(&mut req).await?;
        let api_base = ask.api_base.filter(|b| !b.trim().is_empty());
        let connect = internal::ConnectWhatsAppAt {
            phone_number_id: ask.phone_number_id,
            access_token: ask.access_token,
            app_secret: ask.app_secret,
            api_base: api_base.unwrap_or_else(|| shared::api::WHATSAPP_API.into()),
            callback_url: format!("{origin}/api/channels/whatsapp/{}", who.site_key),
        };
        return as_teammate(&ctx, &who, Method::Put, &path, Some(&connect)).await;
    }
    let ask: shared::api::ConnectTelegram = body(&mut req).await?;
    let api_base = ask.api_base.filter(|b| !b.trim().is_empty());
    let connect = internal::ConnectTelegramAt {
        token: ask.token,
        api_base: api_base.unwrap_or_else(|| shared::api::TELEGRAM_API.into()),
        webhook_url: format!("{origin}/api/channels/telegram/{}", who.site_key),
    };
    as_teammate(&ctx, &who, Method::Put, "/channels/telegram", Some(&connect)).await
}

pub async fn usage(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    to_site(req, &ctx, "/usage", &who).await
}

pub async fn tickets_csv(req: Request, ctx: Ctx) -> ApiResult {
    let who = session(&req, &ctx.env).await?;
    to_site(req, &ctx, "/tickets.csv", &who).await
}

/// `GET`/`PUT /api/admin/me/availability`: the teammate's own Available / Away.
pub async fn availability(mut req: Request, ctx: Ctx) -> ApiResult {
    if req.method() == Method::Get {
        let who = session(&req, &ctx.env).await?;
        return to_site(req, &ctx, "/availability", &who).await;
    }
    let who = acting(&req, &ctx.env).await?;
    let set: shared::api::Availability = body(&mut req).await?;
    as_teammate(&ctx, &who, Method::Put, "/availability", Some(&set)).await
}

/// `GET`/`PUT /api/admin/me/email`: which team mail the signed-in teammate gets.
pub async fn email(mut req: Request, ctx: Ctx) -> ApiResult {
    if req.method() == Method::Get {
        let who = session(&req, &ctx.env).await?;
        return to_site(req, &ctx, "/email", &who).await;
    }
    let who = acting(&req, &ctx.env).await?;
    let set: shared::mail::EmailPrefs = body(&mut req).await?;
    as_teammate(&ctx, &who, Method::Put, "/email", Some(&set)).await
}

/// `GET`/`POST /api/admin/invitations`, `DELETE /api/admin/invitations/{id}`: owners and
/// admins invite teammates by email (the site object checks the role).
pub async fn invitations(req: Request, ctx: Ctx) -> ApiResult {
    let who = if req.method() == Method::Get {
        session(&req, &ctx.env).await?
    } else {
        acting(&req, &ctx.env).await?
    };
    let path = match ctx.param("id") {
        Some(id) if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("/invitations/{id}")
        }
        Some(_) => return Err(refuse(404, "not_found", "There is no such invitation.")),
        None => "/invitations".to_owned(),
    };
    to_site(req, &ctx, &path, &who).await
}

/// `/api/admin/hooks…`: the site's webhook endpoints and their deliveries (owners and admins;
/// the site object checks the role).
pub async fn hooks(req: Request, ctx: Ctx) -> ApiResult {
    let who = if req.method() == Method::Get {
        session(&req, &ctx.env).await?
    } else {
        acting(&req, &ctx.env).await?
    };
    let hex32 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let rest = req.path().trim_start_matches("/api/admin/hooks").to_owned();
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let fits = match parts.as_slice() {
        [] => true,
        [id] | [id, "rotate" | "test" | "deliveries"] => hex32(id),
        [id, "deliveries", n, "redeliver"] => {
            hex32(id) && n.len() <= 18 && n.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if !fits {
        return Err(refuse(404, "not_found", "There is no such endpoint."));
    }
    to_site(req, &ctx, &format!("/hooks{rest}"), &who).await
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

const UNKNOWN_CONVERSATION: &str = "unknown_conversation";

fn conversation_id(ctx: &Ctx) -> Result<String, Refused> {
    ctx.param("id")
        .filter(|id| valid_conversation_id(id))
        .cloned()
        .ok_or_else(|| refuse(404, UNKNOWN_CONVERSATION, "There is no such conversation."))
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
        500.. => Err(refuse(
            503,
            "unavailable",
            "This conversation cannot be read right now; try again in a moment.",
        )),
        _ => Err(refuse(404, "unknown_conversation", "There is no such conversation.")),
    }
}

/// `POST /api/admin/conversations/{id}/assist`: a draft from the site's model for the
/// teammate's composer (the conversation object checks the teammate and the engine).
pub async fn assist(mut req: Request, ctx: Ctx) -> ApiResult {
    let who = acting(&req, &ctx.env).await?;
    let id = conversation_id(&ctx)?;
    let teammate = format!("{}/{}", who.site_key, who.agent.id);
    let ask: shared::api::AssistRequest = body(&mut req).await?;
    let limit = match ask.action {
        shared::llm::Assist::TranslateForTeam => &limits::TRANSLATE,
        _ => &limits::ASSIST,
    };
    limits::check_key(&ctx.env, teammate, limit).await?;
    if let Some((code, why)) = ask.refusal() {
        return Err(refuse(400, code, why));
    }
    let stub = internal::conversation(&ctx.env, &id)?;
    let identity = serde_json::to_string(&who)?;
    let trusted = [(internal::AGENT_HEADER, identity.as_str())];
    Ok(internal::send_with(&stub, Method::Post, "/assist", Some(&ask), &trusted).await?)
}

fn upgrade_checks(req: &Request) -> Result<(), Refused> {
    if !is_websocket_upgrade(req) {
        return Err(refuse(426, "upgrade_required", "This endpoint speaks WebSocket only."));
    }
    same_origin(req)
}

pub async fn conversation_socket(req: Request, ctx: Ctx) -> ApiResult {
    upgrade_checks(&req)?;
    limits::check(&ctx.env, &req, &limits::SOCKET).await?;
    // Refused after the upgrade, not before, so that the console hears why and stops asking
    // (the deployment's storage was reset, a wrong link, another site's conversation): after
    // the sign-in is checked, so that only a teammate learns even that.
    let gone = || crate::sockets::no_conversation("This conversation does not exist.");
    let id = conversation_id(&ctx).ok();
    let (me, token) = match signed_in(&req, &ctx.env, id.as_deref()).await {
        Err(r) if r.code == UNKNOWN_CONVERSATION => return Ok(gone()?),
        signed => signed?,
    };
    let Some(id) = id else { return Ok(gone()?) };
    let who = identity(me, &token);
    let stub = internal::conversation(&ctx.env, &id)?;
    let client = limits::client(&req);
    let res = internal::upgrade(&stub, "/ws", Some(&who), client.as_deref()).await?;
    if res.headers().has(internal::NO_CONVERSATION_HEADER)? {
        return Ok(gone()?);
    }
    Ok(res)
}

pub async fn inbox_socket(req: Request, ctx: Ctx) -> ApiResult {
    upgrade_checks(&req)?;
    limits::check(&ctx.env, &req, &limits::SOCKET).await?;
    let who = session(&req, &ctx.env).await?;
    let stub = internal::site(&ctx.env, &who.site_key)?;
    Ok(internal::upgrade(&stub, "/inbox/ws", Some(&who), None).await?)
}
