//! The site's messaging channels: connecting a Telegram bot (its token sealed like the other
//! secrets, bound to the API base it was saved for; a webhook secret we generate) or a
//! WhatsApp Business number (its access token and app secret sealed; a verify token we
//! generate), checking each webhook the platforms send, and the chat → conversation map.

use serde::Deserialize;
use shared::api::{ChannelsStatus, TelegramStatus, WhatsAppStatus};
use shared::channel::{ChannelKind, ChannelPeer, Inbound, telegram, whatsapp};
use worker::{Method, Request, Response, Result, console_error};

use super::Site;
use super::secrets::{self, Stored, refuse};
use crate::internal::{
    self, ChannelRenew, ChannelRoute, ChannelUpdate, ConnectTelegramAt, ConnectWhatsAppAt,
    Handshake, InitConversation, PlatformKeys,
};
use crate::sql::{self, opt_text, text};
use crate::{crypto, now};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS channel_chats (
  kind TEXT NOT NULL, address TEXT NOT NULL, conversation_id TEXT NOT NULL,
  PRIMARY KEY (kind, address));
CREATE TABLE IF NOT EXISTS whatsapp_number (
  id INTEGER PRIMARY KEY CHECK (id = 1), phone_number_id TEXT NOT NULL);
";

/// The bot's token; its `endpoint` is the API base it may be sent to.
const TOKEN: &str = "telegram_token";
/// The secret Telegram sends back with every update; its `endpoint` is the webhook URL and its
/// hint the bot's username.
const SECRET: &str = "telegram_secret";
/// The WhatsApp access token; its `endpoint` is the Graph API base it may be sent to.
const WA_TOKEN: &str = "whatsapp_token";
/// The Meta app's secret, which signs each webhook.
const WA_APP_SECRET: &str = "whatsapp_app_secret";
/// The token Meta's subscription handshake must name; its `endpoint` is the callback URL.
const WA_VERIFY: &str = "whatsapp_verify";

/// The opened token of `kind` with the API base it is for, for the conversations that reply.
pub fn keys(site: &Site, site_key: &str, kind: ChannelKind) -> Result<Option<PlatformKeys>> {
    let (name, phone_number_id) = match kind {
        ChannelKind::Telegram => (TOKEN, None),
        ChannelKind::WhatsApp => (WA_TOKEN, phone_number_id(site)?),
    };
    Ok(secrets::open(site, site_key, name)?
        .and_then(|(token, base)| Some(PlatformKeys { token, api_base: base?, phone_number_id })))
}

fn phone_number_id(site: &Site) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        phone_number_id: String,
    }
    let query = "SELECT phone_number_id FROM whatsapp_number WHERE id = 1";
    Ok(sql::first::<Row>(&site.sql(), query, vec![])?.map(|r| r.phone_number_id))
}

fn status(site: &Site, site_key: &str) -> Result<Response> {
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
    let whatsapp = match (secrets::row(site, WA_TOKEN)?, secrets::open(site, site_key, WA_VERIFY)?)
    {
        (Some(token), Some((verify_token, callback))) => Some(WhatsAppStatus {
            phone_number_id: phone_number_id(site)?.unwrap_or_default(),
            hint: token.hint,
            api_base: token.endpoint.unwrap_or_default(),
            callback_url: callback.unwrap_or_default(),
            verify_token,
            connected_at: token.created_at,
        }),
        _ => None,
    };
    let vault = crate::vault::Vault::from_env(&site.env).is_ok();
    Response::from_json(&ChannelsStatus { telegram, whatsapp, vault })
}

/// `/channels…` for owners and admins: see, connect, disconnect.
pub async fn manage(site: &Site, site_key: &str, req: Request, path: &str) -> Result<Response> {
    match (req.method(), path) {
        (Method::Get, "/channels") => status(site, site_key),
        (Method::Put, "/channels/telegram") => connect(site, site_key, req).await,
        (Method::Delete, "/channels/telegram") => disconnect(site, site_key).await,
        (Method::Put, "/channels/whatsapp") => connect_whatsapp(site, site_key, req).await,
        (Method::Delete, "/channels/whatsapp") => {
            secrets::forget(site, &[WA_TOKEN, WA_APP_SECRET, WA_VERIFY])?;
            sql::run(&site.sql(), "DELETE FROM whatsapp_number", vec![])?;
            status(site, site_key)
        }
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
    let keys = PlatformKeys {
        token: token.to_owned(),
        api_base: api_base.to_owned(),
        phone_number_id: None,
    };
    let bot = match crate::platform::call(ChannelKind::Telegram, &keys, &me).await {
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
    if let Err(f) = crate::platform::call(ChannelKind::Telegram, &keys, &hook).await {
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
    status(site, site_key)
}

/// Keeps a WhatsApp number's secrets and makes a verify token for Meta's dashboard. Meta
/// checks the callback with it when the owner saves it there; nothing is called from here.
async fn connect_whatsapp(site: &Site, site_key: &str, mut req: Request) -> Result<Response> {
    let Ok(ask) = serde_json::from_str::<ConnectWhatsAppAt>(&req.text().await?) else {
        let why = r#"Send {"phone_number_id": "…", "access_token": "…", "app_secret": "…"}."#;
        return refuse(400, "malformed_body", why);
    };
    let number = ask.phone_number_id.trim();
    if number.is_empty() || number.len() > 30 || !number.bytes().all(|b| b.is_ascii_digit()) {
        let why = "The phone number ID is the number Meta's dashboard shows under the phone \
                   number (digits only), not the phone number itself.";
        return refuse(400, "invalid_phone_number_id", why);
    }
    let printable = |s: &str, range: std::ops::RangeInclusive<usize>| {
        range.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
    };
    let (token, app_secret) = (ask.access_token.trim(), ask.app_secret.trim());
    if !printable(token, 20..=1000) {
        return refuse(
            400,
            "invalid_token",
            "The access token is 20 to 1000 printable characters.",
        );
    }
    if !printable(app_secret, 16..=200) {
        return refuse(
            400,
            "invalid_app_secret",
            "The app secret is 16 to 200 printable characters.",
        );
    }
    let api_base = ask.api_base.trim().trim_end_matches('/');
    if let Err(why) = shared::validate::outbound_url(api_base, "The Graph API address") {
        return refuse(400, "invalid_api_base", &why);
    }
    if crate::vault::Vault::from_env(&site.env).is_err() {
        return secrets::no_vault();
    }
    let verify = crypto::new_secret()?;
    let tail = |s: &str| format!("…{}", &s[s.len() - 4..]);
    let sealed = [
        Stored { name: WA_TOKEN, value: token, hint: tail(token), endpoint: Some(api_base) },
        Stored { name: WA_APP_SECRET, value: app_secret, hint: tail(app_secret), endpoint: None },
        Stored {
            name: WA_VERIFY,
            value: &verify,
            hint: String::new(),
            endpoint: Some(&ask.callback_url),
        },
    ];
    for s in sealed {
        secrets::keep(site, site_key, s)?;
    }
    sql::run(
        &site.sql(),
        "INSERT OR REPLACE INTO whatsapp_number (id, phone_number_id) VALUES (1, ?)",
        vec![opt_text(Some(number))],
    )?;
    status(site, site_key)
}

/// `POST /channels/whatsapp/verify`: Meta's handshake; the challenge back when the token is
/// ours.
pub fn handshake(site: &Site, site_key: &str, ask: Handshake) -> Result<Response> {
    let ours = secrets::open(site, site_key, WA_VERIFY)?;
    match ours {
        Some((token, _)) if ask.mode == "subscribe" && crypto::same(&ask.verify_token, &token) => {
            Response::ok(ask.challenge)
        }
        _ => refuse(
            403,
            "bad_verify_token",
            "The verify token is wrong, or WhatsApp is not connected.",
        ),
    }
}

/// Stops the bot's updates (best effort: a token already revoked cannot) and forgets it.
async fn disconnect(site: &Site, site_key: &str) -> Result<Response> {
    if let Some(keys) = keys(site, site_key, ChannelKind::Telegram)? {
        let off = shared::channel::Outgoing {
            method: "deleteWebhook".into(),
            body: serde_json::json!({}),
        };
        if let Err(f) = crate::platform::call(ChannelKind::Telegram, &keys, &off).await {
            console_error!("telegram deleteWebhook: {}", f.error);
        }
    }
    secrets::forget(site, &[TOKEN, SECRET])?;
    status(site, site_key)
}

/// `POST /channels/{telegram,whatsapp}/in`: a webhook, checked (Telegram's secret token, or
/// WhatsApp's signature over the raw body; in constant time, and a wrong one is 401 with
/// nothing stored), read, and each message routed to its chat's conversation, which is
/// started for a new chat.
pub async fn inbound(
    site: &Site,
    site_key: &str,
    kind: ChannelKind,
    mut req: Request,
) -> Result<Response> {
    let update: ChannelUpdate = internal::body(&mut req).await?;
    let read = match kind {
        ChannelKind::Telegram => {
            let Some((expected, _)) = secrets::open(site, site_key, SECRET)? else {
                return refuse(404, "not_connected", "This site has no Telegram bot connected.");
            };
            if !crypto::same(&update.secret, &expected) {
                return refuse(401, "bad_secret", "The secret token is missing or wrong.");
            }
            telegram::read_update(update.body.as_bytes()).map(|i| i.into_iter().collect())
        }
        ChannelKind::WhatsApp => {
            let opened = (secrets::open(site, site_key, WA_APP_SECRET)?, phone_number_id(site)?);
            let (Some((app_secret, _)), Some(number)) = opened else {
                return refuse(404, "not_connected", "This site has no WhatsApp number connected.");
            };
            if !whatsapp::signed(&app_secret, update.body.as_bytes(), &update.secret) {
                return refuse(401, "bad_signature", "X-Hub-Signature-256 is missing or wrong.");
            }
            whatsapp::read_webhook(update.body.as_bytes(), &number)
        }
    };
    let inbound: Vec<Inbound> = match read {
        Ok(all) => all,
        Err(why) => return refuse(400, "malformed_update", &why),
    };
    let mut routes = Vec::with_capacity(inbound.len());
    for inbound in inbound {
        let conversation_id = match chat(site, &inbound.peer)? {
            Some(id) => id,
            // The platform's report on a message to a chat we have no conversation for.
            None if !inbound.said.from_visitor() => continue,
            None => start(site, site_key, &inbound.peer, None).await?,
        };
        routes.push(ChannelRoute { conversation_id, inbound });
    }
    Response::from_json(&routes)
}

/// `POST /channels/renew`: the chat's conversation was closed for good; the next one begins,
/// once however many updates ask.
pub async fn renew(site: &Site, site_key: &str, mut req: Request) -> Result<Response> {
    let ask: ChannelRenew = internal::body(&mut req).await?;
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
        ChannelKind::WhatsApp => "whatsapp",
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
        channel: Some(peer.kind),
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
