//! `POST /api/setup`: creates or updates a site and its team. Authorised by the deployment's
//! `SETUP_TOKEN` secret, once per site and token; without that secret the endpoint does not
//! exist.

use shared::api::{Engine, SetupRequest, SiteSettings};
use worker::{Method, Request, RouteContext};

use crate::api::valid_site_key;
use crate::crypto::same;
use crate::http::{ApiResult, body, json, refuse};
use crate::internal;

pub async fn setup(mut req: Request, ctx: RouteContext<()>) -> ApiResult {
    let expected = ctx
        .env
        .secret("SETUP_TOKEN")
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refuse(404, "not_found", "Setup is not enabled on this deployment."))?;
    let given = req.headers().get("Authorization")?.unwrap_or_default();
    if !same(given.strip_prefix("Bearer ").unwrap_or(""), &expected) {
        return Err(refuse(401, "unauthorized", "The setup token is missing or wrong."));
    }
    let setup: SetupRequest = body(&mut req).await?;
    validate(&setup)?;
    let stub = internal::site(&ctx.env, &setup.site_key)?;
    let token_hash = crate::crypto::secret_hash(&expected);
    let trusted = [(internal::SETUP_HEADER, token_hash.as_str())];
    let res = internal::send_with(&stub, Method::Post, "/setup", Some(&setup), &trusted).await?;
    match res.status_code() {
        200 => {}
        409 => {
            return Err(refuse(
                409,
                "setup_token_used",
                "This setup token was already used for this site; set a new SETUP_TOKEN to run setup again.",
            ));
        }
        _ => return Err(refuse(500, "internal", "The site could not be set up.")),
    }
    json(&serde_json::json!({ "site_key": setup.site_key }))
}

fn validate(s: &SetupRequest) -> Result<(), crate::http::Refused> {
    let bad = |m: &str| Err(refuse(400, "invalid_setup", m));
    if !valid_site_key(&s.site_key) {
        return bad("A site key is 1 to 40 lowercase letters, digits or '-'.");
    }
    validate_settings(&s.settings)?;
    for m in &s.members {
        if !m.email.contains('@') || m.email.len() > 254 {
            return bad("Every member needs a valid email address.");
        }
        if m.name.chars().count() > 60 {
            return bad("Display names have at most 60 characters.");
        }
        if m.password.chars().count() < 10 {
            return bad("Passwords need at least 10 characters.");
        }
    }
    Ok(())
}

/// What every change of a site's settings must satisfy, from setup or the settings page.
pub fn validate_settings(s: &SiteSettings) -> Result<(), crate::http::Refused> {
    let bad = |m: &str| Err(refuse(400, "invalid_settings", m));
    if s.title.trim().is_empty() || s.title.chars().count() > 80 {
        return bad("The site title needs 1 to 80 characters.");
    }
    let hex = s
        .color
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hex.is_none() {
        return bad("The theme colour is a hex colour like #0f766e.");
    }
    if s.human_button_after > 50 {
        return bad("Show \"Talk to a human\" after at most 50 messages.");
    }
    if s.faq.len() > 500
        || s.faq.iter().any(|e| e.question.trim().is_empty() || e.answer.trim().is_empty())
    {
        return bad("Every question needs an answer (500 pairs at most).");
    }
    if let Some(hours) = &s.business_hours
        && let Err(e) = hours.validate()
    {
        return Err(refuse(400, "invalid_settings", e.to_string()));
    }
    if let Engine::Llm(llm) = &s.engine {
        if !(llm.base_url.starts_with("https://") || llm.base_url.starts_with("http://")) {
            return bad("The model's base URL must start with https:// or http://.");
        }
        if llm.model.trim().is_empty() {
            return bad("Name the model to use.");
        }
        if !(1_000..=60_000).contains(&llm.timeout_ms) {
            return bad("The model's timeout is between 1,000 and 60,000 ms.");
        }
    }
    if let Engine::Webhook(hook) = &s.engine
        && !(hook.url.starts_with("https://") || hook.url.starts_with("http://"))
    {
        return bad("The webhook URL must start with https:// or http://.");
    }
    const WEEK_SECS: u32 = 7 * 24 * 3600;
    let t = &s.takeover;
    if t.unclaimed_timeout_secs > WEEK_SECS || t.assignee_offline_secs > WEEK_SECS {
        return bad("Timeouts are at most a week (604,800 seconds); 0 turns one off.");
    }
    if let Err(e) = shared::texts::validate(&s.texts) {
        return Err(refuse(400, "invalid_settings", e));
    }
    if s.allowed_origins.len() > 100 {
        return bad("List at most 100 allowed origins.");
    }
    for origin in &s.allowed_origins {
        if let Err(e) = shared::origins::validate(origin) {
            return Err(refuse(400, "invalid_settings", e));
        }
    }
    Ok(())
}
