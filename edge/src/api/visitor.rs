//! What the widget calls. These endpoints are public and cross-origin: visitors are identified
//! by their conversation token, never by cookies, so `*` CORS is safe here.

use crate::router::Ctx;
use shared::api::{
    ContinueConversation, ConversationCreated, NewConversation, ResumeConversation, WidgetConfig,
};
use worker::{Date, Headers, Method, Request, Response, Result};

use crate::api::{valid_conversation_id, valid_site_key};
use crate::http::{ApiResult, Refused, is_websocket_upgrade, read_capped, refuse};
use crate::internal::{self, InitConversation};
use crate::{crypto, limits};

/// Refusals carry CORS headers too, so the widget can read why it was refused.
fn cors_finish(outcome: ApiResult) -> ApiResult {
    let mut res = crate::http::finish(outcome)?;
    // Answers differ by the page's origin once a site restricts origins.
    res.headers_mut().set("Vary", "Origin")?;
    cors(res)
}

fn cors(res: Response) -> ApiResult {
    let headers = Headers::new();
    for (k, v) in res.headers().entries() {
        headers.set(&k, &v)?;
    }
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", "Content-Type")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    headers.set("Access-Control-Expose-Headers", "Retry-After")?;
    Ok(res.with_headers(headers))
}

pub fn preflight() -> Result<Response> {
    crate::http::finish(cors(Response::empty()?.with_status(204)))
}

fn site_key(ctx: &Ctx) -> Result<String, Refused> {
    ctx.param("site")
        .filter(|k| valid_site_key(k))
        .cloned()
        .ok_or_else(|| refuse(404, "unknown_site", "There is no site with that key."))
}

/// The site's widget settings, for a page the site allows to embed the widget. Pages on this
/// deployment (the `/chat` page) and callers that send no `Origin` (not a browser page) pass.
async fn widget_config(req: &Request, ctx: &Ctx, key: &str) -> Result<WidgetConfig, Refused> {
    Ok(allowed_site(req, ctx, key).await?.widget)
}

/// The site's configuration, if the page asking may embed its chat.
async fn allowed_site(
    req: &Request,
    ctx: &Ctx,
    key: &str,
) -> Result<internal::SiteConfig, Refused> {
    let site = internal::site_config(&ctx.env, key)
        .await?
        .ok_or_else(|| refuse(404, "unknown_site", "There is no site with that key."))?;
    let own = req.url()?.origin().ascii_serialization();
    if let Some(origin) = req.headers().get("Origin")?
        && origin != own
        && !shared::origins::allowed(&site.allowed_origins, &origin)
    {
        return Err(refuse(
            403,
            "origin_not_allowed",
            format!(
                "This chat is not enabled on {origin}. The site owner can add it under \
                 Settings → Allowed origins."
            ),
        ));
    }
    Ok(site)
}

pub async fn config(req: Request, ctx: Ctx) -> ApiResult {
    cors_finish(config_for(req, ctx).await)
}

async fn config_for(req: Request, ctx: Ctx) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CONFIG).await?;
    let key = site_key(&ctx)?;
    let config = widget_config(&req, &ctx, &key).await?;
    let mut res = Response::from_json(&config)?;
    // Settings change rarely; a minute of caching spares a request on most page views.
    res.headers_mut().set("Cache-Control", "public, max-age=60")?;
    Ok(res)
}

/// The widget's strings in a language (English for any it does not speak): the same for every
/// site, changed only by a deploy.
pub fn texts(ctx: &Ctx) -> Result<Response> {
    let lang = ctx.param("lang").map(String::as_str).unwrap_or_default();
    let mut res = Response::from_json(&shared::widget_texts::for_tag(lang).to_json())?;
    res.headers_mut().set("Cache-Control", "public, max-age=3600")?;
    crate::http::finish(cors(res))
}

pub async fn create(req: Request, ctx: Ctx) -> ApiResult {
    cors_finish(create_for(req, ctx).await)
}

/// A first contact carries a page address and a language tag: a few KB at most.
const MAX_CREATE_BYTES: usize = 8 * 1024;

async fn create_for(mut req: Request, ctx: Ctx) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CREATE).await?;
    let key = site_key(&ctx)?;
    let raw = read_capped(&mut req, MAX_CREATE_BYTES).await?;
    let meta: NewConversation =
        if raw.is_empty() { NewConversation::default() } else { crate::http::parse_json(&raw)? };
    let site = allowed_site(&req, &ctx, &key).await?;
    let conversation_id = crypto::new_id()?;
    let token = crypto::new_secret()?;
    let init = InitConversation {
        conversation_id: conversation_id.clone(),
        site_key: key,
        token_hash: crypto::secret_hash(&token),
        created_at: Date::now().as_millis() as i64,
        user_agent: req
            .headers()
            .get("User-Agent")?
            .map(|ua| shared::clean::name(&ua).chars().take(400).collect()),
        meta: NewConversation {
            page_url: meta.page_url.as_deref().and_then(shared::clean::page_url),
            language: meta.language.as_deref().and_then(shared::clean::language_tag),
        },
        hook_events: site.hook_events,
        channel: None,
    };
    let stub = internal::conversation(&ctx.env, &conversation_id)?;
    let res = internal::send(&stub, Method::Post, "/init", Some(&init)).await?;
    if res.status_code() != 200 {
        return Err(refuse(500, "internal", "The conversation could not be started."));
    }
    let created = ConversationCreated { conversation_id, token };
    Ok(Response::from_json(&created)?.with_status(201))
}

pub async fn resume(req: Request, ctx: Ctx) -> ApiResult {
    cors_finish(resume_for(req, ctx).await)
}

/// A link from the mail with the replies a visitor missed: its conversation, with a
/// credential for this device. A link that is not this site's, expired or altered opens
/// nothing, and says only that.
async fn resume_for(mut req: Request, ctx: Ctx) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CREATE).await?;
    let key = site_key(&ctx)?;
    let raw = read_capped(&mut req, 1024).await?;
    let ask: ResumeConversation = crate::http::parse_json(&raw)?;
    allowed_site(&req, &ctx, &key).await?;
    let spent = || refuse(410, "link_expired", "This link has expired or is not valid.");
    let link = ask.link.trim();
    // The conversation checks the rest: the MAC covers its visitor's address.
    let (conversation_id, _, _) = crate::mail::resume_parts(link).ok_or_else(spent)?;
    let grant = internal::Grant {
        site_key: key,
        kind: crate::conversation::GrantKind::Link,
        link: Some(link.to_owned()),
        user_id: None,
    };
    let token = internal::grant(&ctx.env, conversation_id, &grant).await?.ok_or_else(spent)?;
    let resumed = ConversationCreated { conversation_id: conversation_id.to_owned(), token };
    Ok(Response::from_json(&resumed)?)
}

pub async fn continue_as(req: Request, ctx: Ctx) -> ApiResult {
    cors_finish(continue_for(req, ctx).await)
}

/// A signed-in user on another device: their most recent conversation, with a credential for
/// this device, instead of a new one (see `site::continuity`).
async fn continue_for(mut req: Request, ctx: Ctx) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CREATE).await?;
    let key = site_key(&ctx)?;
    let raw = read_capped(&mut req, 8 * 1024).await?;
    let ask: ContinueConversation = crate::http::parse_json(&raw)?;
    allowed_site(&req, &ctx, &key).await?;
    let stub = internal::site(&ctx.env, &key)?;
    let res = internal::send(&stub, Method::Post, "/continue", Some(&ask)).await?;
    match res.status_code() {
        200 => Ok(Response::from_json(&internal::json::<ConversationCreated>(&res).await?)?),
        404 => Err(refuse(404, "no_conversation", "This user has no recent conversation here.")),
        401 => {
            let why = internal::text(&res).await.unwrap_or_default();
            Err(refuse(401, "identity_refused", format!("The identity token was refused: {why}")))
        }
        _ => Err(refuse(500, "internal", "The conversation could not be continued.")),
    }
}

/// The visitor's socket. The token is checked by the object on the hello frame.
pub async fn socket(req: Request, ctx: Ctx) -> ApiResult {
    if !is_websocket_upgrade(&req) {
        return Err(refuse(426, "upgrade_required", "This endpoint speaks WebSocket only."));
    }
    limits::check(&ctx.env, &req, &limits::SOCKET).await?;
    let gone =
        || crate::sockets::no_conversation("There is no such conversation: a new one starts.");
    let Some(id) = ctx.param("id").filter(|id| valid_conversation_id(id)) else {
        return Ok(gone()?);
    };
    let stub = internal::conversation(&ctx.env, id)?;
    let client = crate::limits::client(&req);
    let res = internal::upgrade(&stub, "/ws", None, client.as_deref()).await?;
    // The object holds no conversation (the deployment's storage was reset, or the id was
    // made up).
    if res.status_code() == 404 && res.headers().has(internal::NO_CONVERSATION_HEADER)? {
        return Ok(gone()?);
    }
    Ok(res)
}
