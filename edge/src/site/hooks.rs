//! Lifecycle webhooks: the site's endpoints (owners and admins manage them), each with its own
//! signing secret (sealed; two sign while a rotation runs) and its events. An event reported
//! by a conversation becomes one delivery per endpoint that takes it, stored before anything
//! is sent, so deliveries survive restarts; the alarm sends what is due, on the Standard
//! Webhooks schedule with the same event id every time: `410 Gone` disables the endpoint,
//! another 4xx fails the delivery, anything else (no answer in 15 s included) tries again.

use futures_util::future::{Either, join_all, select};
use serde::Deserialize;
use shared::hooks::{
    Delivery, Endpoint, EndpointChange, EndpointSecret, HookEvent, MAX_ENDPOINTS, Outcome,
    ROTATION_OVERLAP_MS, TEST_EVENT, TIMEOUT_MS,
};
use shared::protocol::Millis;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    Response, Result, console_error,
};

use super::Site;
use crate::sql::{self, int, opt_text, text};
use crate::vault::Vault;
use crate::{crypto, now};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hooks (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, enabled INTEGER NOT NULL,
  disabled_reason TEXT, secret TEXT NOT NULL, hint TEXT NOT NULL, previous TEXT,
  previous_until INTEGER, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, hook_id TEXT NOT NULL, event_id TEXT NOT NULL,
  kind TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  next_at INTEGER, last_code INTEGER, last_error TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS hook_deliveries_due ON hook_deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS hook_deliveries_by_hook ON hook_deliveries (hook_id, id);
";

/// Deliveries sent per alarm run, and at once (a Worker has 6 connections open at most).
const BATCH: usize = 48;
const CONCURRENCY: usize = 6;
/// No new sends start after this long in one run: the other clocks share the alarm.
const RUN_MS: i64 = 30_000;
/// Deliveries kept per endpoint for the console (the newest), beyond those still pending.
const KEPT: i64 = 200;
/// The most of an endpoint's answer kept to show why it failed.
const ERROR_CHARS: usize = 200;

fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

#[derive(Deserialize)]
struct HookRow {
    id: String,
    url: String,
    events: String,
    enabled: i64,
    disabled_reason: Option<String>,
    secret: String,
    hint: String,
    previous: Option<String>,
    previous_until: Option<i64>,
    created_at: i64,
}

const HOOK_COLUMNS: &str =
    "id, url, events, enabled, disabled_reason, secret, hint, previous, previous_until, created_at";

impl HookRow {
    fn view(&self) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            url: self.url.clone(),
            events: serde_json::from_str(&self.events).unwrap_or_default(),
            enabled: self.enabled != 0,
            disabled_reason: self.disabled_reason.clone(),
            hint: self.hint.clone(),
            previous_until: self.previous_until.filter(|t| *t > now()),
            created_at: self.created_at,
        }
    }
}

fn all(site: &Site) -> Result<Vec<HookRow>> {
    sql::rows(&site.sql(), &format!("SELECT {HOOK_COLUMNS} FROM hooks ORDER BY created_at"), vec![])
}

fn one(site: &Site, id: &str) -> Result<Option<HookRow>> {
    let query = format!("SELECT {HOOK_COLUMNS} FROM hooks WHERE id = ?");
    sql::first(&site.sql(), &query, vec![text(id)])
}

/// Where a hook's secret is sealed: the site, the hook, and which of its secrets.
fn place(site_key: &str, hook_id: &str, which: &str) -> String {
    format!("{site_key}/hook/{hook_id}/{which}")
}

fn no_vault() -> Result<Response> {
    refuse(
        503,
        "secrets_unavailable",
        "This deployment cannot store secrets: its operator must set SECRETS_KEY.",
    )
}

/// `/hooks…`: owners and admins (the caller checks the role).
pub async fn manage(site: &Site, site_key: &str, mut req: Request, path: &str) -> Result<Response> {
    let rest: Vec<&str> =
        path.trim_start_matches("/hooks").split('/').filter(|p| !p.is_empty()).collect();
    match (req.method(), rest.as_slice()) {
        (Method::Get, []) => {
            Response::from_json(&all(site)?.iter().map(HookRow::view).collect::<Vec<_>>())
        }
        (Method::Post, []) => match super::team::parse::<EndpointChange>(&mut req).await {
            Ok(new) => create(site, site_key, new),
            Err(refused) => refused,
        },
        (Method::Patch, [id]) => match super::team::parse::<EndpointChange>(&mut req).await {
            Ok(change) => self::change(site, id, change),
            Err(refused) => refused,
        },
        (Method::Delete, [id]) => {
            let cursor =
                site.sql().exec("DELETE FROM hooks WHERE id = ?", Some(vec![text(*id)]))?;
            if cursor.rows_written() == 0 {
                return unknown();
            }
            sql::run(
                &site.sql(),
                "DELETE FROM hook_deliveries WHERE hook_id = ?",
                vec![text(*id)],
            )?;
            Ok(Response::empty()?.with_status(204))
        }
        (Method::Post, [id, "rotate"]) => rotate(site, site_key, id),
        (Method::Post, [id, "test"]) => test(site, site_key, id),
        (Method::Get, [id, "deliveries"]) => deliveries(site, id),
        (Method::Post, [id, "deliveries", delivery, "redeliver"]) => redeliver(site, id, delivery),
        _ => Response::error("not found", 404),
    }
}

fn unknown() -> Result<Response> {
    refuse(404, "unknown_endpoint", "There is no such endpoint.")
}

fn create(site: &Site, site_key: &str, new: EndpointChange) -> Result<Response> {
    let (Some(url), Some(events)) = (new.url, new.events.map(normal)) else {
        return refuse(400, "invalid_endpoint", "Give the endpoint's URL and its events.");
    };
    if let Err(message) = shared::hooks::validate(&url, &events) {
        return refuse(400, "invalid_endpoint", &message);
    }
    if all(site)?.len() >= MAX_ENDPOINTS {
        let why = format!("A site has at most {MAX_ENDPOINTS} endpoints.");
        return refuse(409, "too_many_endpoints", &why);
    }
    let Ok(vault) = Vault::from_env(&site.env) else { return no_vault() };
    let id = crypto::new_id()?;
    let secret = shared::signing::new_secret(crypto::random_bytes::<32>()?);
    sql::run(
        &site.sql(),
        "INSERT INTO hooks (id, url, events, enabled, secret, hint, created_at)
         VALUES (?, ?, ?, 1, ?, ?, ?)",
        vec![
            text(&id),
            text(url.trim()),
            text(serde_json::to_string(&events)?),
            text(vault.seal(&place(site_key, &id, "current"), &secret)?),
            text(hint(&secret)),
            int(now()),
        ],
    )?;
    let Some(row) = one(site, &id)? else { return unknown() };
    let made = EndpointSecret { endpoint: row.view(), secret };
    Ok(Response::from_json(&made)?.with_status(201))
}

/// Each event once, in a stable order.
fn normal(mut events: Vec<String>) -> Vec<String> {
    events.sort();
    events.dedup();
    events
}

fn hint(secret: &str) -> String {
    let bare = secret.trim_end_matches('=');
    format!("whsec_…{}", &bare[bare.len().saturating_sub(4)..])
}

fn change(site: &Site, id: &str, change: EndpointChange) -> Result<Response> {
    let Some(row) = one(site, id)? else { return unknown() };
    let url = change.url.unwrap_or(row.url.clone());
    let events = change.events.map(normal).unwrap_or_else(|| row.view().events);
    if let Err(message) = shared::hooks::validate(&url, &events) {
        return refuse(400, "invalid_endpoint", &message);
    }
    let enabled = change.enabled.unwrap_or(row.enabled != 0);
    sql::run(
        &site.sql(),
        "UPDATE hooks SET url = ?, events = ?, enabled = ?,
           disabled_reason = CASE WHEN ? THEN NULL ELSE disabled_reason END WHERE id = ?",
        vec![
            text(url.trim()),
            text(serde_json::to_string(&events)?),
            int(enabled.into()),
            int(enabled.into()),
            text(id),
        ],
    )?;
    let Some(row) = one(site, id)? else { return unknown() };
    Response::from_json(&row.view())
}

/// A new secret, shown this once; the one it replaces signs too for a day.
fn rotate(site: &Site, site_key: &str, id: &str) -> Result<Response> {
    let Some(row) = one(site, id)? else { return unknown() };
    let Ok(vault) = Vault::from_env(&site.env) else { return no_vault() };
    let Ok(old) = vault.open(&place(site_key, id, "current"), &row.secret) else {
        return no_vault();
    };
    let secret = shared::signing::new_secret(crypto::random_bytes::<32>()?);
    sql::run(
        &site.sql(),
        "UPDATE hooks SET secret = ?, hint = ?, previous = ?, previous_until = ? WHERE id = ?",
        vec![
            text(vault.seal(&place(site_key, id, "current"), &secret)?),
            text(hint(&secret)),
            text(vault.seal(&place(site_key, id, "previous"), &old)?),
            int(now() + ROTATION_OVERLAP_MS),
            text(id),
        ],
    )?;
    let Some(row) = one(site, id)? else { return unknown() };
    Response::from_json(&EndpointSecret { endpoint: row.view(), secret })
}

fn off() -> Result<Response> {
    refuse(409, "endpoint_off", "This endpoint is turned off: turn it on first.")
}

fn test(site: &Site, site_key: &str, id: &str) -> Result<Response> {
    let Some(row) = one(site, id)? else { return unknown() };
    if row.enabled == 0 {
        return off();
    }
    let event = HookEvent {
        kind: TEST_EVENT.into(),
        at: now(),
        conversation_id: String::new(),
        ticket: None,
        actor: shared::hooks::Actor::System,
        data: serde_json::json!({ "message": "A test event from the console." }),
        channel: None,
    };
    let event_id = format!("msg_{}", crypto::new_id()?);
    let delivery = queue_one(site, site_key, &row.id, &event_id, &event)?;
    site.alarm_by(now());
    Response::from_json(&serde_json::json!({ "delivery": delivery }))
}

fn iso(ms: Millis) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).to_iso_string())
}

/// Stores one delivery of `event` to `hook_id`, due now; returns its id.
fn queue_one(
    site: &Site,
    site_key: &str,
    hook_id: &str,
    event_id: &str,
    event: &HookEvent,
) -> Result<i64> {
    let body = shared::hooks::payload(event_id, site_key, &iso(event.at), event).to_string();
    let cursor = site.sql().exec(
        "INSERT INTO hook_deliveries (hook_id, event_id, kind, body, status, attempts, next_at,
           created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id",
        Some(vec![
            text(hook_id),
            text(event_id),
            text(&event.kind),
            text(body),
            int(now()),
            int(now()),
        ]),
    )?;
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let ids: Vec<Id> = cursor.to_array()?;
    Ok(ids.first().map_or(0, |r| r.id))
}

/// Called as a report is applied (no await: with the rest of the batch): one delivery per
/// enabled endpoint that takes the event.
pub fn enqueue(site: &Site, site_key: &str, record: i64, event: &HookEvent) -> Result<bool> {
    let mut queued = false;
    // From the conversation and its outbox record: a report applied twice carries one id.
    let event_id = format!("msg_{}_{record}", event.conversation_id);
    for hook in all(site)?.iter().filter(|h| h.enabled != 0) {
        if hook.view().events.contains(&event.kind) {
            queue_one(site, site_key, &hook.id, &event_id, event)?;
            queued = true;
        }
    }
    Ok(queued)
}

/// The events some enabled endpoint takes: conversations report only those (and every
/// message only when one takes `message.created`).
pub fn wanted(site: &Site) -> Result<Vec<String>> {
    let mut events: Vec<String> =
        all(site)?.iter().filter(|h| h.enabled != 0).flat_map(|h| h.view().events).collect();
    events.sort();
    events.dedup();
    Ok(events)
}

#[derive(Deserialize)]
struct DeliveryRow {
    id: i64,
    event_id: String,
    kind: String,
    status: String,
    attempts: i64,
    last_code: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    next_at: Option<i64>,
}

impl DeliveryRow {
    fn view(self) -> Delivery {
        Delivery {
            id: self.id,
            event_id: self.event_id,
            kind: self.kind,
            status: self.status,
            attempts: self.attempts as u32,
            last_code: self.last_code.map(|c| c as u16),
            last_error: self.last_error,
            created_at: self.created_at,
            next_at: self.next_at,
        }
    }
}

fn deliveries(site: &Site, id: &str) -> Result<Response> {
    if one(site, id)?.is_none() {
        return unknown();
    }
    let rows: Vec<DeliveryRow> = sql::rows(
        &site.sql(),
        "SELECT id, event_id, kind, status, attempts, last_code, last_error, created_at, next_at
         FROM hook_deliveries WHERE hook_id = ? ORDER BY id DESC LIMIT 50",
        vec![text(id)],
    )?;
    Response::from_json(&rows.into_iter().map(DeliveryRow::view).collect::<Vec<_>>())
}

/// Sends a delivery again now, with its event id; its schedule starts over.
fn redeliver(site: &Site, id: &str, delivery: &str) -> Result<Response> {
    let Ok(delivery) = delivery.parse::<i64>() else { return unknown() };
    match one(site, id)? {
        None => return unknown(),
        Some(row) if row.enabled == 0 => return off(),
        Some(_) => {}
    }
    let cursor = site.sql().exec(
        "UPDATE hook_deliveries SET status = 'pending', attempts = 0, next_at = ?
         WHERE id = ? AND hook_id = ?",
        Some(vec![int(now()), int(delivery), text(id)]),
    )?;
    if cursor.rows_written() == 0 {
        return refuse(404, "unknown_delivery", "There is no such delivery.");
    }
    site.alarm_by(now());
    Response::ok("queued")
}

#[derive(Deserialize)]
struct Due {
    id: i64,
    hook_id: String,
    event_id: String,
    body: String,
    attempts: i64,
}

/// What one attempt came to.
struct Tried {
    id: i64,
    hook_id: String,
    attempts: i64,
    status: Option<u16>,
    error: Option<String>,
    /// Not sent: the endpoint was turned off meanwhile.
    off: bool,
}

/// The alarm's part: sends what is due, and says when the next is.
pub async fn deliver(site: &Site) -> Result<Option<Millis>> {
    let Some(site_key) = site.site_key()? else { return Ok(None) };
    let at = now();
    let due: Vec<Due> = sql::rows(
        &site.sql(),
        "SELECT d.id, d.hook_id, d.event_id, d.body, d.attempts FROM hook_deliveries d
         WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at LIMIT ?",
        vec![int(at), int(BATCH as i64)],
    )?;
    let hooks = all(site)?;
    let vault = Vault::from_env(&site.env).ok();
    for chunk in due.chunks(CONCURRENCY) {
        if now() - at > RUN_MS {
            break;
        }
        let attempts = chunk.iter().map(|d| {
            let hook = hooks.iter().find(|h| h.id == d.hook_id);
            attempt(&site_key, vault.as_ref(), hook, d)
        });
        // Recorded as each chunk ends: a run cut short sends nothing twice.
        for t in join_all(attempts).await {
            record(site, t)?;
        }
    }
    prune(site)?;
    sql::number(
        &site.sql(),
        "SELECT min(next_at) AS n FROM hook_deliveries WHERE status = 'pending'",
        vec![],
    )
}

/// One POST of a delivery, signed with the endpoint's secrets.
async fn attempt(site_key: &str, vault: Option<&Vault>, hook: Option<&HookRow>, d: &Due) -> Tried {
    let mut t = Tried {
        id: d.id,
        hook_id: d.hook_id.clone(),
        attempts: d.attempts + 1,
        status: None,
        error: None,
        off: false,
    };
    let Some(hook) = hook.filter(|h| h.enabled != 0) else {
        t.error = Some("the endpoint is turned off".into());
        t.off = true;
        return t;
    };
    let Some(vault) = vault else {
        t.error = Some("the deployment has no SECRETS_KEY to sign with".into());
        return t;
    };
    let mut secrets = Vec::new();
    if let Ok(s) = vault.open(&place(site_key, &hook.id, "current"), &hook.secret) {
        secrets.push(s);
    }
    if let (Some(prev), Some(until)) = (&hook.previous, hook.previous_until)
        && until > now()
        && let Ok(s) = vault.open(&place(site_key, &hook.id, "previous"), prev)
    {
        secrets.push(s);
    }
    let keys: Vec<Vec<u8>> = secrets.iter().filter_map(|s| shared::signing::key(s)).collect();
    if keys.is_empty() {
        t.error = Some("the endpoint's secret could not be opened".into());
        return t;
    }
    match post(&hook.url, &keys, &d.event_id, &d.body).await {
        Ok((status, answer)) => {
            t.status = Some(status);
            if !(200..300).contains(&status) {
                t.error = Some(answer);
            }
        }
        Err(e) => t.error = Some(e),
    }
    t
}

async fn post(
    url: &str,
    keys: &[Vec<u8>],
    id: &str,
    body: &str,
) -> std::result::Result<(u16, String), String> {
    let timestamp = now() / 1000;
    let signature = shared::signing::outbound_signature(keys, id, timestamp, body.as_bytes());
    let fail = |e: worker::Error| e.to_string();
    let headers = Headers::new();
    headers.set("Content-Type", "application/json").map_err(fail)?;
    headers.set("User-Agent", "takeover-webhooks/1").map_err(fail)?;
    headers.set("webhook-id", id).map_err(fail)?;
    headers.set("webhook-timestamp", &timestamp.to_string()).map_err(fail)?;
    headers.set("webhook-signature", &signature).map_err(fail)?;
    let mut init = RequestInit::new();
    // A redirect is an answer, not a new destination: the signed body goes where the owner
    // said, and nowhere else.
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()))
        .with_redirect(RequestRedirect::Manual);
    let req = Request::new_with_init(url, &init).map_err(fail)?;
    let abort = AbortController::default();
    let signal = abort.signal();
    let fetch = Fetch::Request(req);
    // The answer, and for a failure the start of its body, all within the timeout.
    let answered = async {
        let res = fetch.send_with_signal(&signal).await.map_err(|e| format!("no answer: {e}"))?;
        let status = res.status_code();
        if (200..300).contains(&status) {
            return Ok((status, String::new()));
        }
        let answer = crate::http::read_response(&res, 4096)
            .await
            .map(|b| String::from_utf8_lossy(&b).chars().take(ERROR_CHARS).collect())
            .unwrap_or_default();
        Ok((status, answer))
    };
    let timeout = Delay::from(std::time::Duration::from_millis(TIMEOUT_MS));
    match select(std::pin::pin!(answered), timeout).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => {
            abort.abort();
            Err(format!("no answer within {} s", TIMEOUT_MS / 1000))
        }
    }
}

fn record(site: &Site, t: Tried) -> Result<()> {
    if t.off {
        sql::run(
            &site.sql(),
            "UPDATE hook_deliveries SET status = 'failed', next_at = NULL, last_error = ?
             WHERE id = ?",
            vec![text(t.error.unwrap_or_default()), int(t.id)],
        )?;
        return Ok(());
    }
    let outcome = shared::hooks::outcome(t.status);
    let (status, next) = match outcome {
        Outcome::Delivered => ("delivered", None),
        Outcome::Refused | Outcome::Gone => ("failed", None),
        Outcome::Retry => match shared::hooks::next_attempt(t.attempts as usize, now()) {
            Some(next) => ("pending", Some(next)),
            None => ("failed", None),
        },
    };
    let error: Option<String> = t.error.map(|e| e.chars().take(ERROR_CHARS).collect());
    sql::run(
        &site.sql(),
        "UPDATE hook_deliveries SET status = ?, attempts = ?, next_at = ?, last_code = ?,
           last_error = ? WHERE id = ?",
        vec![
            text(status),
            int(t.attempts),
            next.map_or(sql::V::Null, int),
            t.status.map_or(sql::V::Null, |c| int(c.into())),
            opt_text(error),
            int(t.id),
        ],
    )?;
    if outcome == Outcome::Gone {
        // The receiver says it is gone for good: nothing more goes there until re-enabled.
        let reason = format!("Disabled {}: the endpoint answered 410 Gone.", iso(now()));
        sql::run(
            &site.sql(),
            "UPDATE hooks SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1",
            vec![text(reason), text(&t.hook_id)],
        )?;
        sql::run(
            &site.sql(),
            "UPDATE hook_deliveries SET status = 'failed', next_at = NULL,
               last_error = 'the endpoint was disabled' WHERE hook_id = ? AND status = 'pending'",
            vec![text(&t.hook_id)],
        )?;
    } else if outcome != Outcome::Delivered {
        console_error!("webhook delivery {} to {}: {:?} {:?}", t.id, t.hook_id, t.status, status);
    }
    Ok(())
}

/// Keeps the newest [`KEPT`] finished deliveries per endpoint.
fn prune(site: &Site) -> Result<()> {
    sql::run(
        &site.sql(),
        "DELETE FROM hook_deliveries WHERE status != 'pending' AND id IN (
           SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY hook_id ORDER BY id DESC)
             AS n FROM hook_deliveries WHERE status != 'pending') WHERE n > ?)",
        vec![int(KEPT)],
    )
}
