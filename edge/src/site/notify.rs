//! Mail to the team about visitors waiting for a person: a new request, and a reminder when it
//! is still unclaimed. Every request is noticed once (by conversation and when its wait began)
//! and queued per teammate; the site's alarm sends the queue, gathering what a teammate has
//! waiting into one mail and at most [`BURST`] mails per [`WINDOW_MS`] each, so a flood of
//! requests gives digests, never hundreds of mails. What is no longer waiting when its mail
//! is due is not sent.

use std::collections::HashMap;

use serde::Deserialize;
use shared::api::ConversationSummary;
use shared::mail::{EmailPrefs, Links, MyEmail, Notice, RequestBrief, RequestMail};
use shared::protocol::{Millis, Phase, Role};
use worker::{Method, Request, Response, Result, console_error};

use super::Site;
use crate::mail::{self, Outgoing, Sender};
use crate::sql::{self, int, text};
use crate::{internal, now};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
  conversation_id TEXT NOT NULL, waiting_since INTEGER NOT NULL, noticed_at INTEGER NOT NULL,
  reminded INTEGER NOT NULL DEFAULT 0, offline INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, waiting_since));
CREATE TABLE IF NOT EXISTS mail_queue (
  member_id TEXT NOT NULL, conversation_id TEXT NOT NULL, waiting_since INTEGER NOT NULL,
  kind TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, conversation_id, waiting_since, kind));
CREATE INDEX IF NOT EXISTS requests_unreminded ON requests (reminded, waiting_since);
CREATE INDEX IF NOT EXISTS requests_by_notice ON requests (noticed_at);
CREATE INDEX IF NOT EXISTS mail_queue_by_due ON mail_queue (due_at);
CREATE TABLE IF NOT EXISTS mail_log (member_id TEXT NOT NULL, sent_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS mail_log_by_member ON mail_log (member_id, sent_at);
CREATE TABLE IF NOT EXISTS mail_prefs (
  member_id TEXT PRIMARY KEY, new_requests TEXT NOT NULL, reminders INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS site_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// At most this many mails to one teammate within the window ([`WINDOW_SECS`], or the
/// deployment's `MAIL_WINDOW_SECS`); more waits for the next and goes out as one digest.
pub const BURST: i64 = 3;
const WINDOW_SECS: i64 = 10 * 60;
/// Requests listed in one digest; the rest are counted with a link to the inbox.
const DIGEST_MAX: usize = 20;
/// A mail that fails is tried again after 1, 2, 4 … minutes, this many times in all.
const ATTEMPTS: i64 = 6;
/// Noticed requests are remembered this long (a wait that began earlier is not mailed).
const REMEMBER_MS: i64 = 7 * super::DAY_MS;

/// A request waits while its conversation is escalated since then (a message left for the
/// team included: that conversation waits too, until someone claims it).
const STILL_WAITING: &str = "SELECT r.offline FROM requests r JOIN conversations c
  ON c.id = r.conversation_id WHERE r.conversation_id = ? AND r.waiting_since = ?
  AND c.phase = 'escalated' AND c.spam = 0 AND json_extract(c.json, '$.waiting_since') = r.waiting_since";

#[derive(Deserialize)]
struct Recipient {
    id: String,
    email: String,
    role: String,
    new_requests: Option<String>,
    reminders: Option<i64>,
}

impl Recipient {
    fn prefs(&self) -> EmailPrefs {
        let role = Role::parse(&self.role).unwrap_or(Role::Viewer);
        match (&self.new_requests, self.reminders) {
            (Some(n), Some(r)) => EmailPrefs {
                new_requests: serde_json::from_value(serde_json::Value::String(n.clone()))
                    .unwrap_or(RequestMail::Never),
                reminders: r != 0,
            },
            _ => EmailPrefs::default_for(role),
        }
    }
}

const RECIPIENTS: &str = "SELECT m.id, m.email, m.role, p.new_requests, p.reminders
  FROM members m LEFT JOIN mail_prefs p ON p.member_id = m.id";

/// Mail queued now goes out this much later, so a burst of requests wakes the alarm once.
const GATHER_MS: i64 = 1_000;

/// Called with every summary the index takes: a wait for a person not seen before queues its
/// mail. Returns when the alarm must come for it (its mail, or its reminder).
pub fn noticed(site: &Site, summary: &ConversationSummary) -> Result<Option<Millis>> {
    let Some(since) = summary.waiting_since else { return Ok(None) };
    if summary.phase != Phase::Escalated || summary.spam {
        return Ok(None);
    }
    notice(site, &summary.id, since, summary.left_message)
}

fn notice(
    site: &Site,
    conversation_id: &str,
    since: Millis,
    offline: bool,
) -> Result<Option<Millis>> {
    let at = now();
    if !site.mail_on() || since < at - REMEMBER_MS {
        return Ok(None);
    }
    let cursor = site.sql().exec(
        "INSERT OR IGNORE INTO requests (conversation_id, waiting_since, noticed_at, offline)
         VALUES (?, ?, ?, ?)",
        Some(vec![text(conversation_id), int(since), int(at), int(offline.into())]),
    )?;
    if cursor.rows_written() == 0 {
        return Ok(None);
    }
    let settings = site.settings()?.map(|(_, s)| s);
    let open = settings.as_ref().is_none_or(super::open_now);
    let to: Vec<Recipient> = sql::rows(&site.sql(), RECIPIENTS, vec![])?;
    let to: Vec<&Recipient> = to.iter().filter(|r| r.prefs().wants_request(open)).collect();
    queue(site, &to, conversation_id, since, Notice::NewRequest, at + GATHER_MS)?;
    let remind = settings.map_or(0, |s| i64::from(s.email.remind_after_secs) * 1000);
    let reminder = (remind > 0).then_some(since + remind);
    let mail = (!to.is_empty()).then_some(at + GATHER_MS);
    Ok([mail, reminder].into_iter().flatten().min())
}

fn queue(
    site: &Site,
    to: &[&Recipient],
    conversation_id: &str,
    since: Millis,
    notice: Notice,
    at: Millis,
) -> Result<()> {
    for r in to {
        sql::run(
            &site.sql(),
            "INSERT OR IGNORE INTO mail_queue (member_id, conversation_id, waiting_since, kind,
               due_at) VALUES (?, ?, ?, ?, ?)",
            vec![text(&r.id), text(conversation_id), int(since), text(notice.as_str()), int(at)],
        )?;
    }
    Ok(())
}

/// Whether the request still waits, and whether it is a message left for the team.
fn waiting(site: &Site, conversation_id: &str, since: Millis) -> Result<Option<bool>> {
    #[derive(Deserialize)]
    struct Row {
        offline: i64,
    }
    let row: Option<Row> =
        sql::first(&site.sql(), STILL_WAITING, vec![text(conversation_id), int(since)])?;
    Ok(row.map(|r| r.offline != 0))
}

#[derive(Deserialize)]
struct Waiting {
    conversation_id: String,
    waiting_since: i64,
}

/// Queues the reminders that are due; returns when the next one will be.
fn remind(
    site: &Site,
    after_ms: i64,
    everyone: bool,
    open: bool,
    at: Millis,
) -> Result<Option<Millis>> {
    if after_ms <= 0 {
        return Ok(None);
    }
    let due: Vec<Waiting> = sql::rows(
        &site.sql(),
        "SELECT conversation_id, waiting_since FROM requests
         WHERE reminded = 0 AND waiting_since <= ?",
        vec![int(at - after_ms)],
    )?;
    if !due.is_empty() {
        let all: Vec<Recipient> = sql::rows(&site.sql(), RECIPIENTS, vec![])?;
        let to: Vec<&Recipient> = all
            .iter()
            .filter(|r| {
                let p = r.prefs();
                p.reminders && (everyone || p.wants_request(open))
            })
            .collect();
        for w in &due {
            if waiting(site, &w.conversation_id, w.waiting_since)?.is_some() {
                queue(site, &to, &w.conversation_id, w.waiting_since, Notice::Reminder, at)?;
            }
            sql::run(
                &site.sql(),
                "UPDATE requests SET reminded = 1 WHERE conversation_id = ? AND waiting_since = ?",
                vec![text(&w.conversation_id), int(w.waiting_since)],
            )?;
        }
    }
    let oldest = sql::number(
        &site.sql(),
        "SELECT min(waiting_since) AS n FROM requests WHERE reminded = 0",
        vec![],
    )?;
    Ok(oldest.map(|since| since + after_ms))
}

#[derive(Deserialize)]
struct Queued {
    conversation_id: String,
    waiting_since: i64,
    kind: String,
    attempts: i64,
}

/// The alarm's part: queues due reminders, sends what is due, and says when to come back.
pub async fn deliver(site: &Site) -> Result<Option<Millis>> {
    let Some((site_key, settings)) = site.settings()? else { return Ok(None) };
    let at = now();
    prune(site, at)?;
    let Some(sender) = mail::sender(&site.env) else {
        sql::run(&site.sql(), "DELETE FROM mail_queue", vec![])?;
        return Ok(None);
    };
    let open = super::open_now(&settings);
    let remind_ms = i64::from(settings.email.remind_after_secs) * 1000;
    let next_reminder = remind(site, remind_ms, settings.email.remind_everyone, open, at)?;
    let origin = origin(site)?;
    let console = origin.as_ref().map(|o| format!("{o}/admin"));
    let mut briefs: HashMap<(String, i64), Option<RequestBrief>> = HashMap::new();
    for member in due_members(site, at)? {
        let Some(to) = recipient(site, &member)? else {
            // Left the team: nothing more goes to them.
            sql::run(
                &site.sql(),
                "DELETE FROM mail_queue WHERE member_id = ?",
                vec![text(&member)],
            )?;
            continue;
        };
        let token = mail::unsubscribe_token(&site.env, &site_key, &member, &to.email);
        let unsubscribe = origin
            .as_ref()
            .zip(token)
            .map(|(o, t)| format!("{o}/api/unsubscribe?site={site_key}&member={member}&token={t}"));
        let prefs = to.prefs();
        for notice in [Notice::NewRequest, Notice::Reminder] {
            // Their choice now, not when the mail was queued.
            let wanted = match notice {
                Notice::NewRequest => prefs.wants_request(open),
                Notice::Reminder => {
                    prefs.reminders && (settings.email.remind_everyone || prefs.wants_request(open))
                }
            };
            let rows: Vec<Queued> = sql::rows(
                &site.sql(),
                "SELECT conversation_id, waiting_since, kind, attempts FROM mail_queue
                 WHERE member_id = ? AND kind = ? AND due_at <= ? ORDER BY waiting_since",
                vec![text(&member), text(notice.as_str()), int(at)],
            )?;
            let mut still = Vec::new();
            for row in rows {
                match waiting(site, &row.conversation_id, row.waiting_since)? {
                    Some(offline) if wanted => still.push((row, offline)),
                    _ => forget(site, &member, &row)?,
                }
            }
            if still.is_empty() {
                continue;
            }
            if let Some(free_at) = rate_limited(site, &member, at)? {
                sql::run(
                    &site.sql(),
                    "UPDATE mail_queue SET due_at = max(due_at, ?) WHERE member_id = ?",
                    vec![int(free_at), text(&member)],
                )?;
                break;
            }
            let mut listed = Vec::new();
            let mut waiting_rows = Vec::new();
            for (row, offline) in still {
                let key = (row.conversation_id.clone(), row.waiting_since);
                if listed.len() < DIGEST_MAX && !briefs.contains_key(&key) {
                    let b = brief(site, &row.conversation_id, row.waiting_since).await;
                    briefs.insert(
                        key.clone(),
                        b.map(|b| RequestBrief { left_message: offline, ..b }),
                    );
                }
                match briefs.get(&key) {
                    // The conversation says it no longer waits (the index had not heard yet).
                    Some(None) => forget(site, &member, &row)?,
                    Some(Some(b)) if listed.len() < DIGEST_MAX => {
                        listed.push(b.clone());
                        waiting_rows.push(row);
                    }
                    _ => waiting_rows.push(row),
                }
            }
            if listed.is_empty() {
                continue;
            }
            let more = waiting_rows.len() - listed.len();
            let links = Links { console: console.as_deref(), unsubscribe: unsubscribe.as_deref() };
            let composed =
                shared::mail::compose(notice, &settings.title, &listed, more, now(), &links);
            let out =
                Outgoing { to: &to.email, mail: &composed, unsubscribe: unsubscribe.as_deref() };
            match sender.send(&out).await {
                Ok(()) => {
                    sql::run(
                        &site.sql(),
                        "INSERT INTO mail_log (member_id, sent_at) VALUES (?, ?)",
                        vec![text(&member), int(now())],
                    )?;
                    for row in &waiting_rows {
                        forget(site, &member, row)?;
                    }
                }
                Err(e) => {
                    console_error!("team mail to member {member}: {e}");
                    let rows: Vec<&Queued> = waiting_rows.iter().collect();
                    retry_or_drop(site, &member, &rows, now())?;
                }
            }
        }
    }
    let next = sql::number(&site.sql(), "SELECT min(due_at) AS n FROM mail_queue", vec![])?;
    Ok([next, next_reminder].into_iter().flatten().min())
}

fn due_members(site: &Site, at: Millis) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Member {
        member_id: String,
    }
    let rows: Vec<Member> = sql::rows(
        &site.sql(),
        "SELECT DISTINCT member_id FROM mail_queue WHERE due_at <= ?",
        vec![int(at)],
    )?;
    Ok(rows.into_iter().map(|m| m.member_id).collect())
}

fn recipient(site: &Site, member_id: &str) -> Result<Option<Recipient>> {
    let query = format!("{RECIPIENTS} WHERE m.id = ?");
    sql::first(&site.sql(), &query, vec![text(member_id)])
}

/// When the teammate may be mailed again, if they had their [`BURST`] in the window.
fn rate_limited(site: &Site, member_id: &str, at: Millis) -> Result<Option<Millis>> {
    let window = window_ms(site);
    #[derive(Deserialize)]
    struct Sent {
        n: i64,
        first: Option<i64>,
    }
    let sent: Option<Sent> = sql::first(
        &site.sql(),
        "SELECT count(*) AS n, min(sent_at) AS first FROM mail_log
         WHERE member_id = ? AND sent_at > ?",
        vec![text(member_id), int(at - window)],
    )?;
    Ok(sent.filter(|s| s.n >= BURST).and_then(|s| s.first).map(|first| first + window))
}

fn forget(site: &Site, member_id: &str, row: &Queued) -> Result<()> {
    sql::run(
        &site.sql(),
        "DELETE FROM mail_queue WHERE member_id = ? AND conversation_id = ? AND waiting_since = ?
           AND kind = ?",
        vec![text(member_id), text(&row.conversation_id), int(row.waiting_since), text(&row.kind)],
    )
}

/// A failed send is tried again later, a few times, then given up on (and logged).
fn retry_or_drop(site: &Site, member_id: &str, rows: &[&Queued], at: Millis) -> Result<()> {
    for row in rows {
        if row.attempts + 1 >= ATTEMPTS {
            console_error!(
                "team mail about {} to member {member_id}: given up after {ATTEMPTS} attempts",
                row.conversation_id
            );
            forget(site, member_id, row)?;
            continue;
        }
        sql::run(
            &site.sql(),
            "UPDATE mail_queue SET attempts = attempts + 1, due_at = ?
             WHERE member_id = ? AND conversation_id = ? AND waiting_since = ? AND kind = ?",
            vec![
                int(at + 60_000 * (1 << row.attempts)),
                text(member_id),
                text(&row.conversation_id),
                int(row.waiting_since),
                text(&row.kind),
            ],
        )?;
    }
    Ok(())
}

fn window_ms(site: &Site) -> i64 {
    let secs = site.env.var("MAIL_WINDOW_SECS").ok().and_then(|v| v.to_string().parse().ok());
    secs.filter(|s: &i64| (1..=86_400).contains(s)).unwrap_or(WINDOW_SECS) * 1000
}

fn prune(site: &Site, at: Millis) -> Result<()> {
    sql::run(
        &site.sql(),
        "DELETE FROM requests WHERE noticed_at < ?",
        vec![int(at - REMEMBER_MS)],
    )?;
    sql::run(&site.sql(), "DELETE FROM mail_log WHERE sent_at < ?", vec![int(at - window_ms(site))])
}

/// The conversation's own account of the wait (`None` if it says the wait is over); the
/// index's, should the conversation not answer (the mail still goes out).
async fn brief(site: &Site, conversation_id: &str, since: Millis) -> Option<RequestBrief> {
    let asked = async {
        let stub = internal::conversation(&site.env, conversation_id)?;
        let path = format!("/brief?since={since}");
        let res = internal::send::<()>(&stub, Method::Get, &path, None).await?;
        match res.status_code() {
            200 => crate::internal::json::<RequestBrief>(&res).await.map(Some),
            409 => Ok(None),
            other => Err(worker::Error::RustError(format!("brief: {other}"))),
        }
    };
    match asked.await {
        Ok(b) => b,
        Err(e) => {
            console_error!("brief of {conversation_id}: {e}");
            Some(from_index(site, conversation_id, since).unwrap_or_else(|_| RequestBrief {
                conversation_id: conversation_id.to_owned(),
                waiting_since: since,
                ..Default::default()
            }))
        }
    }
}

fn from_index(site: &Site, conversation_id: &str, since: Millis) -> Result<RequestBrief> {
    #[derive(Deserialize)]
    struct Json {
        json: String,
    }
    let row: Option<Json> = sql::first(
        &site.sql(),
        "SELECT json FROM conversations WHERE id = ?",
        vec![text(conversation_id)],
    )?;
    let summary: Option<ConversationSummary> =
        row.map(|r| serde_json::from_str(&r.json)).transpose()?;
    Ok(RequestBrief {
        conversation_id: conversation_id.to_owned(),
        visitor_name: summary.as_ref().and_then(|s| s.visitor_name.clone()),
        channel: summary.as_ref().and_then(|s| s.channel).map(|k| k.label().to_owned()),
        need: summary.map(|s| s.preview).unwrap_or_default(),
        waiting_since: since,
        ..Default::default()
    })
}

/// Where the team's links lead: the deployment's `PUBLIC_URL`, else the address an owner
/// last signed in at (or the site was set up from); `None` before any. Never a teammate's
/// request alone: a reset link sent to an address an attacker chose would hand them the
/// account.
pub fn origin(site: &Site) -> Result<Option<String>> {
    if let Some(url) = site.env.var("PUBLIC_URL").ok().map(|v| v.to_string())
        && acceptable(&url)
    {
        return Ok(Some(url.trim_end_matches('/').to_owned()));
    }
    #[derive(Deserialize)]
    struct Value {
        value: String,
    }
    let row: Option<Value> =
        sql::first(&site.sql(), "SELECT value FROM site_meta WHERE key = 'origin'", vec![])?;
    Ok(row.map(|r| r.value))
}

/// An address links may lead to: https, or http on this machine (local runs).
fn acceptable(origin: &str) -> bool {
    let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    origin.starts_with("https://") || local.iter().any(|l| origin.starts_with(l))
}

/// Remembers the address the console is reached at (by the setup request, or an owner's
/// sign-in), for links in mail.
pub fn seen_at(site: &Site, origin: Option<&str>) -> Result<()> {
    let Some(origin) = origin.filter(|o| acceptable(o)) else {
        return Ok(());
    };
    sql::run(
        &site.sql(),
        "INSERT INTO site_meta (key, value) VALUES ('origin', ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        vec![text(origin)],
    )
}

fn prefs_of(site: &Site, member_id: &str) -> Result<Option<(String, EmailPrefs)>> {
    Ok(recipient(site, member_id)?.map(|r| (r.email.clone(), r.prefs())))
}

fn store_prefs(site: &Site, member_id: &str, prefs: EmailPrefs) -> Result<()> {
    let new_requests = serde_json::to_value(prefs.new_requests)?;
    sql::run(
        &site.sql(),
        "INSERT INTO mail_prefs (member_id, new_requests, reminders) VALUES (?, ?, ?)
         ON CONFLICT (member_id) DO UPDATE SET new_requests = excluded.new_requests,
           reminders = excluded.reminders",
        vec![
            text(member_id),
            text(new_requests.as_str().unwrap_or("never")),
            int(prefs.reminders.into()),
        ],
    )
}

/// `GET`/`PUT /email`: the signed-in teammate's own choice of mail.
pub async fn mine(site: &Site, mut req: Request) -> Result<Response> {
    let Some(me) = internal::agent_from(&req) else {
        return Response::error("no agent", 403);
    };
    if req.method() == Method::Put {
        let prefs: EmailPrefs = internal::body(&mut req).await?;
        store_prefs(site, &me.agent.id, prefs)?;
    }
    let Some((email, prefs)) = prefs_of(site, &me.agent.id)? else {
        return Response::error("no such member", 404);
    };
    Response::from_json(&MyEmail { prefs, sending: mail::sender(&site.env).is_some(), email })
}

/// `POST /email/unsubscribe`: with a valid link (a MAC of the site, the teammate and their
/// current address), the teammate gets no more team mail, and nothing queued for them goes
/// out. A link mailed to an address the teammate has since changed no longer works.
pub async fn unsubscribe(site: &Site, mut req: Request) -> Result<Response> {
    #[derive(Deserialize)]
    struct Link {
        member_id: String,
        token: String,
    }
    let link: Link = internal::body(&mut req).await?;
    let check_only = req.url()?.query_pairs().any(|(k, _)| k == "check");
    let Some(site_key) = site.site_key()? else { return Response::error("unknown site", 404) };
    let expected = prefs_of(site, &link.member_id)?.and_then(|(email, _)| {
        mail::unsubscribe_token(&site.env, &site_key, &link.member_id, &email)
    });
    if !expected.is_some_and(|t| crate::crypto::same(&link.token, &t)) {
        return Response::error("bad link", 404);
    }
    if check_only {
        return Response::ok("valid");
    }
    let who = link;
    store_prefs(site, &who.member_id, EmailPrefs::none())?;
    sql::run(
        &site.sql(),
        "DELETE FROM mail_queue WHERE member_id = ?",
        vec![text(&who.member_id)],
    )?;
    Response::ok("unsubscribed")
}
