//! The site's own secrets: its model API key and its bot's signing secrets. Write-only from
//! the console (owners and admins see a hint, never a value), sealed by [`crate::vault`], and
//! opened only to sign or to call, inside the objects.

use serde::Deserialize;
use shared::api::{CreatedSecret, ModelKey, SecretInfo, SecretsStatus};
use shared::channel::ChannelKind;
use shared::protocol::Millis;
use worker::{Env, Request, Response, Result, console_error};

use super::Site;
use crate::sql::{self, int, opt_text, text};
use crate::vault::{Vault, VaultError};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS secrets (
  name TEXT PRIMARY KEY, sealed TEXT NOT NULL, hint TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER, endpoint TEXT);
";

const MODEL_KEY: &str = "model_key";
const WEBHOOK: &str = "webhook";
const WEBHOOK_PREVIOUS: &str = "webhook_previous";
const IDENTITY: &str = "identity";
const IDENTITY_PREVIOUS: &str = "identity_previous";
/// After a rotation the old signing secret stays valid this long, so the owner's bot can
/// switch without refusing anything meanwhile.
pub const ROTATION_OVERLAP_MS: Millis = 24 * 3600 * 1000;
const MAX_MODEL_KEY_CHARS: usize = 500;

/// Where the deployment's own `LLM_API_KEY` may be sent: `LLM_BASE_URL`, by default OpenAI's.
pub fn deployment_model_url(env: &Env) -> String {
    env.var("LLM_BASE_URL")
        .map(|v| v.to_string())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "https://api.openai.com/v1".to_owned())
}

#[derive(Deserialize)]
pub(super) struct Row {
    sealed: String,
    pub hint: String,
    pub created_at: i64,
    expires_at: Option<i64>,
    pub endpoint: Option<String>,
}

use crate::now;

pub(super) fn row(site: &Site, name: &str) -> Result<Option<Row>> {
    sql::first(
        &site.sql(),
        "SELECT sealed, hint, created_at, expires_at, endpoint FROM secrets
         WHERE name = ? AND (expires_at IS NULL OR expires_at > ?)",
        vec![text(name), int(now())],
    )
}

fn info(r: Row) -> SecretInfo {
    SecretInfo {
        hint: r.hint,
        created_at: r.created_at,
        expires_at: r.expires_at,
        endpoint: r.endpoint,
    }
}

/// Where a secret is sealed: the site and the secret's name, so it opens nowhere else.
fn place(site_key: &str, name: &str) -> String {
    format!("{site_key}/{name}")
}

pub(super) fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

pub(super) fn no_vault() -> Result<Response> {
    refuse(
        503,
        "secrets_unavailable",
        "This deployment cannot store secrets: its operator must set SECRETS_KEY.",
    )
}

pub fn status(site: &Site) -> Result<Response> {
    Response::from_json(&SecretsStatus {
        model_key: row(site, MODEL_KEY)?.map(info),
        webhook: row(site, WEBHOOK)?.map(info),
        webhook_previous: row(site, WEBHOOK_PREVIOUS)?.map(info),
        identity: row(site, IDENTITY)?.map(info),
        identity_previous: row(site, IDENTITY_PREVIOUS)?.map(info),
        deployment_model_url: deployment_model_url(&site.env),
        vault: Vault::from_env(&site.env).is_ok(),
    })
}

/// A new value for the secret `name` (for `endpoint` only, when given).
pub(super) struct Stored<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub hint: String,
    pub endpoint: Option<&'a str>,
}

fn store(site: &Site, site_key: &str, new: Stored<'_>) -> Result<Response> {
    if !keep(site, site_key, new)? {
        return no_vault();
    }
    status(site)
}

/// Seals and stores `new`; `false` when the deployment cannot store secrets.
pub(super) fn keep(site: &Site, site_key: &str, new: Stored<'_>) -> Result<bool> {
    let Ok(vault) = Vault::from_env(&site.env) else { return Ok(false) };
    let sealed = vault.seal(&place(site_key, new.name), new.value)?;
    sql::run(
        &site.sql(),
        "INSERT INTO secrets (name, sealed, hint, created_at, expires_at, endpoint)
         VALUES (?, ?, ?, ?, NULL, ?)
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, hint = excluded.hint,
           created_at = excluded.created_at, expires_at = NULL, endpoint = excluded.endpoint",
        vec![text(new.name), text(sealed), text(new.hint), int(now()), opt_text(new.endpoint)],
    )?;
    Ok(true)
}

/// The secret `name` opened, with the endpoint it is for; `None` when unset or unopenable.
pub(super) fn open(
    site: &Site,
    site_key: &str,
    name: &str,
) -> Result<Option<(String, Option<String>)>> {
    let Ok(vault) = Vault::from_env(&site.env) else { return Ok(None) };
    let Some(r) = row(site, name)? else { return Ok(None) };
    match vault.open(&place(site_key, name), &r.sealed) {
        Ok(plain) => Ok(Some((plain, r.endpoint))),
        Err(e @ VaultError::Undecryptable) | Err(e @ VaultError::NoKey) => {
            console_error!("secret {name}: {e}");
            Ok(None)
        }
    }
}

pub(super) fn forget(site: &Site, names: &[&str]) -> Result<()> {
    for name in names {
        sql::run(&site.sql(), "DELETE FROM secrets WHERE name = ?", vec![text(*name)])?;
    }
    Ok(())
}

/// `PUT /secrets/model-key`: the site's own key, for one model endpoint. The key is only ever
/// sent there: settings pointed at another host cannot take it along.
pub async fn set_model_key(site: &Site, site_key: &str, mut req: Request) -> Result<Response> {
    let Ok(ModelKey { key, base_url }) = serde_json::from_str(&req.text().await?) else {
        let why = r#"Send {"key": "…", "base_url": "https://…"}."#;
        return refuse(400, "malformed_body", why);
    };
    let key = key.trim();
    let printable = key.chars().all(|c| c.is_ascii_graphic());
    if key.is_empty() || key.chars().count() > MAX_MODEL_KEY_CHARS || !printable {
        return refuse(400, "invalid_key", "An API key is 1 to 500 printable characters.");
    }
    if let Err(why) = shared::validate::outbound_url(base_url.trim(), "The model's base URL") {
        return refuse(400, "invalid_key", &why);
    }
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let new = Stored {
        name: MODEL_KEY,
        value: key,
        hint: format!("…{tail}"),
        endpoint: Some(base_url.trim()),
    };
    store(site, site_key, new)
}

pub fn delete_model_key(site: &Site) -> Result<Response> {
    sql::run(&site.sql(), "DELETE FROM secrets WHERE name = ?", vec![text(MODEL_KEY)])?;
    status(site)
}

/// `POST /secrets/webhook`: a new signing secret for the site's bot, shown this once.
pub fn rotate_webhook(site: &Site, site_key: &str) -> Result<Response> {
    rotate(site, site_key, WEBHOOK, WEBHOOK_PREVIOUS)
}

/// `POST /secrets/identity`: a new secret for signing visitor identity tokens, shown once.
pub fn rotate_identity(site: &Site, site_key: &str) -> Result<Response> {
    rotate(site, site_key, IDENTITY, IDENTITY_PREVIOUS)
}

/// A new secret `name`, shown this once. The one it replaces stays valid (as `previous`) for
/// [`ROTATION_OVERLAP_MS`].
fn rotate(site: &Site, site_key: &str, name: &str, previous: &str) -> Result<Response> {
    let Ok(vault) = Vault::from_env(&site.env) else { return no_vault() };
    let secret = shared::signing::new_secret(crate::crypto::random_bytes::<32>()?);
    let sql = site.sql();
    if let Some(current) = row(site, name)? {
        // Re-sealed under its new name: a sealed value opens only where it was sealed.
        let plain = vault.open(&place(site_key, name), &current.sealed);
        if let Ok(plain) = plain {
            let sealed = vault.seal(&place(site_key, previous), &plain)?;
            sql::run(
                &sql,
                "INSERT INTO secrets (name, sealed, hint, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, hint = excluded.hint,
                   created_at = excluded.created_at, expires_at = excluded.expires_at",
                vec![
                    text(previous),
                    text(sealed),
                    text(current.hint),
                    int(current.created_at),
                    int(now() + ROTATION_OVERLAP_MS),
                ],
            )?;
        }
    }
    let hint = format!("whsec_…{}", &secret[secret.len() - 4..]);
    let new = Stored { name, value: &secret, hint: hint.clone(), endpoint: None };
    store(site, site_key, new)?;
    let created = CreatedSecret {
        secret,
        info: SecretInfo { hint, created_at: now(), expires_at: None, endpoint: None },
    };
    Response::from_json(&created)
}

/// The opened secrets an engine needs: the model key with the endpoint it is for, and the
/// signing keys (newest first).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Opened {
    pub model_key: Option<(String, String)>,
    pub webhook_secrets: Vec<String>,
    /// The identity secrets, newest first.
    #[serde(default)]
    pub identity_secrets: Vec<String>,
    /// The messaging platforms' tokens and the API bases they were saved for.
    #[serde(default)]
    pub telegram: Option<crate::internal::PlatformKeys>,
    #[serde(default)]
    pub whatsapp: Option<crate::internal::PlatformKeys>,
}

impl Opened {
    /// The identity secrets as the HMAC keys tokens are signed with (the secret as written,
    /// what every JWT library takes), newest first.
    pub fn identity_keys(&self) -> Vec<Vec<u8>> {
        self.identity_secrets.iter().map(|s| s.as_bytes().to_vec()).collect()
    }
}

pub fn opened(site: &Site, site_key: &str) -> Result<Opened> {
    let mut out = Opened::default();
    let open = |name: &str| open(site, site_key, name);
    out.telegram = super::channels::keys(site, site_key, ChannelKind::Telegram)?;
    out.whatsapp = super::channels::keys(site, site_key, ChannelKind::WhatsApp)?;
    out.model_key = open(MODEL_KEY)?.and_then(|(key, endpoint)| Some((key, endpoint?)));
    let pair = |a: &str, b: &str| -> Result<Vec<String>> {
        Ok([open(a)?, open(b)?].into_iter().flatten().map(|(secret, _)| secret).collect())
    };
    out.webhook_secrets = pair(WEBHOOK, WEBHOOK_PREVIOUS)?;
    out.identity_secrets = pair(IDENTITY, IDENTITY_PREVIOUS)?;
    Ok(out)
}

/// Whether the site has its own key for `base_url`.
pub fn has_model_key_for(site: &Site, base_url: &str) -> Result<bool> {
    let endpoint = row(site, MODEL_KEY)?.and_then(|r| r.endpoint);
    Ok(endpoint.is_some_and(|e| shared::validate::same_endpoint(&e, base_url)))
}

/// `DELETE /secrets/webhook-previous`: the secret a rotation replaced stops working now (after
/// a leak, waiting out the overlap is no option).
pub fn end_previous_webhook(site: &Site) -> Result<Response> {
    sql::run(&site.sql(), "DELETE FROM secrets WHERE name = ?", vec![text(WEBHOOK_PREVIOUS)])?;
    status(site)
}

/// `DELETE /secrets/identity-previous`: likewise for the identity secret.
pub fn end_previous_identity(site: &Site) -> Result<Response> {
    sql::run(&site.sql(), "DELETE FROM secrets WHERE name = ?", vec![text(IDENTITY_PREVIOUS)])?;
    status(site)
}
