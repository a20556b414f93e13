//! The site's messaging channels: connecting a Telegram bot (its token sealed like the other
//! secrets, bound to the API base it was saved for; a webhook secret we generate), checking
//! each update the platform sends, and the chat → conversation map.

use serde::Deserialize;
use shared::api::{ChannelsStatus, TelegramStatus};
use shared::channel::{ChannelKind, ChannelPeer, telegram};
use worker::{Method, Request, Response, Result, console_error};

use super::Site;
use super::secrets::{self, Stored, refuse};
use crate::internal::{
    self, ChannelRenew, ChannelRoute, ChannelUpdate, ConnectTelegramAt, InitConversation,
};
use crate::sql::{self, text};
use crate::{crypto, now};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS channel_chats (
  kind TEXT NOT NULL, address TEXT NOT NULL, conversation_id TEXT NOT NULL,
  PRIMARY KEY (kind, address));
";

/// The bot's token; its `endpoint` is the API base it may be sent to.
const TOKEN: &str = "telegram_token";
/// The secret Telegram sends back with every update; its `endpoint` is the webhook URL and its
/// hint the bot's username.
const SECRET: &str = "telegram_secret";

/// The opened token and the API base it is for, for the conversations that reply.
pub fn telegram_token(site: &Site, site_key: &str) -> Result<Option<(String, String)>> {
    Ok(secrets::open(site, site_key, TOKEN)?.and_then(|(token, base)| Some((token, base?))))
}

fn status(site: &Site) -> Result<Response> {
    let telegram = match (secrets::row(site, TOKEN)?, secrets::row(site, SECRET)?) {
        (Some(token), Some(secret)) => Some(TelegramStatus {
            bot: Some(secret.hint).filter(|h| !h.is_empty()),
            hint: token.hint,
            api_base: token.endpoint.unwrap_or_default(),
            webhook_url: secret.endpoint.unwrap_or_default(),
            connected_at: token.created_at,
        }),
        _ => None,
    };
    let vault = crate::vault::Vault::from_env(&site.env).is_ok();
    Response::from_json(&ChannelsStatus { telegram, vault })
}

/// `/channels…` for owners and admins: see, connect, disconnect.
pub async fn manage(site: &Site, site_key: &str, req: Request, path: &str) -> Result<Response> {
    match (req.method(), path) {
        (Method::Get, "/channels") => status(site),
        (Method::Put, "/channels/telegram") => connect(site, site_key, req).await,
        (Method::Delete, "/channels/telegram") => disconnect(site, site_key).await,
        _ => Response::error("not found", 404),
    }
}

/// Checks the token with Telegram (`getMe`), points the bot's webhook at us with a new
/// secret, and only then stores both: a refused token leaves the last connection as it was.
async fn connect(site: &Site, site_key: &str, mut req: Request) -> Result<Response> {
    let Ok(ask) = serde_json::from_str::<ConnectTelegramAt>(&req.text().await?) else {
        return refuse(400, "malformed_body", r#"Send {"token": "123456:ABC…"}."#);
    };
    let token = ask.token.trim();
    if !telegram::valid_token(token) {
        let why = "That is not a bot token: BotFather gives one like 123456789:AAH…";
        return refuse(400, "invalid_token", why);
    }
    let api_base = ask.api_base.trim().trim_end_matches('/');
    if let Err(why) = shared::validate::outbound_url(api_base, "The Bot API address") {
        return refuse(400, "invalid_api_base", &why);
    }
    if crate::vault::Vault::from_env(&site.env).is_err() {
        return secrets::no_vault();
    }
    let me = shared::channel::Outgoing { method: "getMe".into(), body: serde_json::json!({}) };
    let bot = match crate::telegram::call(api_base, token, &me).await {
        Ok(me) => me["username"].as_str().map(|u| format!("@{u}")),
        Err(f) => {
            return refuse(
                502,
                "telegram_refused",
                &format!("Telegram refused the token: {}", f.error),
            );
        }
    };
    let secret = crypto::new_secret()?;
    let hook = telegram::set_webhook(&ask.webhook_url, &secret);
    if let Err(f) = crate::telegram::call(api_base, token, &hook).await {
        let why = format!("Telegram did not take our webhook address: {}", f.error);
        return refuse(502, "telegram_refused", &why);
    }
    let tail: String = token.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let sealed = [
        Stored { name: TOKEN, value: token, hint: format!("…{tail}"), endpoint: Some(api_base) },
        Stored {
            name: SECRET,
            value: &secret,
            hint: bot.unwrap_or_default(),
            endpoint: Some(&ask.webhook_url),
        },
    ];
    for s in sealed {
        secrets::keep(site, site_key, s)?;
    }
    status(site)
}

/// Stops the bot's updates (best effort: a token already revoked cannot) and forgets it.
async fn disconnect(site: &Site, site_key: &str) -> Result<Response> {
    if let Some((token, base)) = telegram_token(site, site_key)? {
        let off = shared::channel::Outgoing {
            method: "deleteWebhook".into(),
            body: serde_json::json!({}),
        };
        if let Err(f) = crate::telegram::call(&base, &token, &off).await {
            console_error!("telegram deleteWebhook: {}", f.error);
        }
    }
    secrets::forget(site, &[TOKEN, SECRET])?;
    status(site)
}

/// `POST /channels/telegram/in`: an update, checked against the webhook secret (in constant
/// time; a wrong one is 401 and nothing is stored), read, and routed to its chat's
/// conversation, which is started for a new chat. 200 with no body: nothing to deliver.
pub async fn inbound(site: &Site, site_key: &str, mut req: Request) -> Result<Response> {
    let update: ChannelUpdate = req.json().await?;
    let expected = secrets::open(site, site_key, SECRET)?;
    let Some((expected, _)) = expected else {
        return refuse(404, "not_connected", "This site has no Telegram bot connected.");
    };
    if !crypto::same(&update.secret, &expected) {
        return refuse(401, "bad_secret", "The secret token is missing or wrong.");
    }
    let inbound = match telegram::read_update(update.body.as_bytes()) {
        Ok(Some(inbound)) => inbound,
        Ok(None) => return Response::ok(""),
        Err(why) => return refuse(400, "malformed_update", &why),
    };
    let conversation_id = match chat(site, &inbound.peer)? {
        Some(id) => id,
        None => start(site, site_key, &inbound.peer, None).await?,
    };
    Response::from_json(&ChannelRoute { conversation_id, inbound })
}

/// `POST /channels/renew`: the chat's conversation was closed for good; the next one begins,
/// once however many updates ask.
pub async fn renew(site: &Site, site_key: &str, mut req: Request) -> Result<Response> {
    let ask: ChannelRenew = req.json().await?;
    let id = match chat(site, &ask.peer)? {
        Some(id) if id != ask.ended => id,
        _ => start(site, site_key, &ask.peer, Some(&ask.ended)).await?,
    };
    Response::from_json(&id)
}

fn chat(site: &Site, peer: &ChannelPeer) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        conversation_id: String,
    }
    let row: Option<Row> = sql::first(
        &site.sql(),
        "SELECT conversation_id FROM channel_chats WHERE kind = ? AND address = ?",
        vec![text(kind(peer.kind)), text(peer.address.clone())],
    )?;
    Ok(row.map(|r| r.conversation_id))
}

fn kind(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Telegram => "telegram",
    }
}

/// A new conversation for the chat. Its token is never given to anyone: the chat is its
/// visitor's only way in.
async fn start(
    site: &Site,
    site_key: &str,
    peer: &ChannelPeer,
    replacing: Option<&str>,
) -> Result<String> {
    let conversation_id = crypto::new_id()?;
    let init = InitConversation {
        conversation_id: conversation_id.clone(),
        site_key: site_key.to_owned(),
        token_hash: crypto::secret_hash(&crypto::new_secret()?),
        created_at: now(),
        user_agent: None,
        meta: Default::default(),
        hook_events: super::hooks::wanted(site)?,
    };
    let stub = internal::conversation(&site.env, &conversation_id)?;
    let res = internal::send(&stub, Method::Post, "/init", Some(&init)).await?;
    if res.status_code() != 200 {
        return Err(worker::Error::RustError("the chat's conversation could not start".into()));
    }
    // Two first updates of one chat at once: the first mapping stands, the other's
    // conversation stays empty.
    // Likewise two renewals: only the one that finds the ended conversation still mapped
    // replaces it.
    let args = vec![
        text(kind(peer.kind)),
        text(peer.address.clone()),
        text(conversation_id),
        text(replacing.unwrap_or_default()),
    ];
    sql::run(
        &site.sql(),
        "INSERT INTO channel_chats (kind, address, conversation_id) VALUES (?, ?, ?)
         ON CONFLICT (kind, address) DO UPDATE SET conversation_id = excluded.conversation_id
           WHERE channel_chats.conversation_id = ?",
        args,
    )?;
    Ok(chat(site, peer)?.unwrap_or_default())
}
