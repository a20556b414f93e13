//! Account changes reach sockets that are already open. The site records which conversations
//! each session has a socket in (registered when the Worker checks the session for the
//! upgrade); when a teammate is removed, their password changes, their role or name changes,
//! or a session expires, the matching sockets are closed — the site's own inbox sockets at
//! once, those in conversation objects through a durable outbox that the alarm retries until
//! every object has heard. The same outbox carries an absent assignee's notice (`/away`) to
//! each conversation they hold: a conversation that cannot take it now hears it later.

use futures_util::future::{Either, join_all, select};
use serde::Deserialize;
use shared::protocol::Millis;
use worker::{Delay, Method, Result, console_error, console_warn};

use super::Site;
use crate::internal::{self, AgentIdentity, Revoke};
use crate::sql::{self, int, opt_text, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agent_sockets (
  session TEXT NOT NULL, member_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
  at INTEGER NOT NULL, PRIMARY KEY (session, conversation_id));
CREATE INDEX IF NOT EXISTS agent_sockets_by_member ON agent_sockets (member_id);
CREATE TABLE IF NOT EXISTS revocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL);
";

/// Columns added after the first release of the table: where in the conversation a notice
/// goes.
pub const ADDED: &[(&str, &str)] = &[("path", "TEXT NOT NULL DEFAULT '/revoke'")];

/// The conversation routes the outbox delivers to.
pub const REVOKE: &str = "/revoke";
pub const AWAY: &str = "/away";

/// Close codes the console acts on: sign in again, or reconnect with the new role.
pub const SESSION_ENDED: u16 = 4001;
pub const ACCESS_CHANGED: u16 = 4003;

const CONCURRENCY: usize = 50;
const DEADLINE_MS: u64 = 5_000;

use crate::now;

/// Sockets a session may have into conversations the site's index does not know.
pub const MAX_UNKNOWN: i64 = 100;

/// How many of `session`'s sockets are into conversations the index does not know.
pub fn unknown_for(site: &Site, session: &str) -> Result<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let count: Option<Count> = sql::first(
        &site.sql(),
        "SELECT COUNT(*) AS n FROM agent_sockets WHERE session = ?
           AND conversation_id NOT IN (SELECT id FROM conversations)",
        vec![text(session)],
    )?;
    Ok(count.map_or(0, |c| c.n))
}

/// Remembers that `session` (of `member_id`) has a socket in `conversation_id`.
pub fn register(site: &Site, member_id: &str, session: &str, conversation_id: &str) -> Result<()> {
    sql::run(
        &site.sql(),
        "INSERT INTO agent_sockets (session, member_id, conversation_id, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (session, conversation_id) DO UPDATE SET at = excluded.at",
        vec![text(session), text(member_id), text(conversation_id), int(now())],
    )
}

/// Whether a socket of `who` is covered by `revoke`.
pub fn covers(revoke: &Revoke, who: &AgentIdentity) -> bool {
    who.agent.id == revoke.member_id
        && revoke.sessions.as_ref().is_none_or(|s| s.contains(&who.session))
}

/// Whether `who` was checked before `revoke` and is covered by it: a socket whose upgrade
/// crossed the revocation on its way.
pub fn predates(revoke: &Revoke, who: &AgentIdentity) -> bool {
    who.checked_at <= revoke.at && covers(revoke, who)
}

/// Closes `member_id`'s sockets (only those of `sessions`, when given) everywhere: the inbox
/// sockets here now, and conversation sockets through the outbox. Waits up to a few seconds
/// for the objects to confirm, so the caller's answer means it is done in the common case.
pub async fn revoke(
    site: &Site,
    member_id: &str,
    sessions: Option<Vec<String>>,
    code: u16,
) -> Result<()> {
    revoke_with(site, member_id, sessions, code, false).await
}

/// A teammate removed from the team: every socket closes, and each conversation they hold
/// (they hold one only through a socket, so its object hears this) goes back to Pending.
pub async fn remove(site: &Site, member_id: &str) -> Result<()> {
    revoke_with(site, member_id, None, SESSION_ENDED, true).await
}

async fn revoke_with(
    site: &Site,
    member_id: &str,
    sessions: Option<Vec<String>>,
    code: u16,
    requeue: bool,
) -> Result<()> {
    let revoke = Revoke {
        requeue,
        member_id: member_id.to_owned(),
        sessions,
        code,
        reason: if code == SESSION_ENDED { "session ended" } else { "access changed" }.to_owned(),
        at: now(),
    };
    for ws in site.state.get_websockets() {
        let who: Option<AgentIdentity> = ws.deserialize_attachment().ok().flatten();
        if who.is_some_and(|w| covers(&revoke, &w)) {
            let _ = ws.close(Some(revoke.code), Some(&revoke.reason));
        }
    }
    #[derive(Deserialize)]
    struct Conv {
        conversation_id: String,
    }
    let sessions_json = revoke.sessions.as_ref().map(serde_json::to_string).transpose()?;
    let sql = site.sql();
    let filter = "member_id = ? AND (? IS NULL OR session IN (SELECT value FROM json_each(?)))";
    let args =
        || vec![text(member_id), opt_text(sessions_json.clone()), opt_text(sessions_json.clone())];
    let conversations: Vec<Conv> = sql::rows(
        &sql,
        &format!("SELECT DISTINCT conversation_id FROM agent_sockets WHERE {filter}"),
        args(),
    )?;
    sql::run(&sql, &format!("DELETE FROM agent_sockets WHERE {filter}"), args())?;
    let body = serde_json::to_string(&revoke)?;
    for c in &conversations {
        queue(site, &c.conversation_id, REVOKE, &body)?;
    }
    deliver(site).await.map(drop)
}

/// Puts a notice for `conversation_id` in the outbox; [`deliver`] sends it.
pub fn queue(site: &Site, conversation_id: &str, path: &str, body: &str) -> Result<()> {
    sql::run(
        &site.sql(),
        "INSERT INTO revocations (conversation_id, path, body, due_at) VALUES (?, ?, ?, ?)",
        vec![text(conversation_id), text(path), text(body), int(now())],
    )
}

#[derive(Deserialize)]
struct Pending {
    id: i64,
    conversation_id: String,
    path: String,
    body: String,
    attempts: i64,
}

/// Sends every due revocation; those that fail wait with backoff. Returns when the next one
/// is due, if any is left, and brings the alarm forward to it.
pub async fn deliver(site: &Site) -> Result<Option<Millis>> {
    let due: Vec<Pending> = sql::rows(
        &site.sql(),
        "SELECT id, conversation_id, path, body, attempts FROM revocations WHERE due_at <= ?
         ORDER BY id LIMIT 500",
        vec![int(now())],
    )?;
    let outcomes = std::cell::RefCell::new(std::collections::HashMap::<i64, Sent>::new());
    let all = async {
        for chunk in due.chunks(CONCURRENCY) {
            join_all(chunk.iter().map(|p| async {
                // Withdrawn meanwhile (an away assignee came back): not sent.
                let sent = if queued(site, p.id) { send(site, p).await } else { Sent::Done };
                outcomes.borrow_mut().insert(p.id, sent);
            }))
            .await;
        }
    };
    let deadline = Delay::from(std::time::Duration::from_millis(DEADLINE_MS));
    if let Either::Right(_) = select(Box::pin(all), deadline).await {
        console_error!("notices: not every conversation confirmed in time; retrying later");
    }
    let sql = site.sql();
    let outcomes = outcomes.into_inner();
    for p in &due {
        // Not answered within the deadline: tried again.
        match outcomes.get(&p.id).copied().unwrap_or(Sent::Again) {
            Sent::Done => {
                sql::run(&sql, "DELETE FROM revocations WHERE id = ?", vec![int(p.id)])?;
            }
            // Not a failure: asked again soon, however long it takes.
            Sent::NotYet => sql::run(
                &sql,
                "UPDATE revocations SET due_at = ? WHERE id = ?",
                vec![int(now() + NOT_YET_MS), int(p.id)],
            )?,
            // 1 s, 2 s, 4 s … at most about 4 minutes: an object that is down hears it soon
            // after.
            Sent::Again => {
                let wait = 1000_i64 << p.attempts.clamp(0, 8);
                sql::run(
                    &sql,
                    "UPDATE revocations SET attempts = attempts + 1, due_at = ? WHERE id = ?",
                    vec![int(now() + wait), int(p.id)],
                )?;
            }
        }
    }
    #[derive(Deserialize)]
    struct Next {
        at: Option<i64>,
    }
    let next: Option<Next> = sql::first(&sql, "SELECT MIN(due_at) AS at FROM revocations", vec![])?;
    let next = next.and_then(|n| n.at);
    if let Some(at) = next {
        crate::alarm::wake_by(&site.state.storage(), at).await?;
    }
    Ok(next)
}

/// Whether notice `id` is still in the outbox; if that cannot be read, it is sent.
fn queued(site: &Site, id: i64) -> bool {
    let row =
        sql::number(&site.sql(), "SELECT id AS n FROM revocations WHERE id = ?", vec![int(id)]);
    row.map_or(true, |r| r.is_some())
}

/// What became of a notice in one round of [`deliver`].
#[derive(Clone, Copy)]
enum Sent {
    /// Delivered, or refused for good (a 4xx, or a row this code does not know how to send).
    Done,
    /// A 5xx or a failed call: tried again with backoff.
    Again,
    /// A 425: an away assignee still has the conversation open. Asked again every
    /// [`NOT_YET_MS`] until they close it or come back (which withdraws it).
    NotYet,
}

const NOT_YET_MS: i64 = 10_000;

async fn send(site: &Site, p: &Pending) -> Sent {
    let known = match p.path.as_str() {
        REVOKE => serde_json::from_str::<Revoke>(&p.body).is_ok(),
        AWAY => serde_json::from_str::<internal::AssigneeAway>(&p.body).is_ok(),
        _ => false,
    };
    let body = match serde_json::from_str::<serde_json::Value>(&p.body) {
        Ok(body) if known => body,
        _ => {
            console_error!("notice to {}: {} cannot be sent; dropped", p.conversation_id, p.path);
            return Sent::Done;
        }
    };
    let sent = match internal::conversation(&site.env, &p.conversation_id) {
        Ok(stub) => internal::send(&stub, Method::Post, &p.path, Some(&body)).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(res) if res.status_code() == 425 => {
            console_warn!("{} to {}: not yet (HTTP 425)", p.path, p.conversation_id);
            Sent::NotYet
        }
        Ok(res) if res.status_code() < 500 => Sent::Done,
        Ok(res) => {
            console_error!("{} to {}: HTTP {}", p.path, p.conversation_id, res.status_code());
            Sent::Again
        }
        Err(e) => {
            console_error!("{} to {}: {e}", p.path, p.conversation_id);
            Sent::Again
        }
    }
}
