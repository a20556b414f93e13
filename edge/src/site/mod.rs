//! The Site object, one per site: settings, team accounts and sessions, and the live index of
//! the site's conversations pushed to every connected agent.

mod channels;
mod continuity;
mod hooks;
mod index;
mod links;
mod load;
mod mentions;
mod notify;
pub(crate) mod presence;
mod reports;
mod revoke;
mod secrets;
mod team;
mod tickets;
mod usage;

pub use revoke::{covers, predates};
pub use secrets::{Opened, deployment_model_url};

use std::cell::Cell;
use std::time::Duration;

use futures_util::future::{Either, join_all, select};
use shared::api::{BotConfig, SetupRequest, SiteSettings, WhenNobodyAvailable, WidgetConfig};
use worker::{
    Delay, DurableObject, Env, Method, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, console_error, durable_object,
};

use crate::internal;
use crate::sql::{self, int, text};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (
  id INTEGER PRIMARY KEY CHECK (id = 1), site_key TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY, json TEXT NOT NULL, phase TEXT NOT NULL, last_seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS setup_tokens (token_hash TEXT PRIMARY KEY, used_at INTEGER NOT NULL);
";

/// Settings changes reach the open widgets of conversations active this recently, at most
/// this many (newest first); other widgets pick them up on their next load.
const LIVE_CONFIG_WINDOW_MS: i64 = 24 * 3600 * 1000;
const LIVE_CONFIG_MAX: usize = 500;
/// Pushes run this many at a time, and all of them within this long, so saving settings
/// answers promptly however many conversations a busy site has.
const PUSH_CONCURRENCY: usize = 50;
const PUSH_DEADLINE_MS: u64 = 5_000;

#[durable_object]
pub struct Site {
    state: State,
    env: Env,
    /// Fetched once: asking the state for it makes two new JS objects each time, garbage
    /// the shared thread collects in pauses.
    sql: worker::SqlStorage,
    /// Set up (by `/setup`): until then the object answers 404 and writes nothing, so a
    /// made-up site key leaves no trace in storage.
    ready: Cell<bool>,
    /// Requests by route and the conversations reporting lately, in memory.
    load: std::cell::RefCell<load::Load>,
    /// Whether the deployment can send mail (its configuration is fixed for a run).
    mail_on: Cell<Option<bool>>,
    /// When queued work (mail, a reminder, a webhook delivery) needs the alarm, at the latest:
    /// brought forward to it once the request that queued it is handled.
    alarm_wake: Cell<Option<i64>>,
}

#[derive(serde::Deserialize)]
struct SettingsRow {
    site_key: String,
    json: String,
}

impl Site {
    fn sql(&self) -> worker::SqlStorage {
        self.sql.clone()
    }

    /// Work for the alarm due by `at`.
    fn alarm_by(&self, at: i64) {
        self.alarm_wake.set(Some(self.alarm_wake.get().map_or(at, |w| w.min(at))));
    }

    /// Brings the alarm forward for what was queued.
    async fn wake_soon(&self) -> Result<()> {
        match self.alarm_wake.take() {
            Some(at) => crate::alarm::wake_by(&self.state.storage(), at).await,
            None => Ok(()),
        }
    }

    fn mail_on(&self) -> bool {
        let on = self.mail_on.get().unwrap_or_else(|| crate::mail::sender(&self.env).is_some());
        self.mail_on.set(Some(on));
        on
    }

    /// Whether setup has run: the settings table exists. Reading creates nothing.
    fn set_up(sql: &worker::SqlStorage) -> Result<bool> {
        #[derive(serde::Deserialize)]
        struct Name {
            #[allow(dead_code)]
            name: String,
        }
        let found: Option<Name> = sql::first(
            sql,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'settings'",
            vec![],
        )?;
        Ok(found.is_some())
    }

    fn migrate(sql: &worker::SqlStorage) -> Result<()> {
        sql::migrate(sql, SCHEMA)?;
        for schema in [
            team::SCHEMA,
            tickets::SCHEMA,
            usage::SCHEMA,
            presence::SCHEMA,
            secrets::SCHEMA,
            channels::SCHEMA,
            revoke::SCHEMA,
            notify::SCHEMA,
            links::SCHEMA,
            hooks::SCHEMA,
        ] {
            sql::migrate(sql, schema)?;
        }
        sql::add_columns(sql, "conversations", index::ADDED)?;
        sql::add_columns(sql, "tickets", tickets::ADDED)?;
        sql::add_columns(sql, "presence", presence::ADDED)?;
        sql::add_columns(sql, "revocations", revoke::ADDED)?;
        sql::migrate(sql, index::INDEXES)
    }

    /// The site's key alone, without parsing the settings; `None` until the site is set up.
    fn site_key(&self) -> Result<Option<String>> {
        if !self.ready.get() {
            return Ok(None);
        }
        #[derive(serde::Deserialize)]
        struct Key {
            site_key: String,
        }
        let row: Option<Key> =
            sql::first(&self.sql(), "SELECT site_key FROM settings WHERE id = 1", vec![])?;
        Ok(row.map(|r| r.site_key))
    }

    /// The site's key and settings; `None` until the site is set up.
    fn settings(&self) -> Result<Option<(String, SiteSettings)>> {
        if !self.ready.get() {
            return Ok(None);
        }
        let row: Option<SettingsRow> =
            sql::first(&self.sql(), "SELECT site_key, json FROM settings WHERE id = 1", vec![])?;
        row.map(|r| Ok((r.site_key, serde_json::from_str(&r.json)?))).transpose()
    }

    /// Each setup token works once per site: a deployment's first-run secret cannot be
    /// replayed to take over the team later. A new secret allows a new setup.
    async fn setup(&self, mut req: Request) -> Result<Response> {
        let Some(token_hash) = req.headers().get(internal::SETUP_HEADER)? else {
            return Response::error("forbidden", 403);
        };
        let setup: SetupRequest = internal::body(&mut req).await?;
        if let Err(refused) = self.model_host_allowed(&setup.settings) {
            return crate::http::finish(Err(refused));
        }
        Self::migrate(&self.sql())?;
        self.ready.set(true);
        #[derive(serde::Deserialize)]
        struct Used {
            #[allow(dead_code)]
            used_at: i64,
        }
        let used: Option<Used> = sql::first(
            &self.sql(),
            "SELECT used_at FROM setup_tokens WHERE token_hash = ?",
            vec![text(&token_hash)],
        )?;
        if used.is_some() {
            return Response::error("setup token already used", 409);
        }
        team::upsert_members(self, &setup.members).await?;
        notify::seen_at(self, req.headers().get(internal::ORIGIN_HEADER)?.as_deref())?;
        sql::run(
            &self.sql(),
            "INSERT INTO settings (id, site_key, json) VALUES (1, ?, ?)
             ON CONFLICT (id) DO UPDATE SET site_key = excluded.site_key, json = excluded.json",
            vec![text(&setup.site_key), text(serde_json::to_string(&setup.settings)?)],
        )?;
        let at = worker::Date::now().as_millis() as i64;
        sql::run(
            &self.sql(),
            "INSERT INTO setup_tokens (token_hash, used_at) VALUES (?, ?)",
            vec![text(token_hash), int(at)],
        )?;
        Response::from_json(&serde_json::json!({ "ok": true }))
    }

    /// Stores new settings and pushes the widget's part to every conversation whose visitor
    /// has the chat open; their objects pass it on.
    async fn change_settings(&self, mut req: Request) -> Result<Response> {
        if internal::agent_from(&req).is_none_or(|a| !a.role.can_manage()) {
            let why = "Only owners and admins change the settings.";
            return crate::http::finish(Err(crate::http::refuse(403, "forbidden", why)));
        }
        let Some(site_key) = self.site_key()? else {
            return Response::error("unknown site", 404);
        };
        let settings: SiteSettings = internal::body(&mut req).await?;
        if let Err(refused) = self.model_host_allowed(&settings) {
            return crate::http::finish(Err(refused));
        }
        sql::run(
            &self.sql(),
            "UPDATE settings SET json = ? WHERE id = 1",
            vec![text(serde_json::to_string(&settings)?)],
        )?;
        usage::prune(self, &settings)?;
        // Reminders switched on may be due already for requests waiting now.
        crate::alarm::wake_by(&self.state.storage(), crate::now()).await?;
        self.push_settings(self.widget_config(site_key, &settings)?).await?;
        Response::from_json(&settings)
    }

    /// Tells every conversation whose widget is open that the settings (or the secrets its AI
    /// uses) changed: they forget what they cached, and pass the widget's part on.
    async fn push_settings(&self, widget: WidgetConfig) -> Result<()> {
        self.push_to_open("/config", &widget).await
    }

    /// Sends `body` to `path` of every conversation whose visitor has the chat open (see
    /// [`LIVE_CONFIG_MAX`]), a few at a time and all within [`PUSH_DEADLINE_MS`].
    async fn push_to_open<T: serde::Serialize>(&self, path: &str, body: &T) -> Result<()> {
        let ids = index::with_visitor_online(self, LIVE_CONFIG_WINDOW_MS, LIVE_CONFIG_MAX)?;
        let all = async {
            for chunk in ids.chunks(PUSH_CONCURRENCY) {
                join_all(chunk.iter().map(|id| self.push_one(id, path, body))).await;
            }
        };
        let deadline = Delay::from(Duration::from_millis(PUSH_DEADLINE_MS));
        if let Either::Right(_) = select(Box::pin(all), deadline).await {
            console_error!("push of {path}: not every open conversation was reached in time");
        }
        Ok(())
    }

    async fn push_one<T: serde::Serialize>(&self, id: &str, path: &str, body: &T) {
        let sent = match internal::conversation(&self.env, id) {
            Ok(stub) => internal::send(&stub, Method::Post, path, Some(body)).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(res) if res.status_code() >= 500 => {
                console_error!("push of {path} to {id}: HTTP {}", res.status_code());
            }
            Ok(_) => {}
            Err(e) => console_error!("push of {path} to {id}: {e}"),
        }
    }

    fn config(&self) -> Result<Response> {
        match self.settings()? {
            Some((site_key, s)) => Response::from_json(&internal::SiteConfig {
                widget: self.widget_config(site_key, &s)?,
                allowed_origins: s.allowed_origins,
                hook_events: hooks::wanted(self)?,
            }),
            None => Response::error("unknown site", 404),
        }
    }

    /// A model host other than the deployment's needs the site's own key: the deployment's
    /// key is never sent there (see `bot::model_key`), and a site saved that way would only
    /// fail at the visitor.
    fn model_host_allowed(
        &self,
        s: &SiteSettings,
    ) -> std::result::Result<(), crate::http::Refused> {
        let shared::api::Engine::Llm(llm) = &s.engine else { return Ok(()) };
        let allowed = deployment_model_url(&self.env);
        let has_own = self.ready.get() && secrets::has_model_key_for(self, &llm.base_url)?;
        if has_own || shared::validate::same_endpoint(&llm.base_url, &allowed) {
            return Ok(());
        }
        Err(crate::http::refuse(
            400,
            "model_key_required",
            format!(
                "This model host needs the site's own API key (Settings → AI engine → API key): \
                 the deployment's key is only ever sent to {allowed}, and a site's own key only \
                 to the endpoint it was saved for."
            ),
        ))
    }

    fn bot_config(&self) -> Result<Response> {
        let Some((site_key, s)) = self.settings()? else {
            return Response::error("unknown site", 404);
        };
        let now = worker::Date::now().as_millis() as i64;
        let open = open_now(&s);
        let back_at = s.business_hours.as_ref().and_then(|h| h.next_opening(now).ok().flatten());
        let available = presence::staffed(self, &self.env)?;
        let staffed = available || s.takeover.when_nobody_available == WhenNobodyAvailable::Wait;
        // A wait nobody is there to end is not promised a length.
        let expected_wait_secs = if available {
            let waits = tickets::recent_waits(self, now)?;
            shared::wait::expected_secs(s.takeover.usual_wait_secs, &waits)
        } else {
            None
        };
        Response::from_json(&internal::BotSetup {
            hook_events: hooks::wanted(self)?,
            title: s.title.clone(),
            origin: notify::origin(self)?,
            secrets: secrets::opened(self, &site_key)?,
            texts: s.texts,
            human_button_after: s.human_button_after,
            config: BotConfig {
                open_now: open,
                staffed,
                back_at,
                expected_wait_secs,
                identity_required: s.identity.require_verified,
                faq: s.faq,
                engine: s.engine,
                takeover: s.takeover,
            },
        })
    }

    /// `GET`/`PUT /availability`: the signed-in teammate's own Available / Away.
    async fn availability(&self, mut req: Request) -> Result<Response> {
        let Some(me) = internal::agent_from(&req) else {
            return Response::error("no agent", 403);
        };
        if req.method() == Method::Put {
            let set: shared::api::Availability = internal::body(&mut req).await?;
            presence::set_availability(self, &me.agent.id, set)?;
        }
        Response::from_json(&presence::availability(self, &me.agent.id)?)
    }

    /// `POST /verify-bot-reply`: a reply from the site's own bot, checked with the site's
    /// signing secrets, and only while the site's engine is that bot.
    async fn verify_bot_reply(&self, mut req: Request) -> Result<Response> {
        let signed: internal::SignedReply = internal::body(&mut req).await?;
        let refuse = |status, code, message: &str| {
            crate::http::finish(Err(crate::http::refuse(status, code, message)))
        };
        let Some((site_key, s)) = self.settings()? else {
            return refuse(404, "unknown_conversation", "There is no such conversation.");
        };
        if !matches!(s.engine, shared::api::Engine::Webhook(_)) {
            return refuse(
                409,
                "not_webhook_engine",
                "This site's AI is not its own bot: replies through this API are refused.",
            );
        }
        let keys: Vec<Vec<u8>> = secrets::opened(self, &site_key)?
            .webhook_secrets
            .iter()
            .filter_map(|s| shared::signing::key(s))
            .collect();
        let now_secs = worker::Date::now().as_millis() as i64 / 1000;
        let checked = shared::signing::verify_reply(
            &keys,
            &signed.method,
            &signed.path,
            &signed.timestamp,
            &signed.signature,
            signed.body.as_bytes(),
            now_secs,
        );
        match checked {
            Ok(()) => Response::ok("verified"),
            Err(_) => refuse(
                401,
                "bad_signature",
                "The signature is missing, wrong, or more than five minutes off.",
            ),
        }
    }

    /// `/secrets…`: owners and admins see which secrets are set and write new ones.
    async fn secrets(&self, req: Request, path: &str) -> Result<Response> {
        if internal::agent_from(&req).is_none_or(|a| !a.role.can_manage()) {
            let why = "Only owners and admins manage the site's secrets.";
            return crate::http::finish(Err(crate::http::refuse(403, "forbidden", why)));
        }
        let Some(site_key) = self.site_key()? else {
            return Response::error("unknown site", 404);
        };
        let res = match (req.method(), path) {
            (Method::Get, "/secrets") => return secrets::status(self),
            (Method::Put, "/secrets/model-key") => {
                secrets::set_model_key(self, &site_key, req).await?
            }
            (Method::Delete, "/secrets/model-key") => secrets::delete_model_key(self)?,
            (Method::Post, "/secrets/webhook") => secrets::rotate_webhook(self, &site_key)?,
            (Method::Delete, "/secrets/webhook-previous") => secrets::end_previous_webhook(self)?,
            (Method::Post, "/secrets/identity") => secrets::rotate_identity(self, &site_key)?,
            (Method::Delete, "/secrets/identity-previous") => secrets::end_previous_identity(self)?,
            _ => return Response::error("not found", 404),
        };
        // A removed or replaced key must stop being used at once, not after a cache expires.
        if res.status_code() == 200
            && let Some((key, s)) = self.settings()?
        {
            self.push_settings(self.widget_config(key, &s)?).await?;
        }
        Ok(res)
    }

    /// Applies a conversation's batch of reports (its JSON); the pace the site asks of it, as
    /// JSON.
    async fn apply_report(&self, batch: &str) -> Result<String> {
        let pace = reports::apply(self, serde_json::from_str(batch)?)?;
        self.wake_soon().await?;
        Ok(serde_json::to_string(&pace)?)
    }
}

/// Reports come by JavaScript RPC (`edge/entry.mjs` makes the class one workerd takes RPC to),
/// about a hundred a second on a busy site: a fetch made a Request, its Headers and `cf`, a
/// Response and two promises for its text on the two objects, each living on in V8's young
/// generation until a collection, and every collection pauses the thread all of a location's
/// objects share (ARCHITECTURE.md, "At a chat's pace").
#[wasm_bindgen::prelude::wasm_bindgen]
impl Site {
    /// `report(batch)`: resolves to `[status, answer]`, as the `/reports` route answers, so a
    /// caller handles the two alike; storage failing throws, as it does from `fetch`.
    #[wasm_bindgen(js_name = report)]
    pub async fn report_call(
        &self,
        batch: String,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        self.load.borrow_mut().count("/reports");
        let (status, answer): (u16, String) = if self.ready.get() {
            (200, self.apply_report(&batch).await?)
        } else {
            (404, "unknown site".to_owned())
        };
        Ok(status_and(status, &answer))
    }

    /// The benchmark's floor for `report` (see `api::bench`): the same call, answered with the
    /// pace without reading the batch.
    #[wasm_bindgen(js_name = reportUnread)]
    pub async fn report_unread(
        &self,
        _batch: String,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        self.load.borrow_mut().count("/floor");
        if !self.ready.get() {
            return Ok(status_and(404, "unknown site"));
        }
        let pace = serde_json::to_string(&self.load.borrow().reporters.pace())
            .map_err(worker::Error::from)?;
        Ok(status_and(200, &pace))
    }
}

/// An RPC's answer as the `/reports` route gives it: `[status, text]`.
fn status_and(status: u16, answer: &str) -> wasm_bindgen::JsValue {
    let answer = wasm_bindgen::JsValue::from_str(answer);
    js_sys::Array::of2(&wasm_bindgen::JsValue::from(status), &answer).into()
}

impl DurableObject for Site {
    fn new(state: State, env: Env) -> Self {
        crate::sockets::answer_pings(&state);
        let sql = state.storage().sql();
        let ready = match Self::set_up(&sql) {
            Ok(true) => match Self::migrate(&sql) {
                Ok(()) => true,
                Err(e) => {
                    console_error!("site schema: {e}");
                    true
                }
            },
            Ok(false) => false,
            Err(e) => {
                console_error!("site storage: {e}");
                false
            }
        };
        Site {
            state,
            env,
            sql,
            ready: Cell::new(ready),
            load: Default::default(),
            mail_on: Cell::new(None),
            alarm_wake: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        self.load.borrow_mut().count(&path);
        if !self.ready.get() && path != "/setup" {
            return Response::error("unknown site", 404);
        }
        if path == "/team" || path.starts_with("/team/") {
            return team::manage(self, req, &path).await;
        }
        if path == "/secrets" || path.starts_with("/secrets/") {
            return self.secrets(req, &path).await;
        }
        if path == "/hooks" || path.starts_with("/hooks/") {
            if internal::agent_from(&req).is_none_or(|a| !a.role.can_manage()) {
                let why = "Only owners and admins manage webhooks.";
                return crate::http::finish(Err(crate::http::refuse(403, "forbidden", why)));
            }
            let Some(site_key) = self.site_key()? else {
                return Response::error("unknown site", 404);
            };
            let before = hooks::wanted(self)?;
            let res = hooks::manage(self, &site_key, req, &path).await?;
            self.wake_soon().await?;
            // Open conversations report what the endpoints now take at once; the others hear
            // it with the settings they fetch next.
            let after = hooks::wanted(self)?;
            if after != before {
                internal::forget_site_config(&site_key);
                self.push_to_open("/hook-events", &after).await?;
            }
            return Ok(res);
        }
        if matches!(path.as_str(), "/channels" | "/channels/telegram" | "/channels/whatsapp") {
            if internal::agent_from(&req).is_none_or(|a| !a.role.can_manage()) {
                let why = "Only owners and admins manage channels.";
                return crate::http::finish(Err(crate::http::refuse(403, "forbidden", why)));
            }
            let Some(site_key) = self.site_key()? else {
                return Response::error("unknown site", 404);
            };
            // Conversations replying on the channel read the new token with their settings,
            // within the minute they keep them.
            return channels::manage(self, &site_key, req, &path).await;
        }
        if path.starts_with("/channels/") {
            let Some(site_key) = self.site_key()? else {
                return Response::error("unknown site", 404);
            };
            use shared::channel::ChannelKind::{Telegram, WhatsApp};
            return match path.as_str() {
                "/channels/renew" => channels::renew(self, &site_key, req).await,
                "/channels/telegram/in" => channels::inbound(self, &site_key, Telegram, req).await,
                "/channels/whatsapp/in" => channels::inbound(self, &site_key, WhatsApp, req).await,
                "/channels/whatsapp/verify" => {
                    channels::handshake(self, &site_key, internal::body(&mut req).await?)
                }
                _ => Response::error("not found", 404),
            };
        }
        if path == "/invitations" || path.starts_with("/invitations/") {
            let res = links::manage(self, req, &path).await?;
            self.wake_soon().await?;
            return Ok(res);
        }
        match (req.method(), path.as_str()) {
            (Method::Post, "/setup") => self.setup(req).await,
            (Method::Get, "/config") => self.config(),
            (Method::Get, "/bot-config") => self.bot_config(),
            (Method::Post, "/continue") => continuity::resume(self, req).await,
            (Method::Get | Method::Put, "/availability") => self.availability(req).await,
            (Method::Get, "/settings") => match self.settings()? {
                Some((_, s)) => Response::from_json(&s),
                None => Response::error("unknown site", 404),
            },
            (Method::Put, "/settings") => self.change_settings(req).await,
            (Method::Post, "/login/check") => team::login_check(self, req).await,
            (Method::Post, "/login/finish") => team::login_finish(self, req).await,
            (Method::Post, "/session") => team::session(self, req).await,
            (Method::Post, "/logout") => team::logout(self, req).await,
            (Method::Get, "/member") => team::member(self, req),
            // Conversations of an older version, during a deploy; the others call `report`.
            (Method::Post, "/reports") => {
                internal::json_text(200, self.apply_report(&req.text().await?).await?)
            }
            (Method::Get | Method::Put, "/email") => notify::mine(self, req).await,
            (Method::Post, "/invite/info") => links::invite_info(self, req).await,
            (Method::Post, "/invite") => links::accept(self, req).await,
            (Method::Post, "/reset") => {
                let res = links::request_reset(self, req).await?;
                self.wake_soon().await?;
                Ok(res)
            }
            (Method::Post, "/reset/finish") => links::finish_reset(self, req).await,
            (Method::Post, "/email/unsubscribe") => notify::unsubscribe(self, req).await,
            (Method::Get, "/conversations") => index::list(self),
            (Method::Get, "/inbox/ws") => index::accept(self, &req),
            (Method::Get, "/tickets") => Response::from_json(&tickets::all(self)?),
            (Method::Get, "/tickets.csv") => tickets::csv(self),
            (Method::Post, "/verify-bot-reply") => self.verify_bot_reply(req).await,
            (Method::Get, "/usage") => usage::recent(self),
            (Method::Get, "/load") => {
                let online = sql::number(
                    &self.sql(),
                    "SELECT COUNT(*) AS n FROM conversations WHERE visitor_online = 1",
                    vec![],
                )?;
                Response::from_json(&self.load.borrow().snapshot(online.unwrap_or(0)))
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, msg: WebSocketIncomingMessage) -> Result<()> {
        if matches!(&msg, WebSocketIncomingMessage::String(t) if t == shared::protocol::PING) {
            return ws.send_with_str(shared::protocol::PONG);
        }
        if matches!(&msg, WebSocketIncomingMessage::String(t) if t == shared::protocol::PRESENT) {
            return presence::seen(self, &ws);
        }
        // The inbox feed is one-way; anything else an agent sends is answered with a reminder.
        let note = r#"{"type":"error","code":"read_only","message":"The inbox socket only pushes updates."}"#;
        ws.send_with_str(note)
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _clean: bool,
    ) -> Result<()> {
        crate::sockets::close_back(&ws, code, &reason);
        presence::socket_closed(self, &ws).await
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        crate::sockets::close_back(&ws, 1011, "error");
        presence::socket_closed(self, &ws).await
    }

    /// Prunes expired sessions (closing their sockets) and old failed sign-ins (daily), sends
    /// away assignees' conversations back to Pending, retries undelivered revocations, and
    /// sends the team's mail.
    async fn alarm(&self) -> Result<Response> {
        if !self.ready.get() {
            return Response::ok("not set up");
        }
        let now = worker::Date::now().as_millis() as i64;
        // Each clock on its own: one failing (logged, tried again in a minute) never stops
        // the others, nor the alarm being set again.
        let retry = |what: &str, e: worker::Error| {
            console_error!("site alarm, {what}: {e}");
            Some(now + 60_000)
        };
        let pruned = team::prune(self, now).await.err().and_then(|e| retry("prune", e));
        let clocks = [
            pruned,
            presence::check(self).await.unwrap_or_else(|e| retry("presence", e)),
            revoke::deliver(self).await.unwrap_or_else(|e| retry("revocations", e)),
            team::next_expiry(self).unwrap_or_else(|e| retry("sessions", e)),
            notify::deliver(self).await.unwrap_or_else(|e| retry("team mail", e)),
            links::deliver(self).await.unwrap_or_else(|e| retry("account links", e)),
            hooks::deliver(self).await.unwrap_or_else(|e| retry("webhooks", e)),
        ];
        // Never sooner than a second from now: a clock stuck in the past (its work failing)
        // must not make the alarm fire back to back.
        let next = clocks.into_iter().flatten().fold(now + DAY_MS, i64::min).max(now + 1_000);
        // Not `set_alarm`: a request handled while this ran (the handler awaits) may have
        // asked for an earlier wake, which must stand.
        crate::alarm::wake_by(&self.state.storage(), next).await?;
        Response::ok("alarm handled")
    }
}

pub(crate) const DAY_MS: i64 = 24 * 3600 * 1000;

/// Whether the team is within its business hours now; always, without a schedule.
fn open_now(s: &SiteSettings) -> bool {
    let now = worker::Date::now().as_millis() as i64;
    s.business_hours.as_ref().is_none_or(|h| h.is_open(now).unwrap_or(true))
}

impl Site {
    /// What widgets see of the settings, with the business hours evaluated now.
    fn widget_config(&self, site_key: String, s: &SiteSettings) -> Result<WidgetConfig> {
        Ok(widget_config(site_key, s, usage::suggestions(self, s)?))
    }
}

fn widget_config(site_key: String, s: &SiteSettings, suggestions: Vec<String>) -> WidgetConfig {
    WidgetConfig {
        site_key,
        title: s.title.clone(),
        color: s.color.clone(),
        human_button_after: s.human_button_after,
        open_now: open_now(s),
        takeover: s.takeover.enabled,
        show_human_button: s.takeover.show_button,
        ask_email: s.takeover.ask_email && !s.identity.require_verified,
        texts: (&s.texts).into(),
        suggestions,
    }
}
