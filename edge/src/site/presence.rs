//! Whether each teammate is online (connected to the inbox socket from a console) and
//! whether they set themselves Away; together, whether anyone can answer a visitor now. When
//! an assignee has been offline longer than the site allows, the conversations they hold are
//! told, and go back to Pending.

use serde::Deserialize;
use shared::api::Availability;
use shared::protocol::Millis;
use worker::{Env, Result, WebSocket};

use super::Site;
use super::revoke;
use crate::internal::{AgentIdentity, AssigneeAway};
use crate::sql::{self, int, text};
use crate::{alarm, sockets};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS presence (
  agent_id TEXT PRIMARY KEY, offline_since INTEGER, told INTEGER NOT NULL DEFAULT 0);
";

/// Columns added after the first release of the table.
pub const ADDED: &[(&str, &str)] =
    &[("away", "INTEGER NOT NULL DEFAULT 0"), ("seen_at", "INTEGER")];

/// A teammate's own Available / Away, kept across sign-ins.
pub fn availability(site: &Site, agent_id: &str) -> Result<Availability> {
    #[derive(Deserialize)]
    struct Row {
        away: i64,
    }
    let row: Option<Row> = sql::first(
        &site.sql(),
        "SELECT away FROM presence WHERE agent_id = ?",
        vec![text(agent_id)],
    )?;
    Ok(Availability { away: row.is_some_and(|r| r.away != 0) })
}

pub fn set_availability(site: &Site, agent_id: &str, set: Availability) -> Result<()> {
    // A row made here says nothing of being online: its agent's socket says that.
    sql::run(
        &site.sql(),
        "INSERT INTO presence (agent_id, offline_since, told, away) VALUES (?, ?, 1, ?)
         ON CONFLICT (agent_id) DO UPDATE SET away = excluded.away",
        vec![text(agent_id), int(now()), int(set.away.into())],
    )
}

/// A console said it is still there (`protocol::PRESENT` on its inbox socket).
pub fn seen(site: &Site, ws: &WebSocket) -> Result<()> {
    let Some(me) = ws.deserialize_attachment::<AgentIdentity>().ok().flatten() else {
        return Ok(());
    };
    sql::run(
        &site.sql(),
        "UPDATE presence SET seen_at = ? WHERE agent_id = ?",
        vec![int(now()), text(&me.agent.id)],
    )
}

/// How long a console counts as there without saying so; `PRESENCE_STALE_MS` overrides it
/// (tests). The same holds for a console's conversation socket (its pings).
pub(crate) fn present_for(env: &Env) -> Millis {
    env.var("PRESENCE_STALE_MS")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(shared::protocol::PRESENT_FOR_MS)
}

/// Whether a teammate who can answer has a console open that spoke recently (connected or
/// said [`seen`]) and is not Away.
pub fn staffed(site: &Site, env: &Env) -> Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        away: i64,
        seen_at: Option<i64>,
    }
    let since = now() - present_for(env);
    let sockets = site.state.get_websockets();
    let here = sockets
        .iter()
        .filter(|ws| sockets::open_besides(ws, None))
        .filter_map(|ws| ws.deserialize_attachment::<AgentIdentity>().ok().flatten())
        .filter(|a| a.role.can_respond());
    for me in here {
        let row: Option<Row> = sql::first(
            &site.sql(),
            "SELECT away, seen_at FROM presence WHERE agent_id = ?",
            vec![text(&me.agent.id)],
        )?;
        let (away, seen_at) = row.map_or((false, None), |r| (r.away != 0, r.seen_at));
        if !away && me.checked_at.max(seen_at.unwrap_or(0)) >= since {
            return Ok(true);
        }
    }
    Ok(false)
}

use crate::now;

/// An assignee who is back keeps what they hold: an away notice still waiting in the outbox
/// is withdrawn (not a removal's, whose `after` is 0).
pub fn online(site: &Site, agent_id: &str) -> Result<()> {
    let sql = site.sql();
    sql::run(
        &sql,
        "INSERT INTO presence (agent_id, offline_since, told, seen_at) VALUES (?, NULL, 0, ?)
         ON CONFLICT (agent_id) DO UPDATE SET offline_since = NULL, told = 0,
           seen_at = excluded.seen_at",
        vec![text(agent_id), int(now())],
    )?;
    sql::run(
        &sql,
        "DELETE FROM revocations WHERE path = ? AND json_extract(body, '$.agent_id') = ?
           AND json_extract(body, '$.after') > 0",
        vec![text(revoke::AWAY), text(agent_id)],
    )
}

/// An inbox socket closed: its agent is offline once no other console of theirs is open.
pub async fn socket_closed(site: &Site, closed: &WebSocket) -> Result<()> {
    let Some(me) = closed.deserialize_attachment::<AgentIdentity>().ok().flatten() else {
        return Ok(());
    };
    let still_here = site.state.get_websockets().iter().any(|ws| {
        sockets::open_besides(ws, Some(closed))
            && ws.deserialize_attachment::<AgentIdentity>().ok().flatten().map(|a| a.agent.id)
                == Some(me.agent.id.clone())
    });
    if still_here {
        return Ok(());
    }
    sql::run(
        &site.sql(),
        "INSERT INTO presence (agent_id, offline_since, told) VALUES (?, ?, 0)
         ON CONFLICT (agent_id) DO UPDATE SET offline_since = excluded.offline_since, told = 0",
        vec![text(&me.agent.id), int(now())],
    )?;
    if let Some(after) = away_after(site)? {
        alarm::wake_by(&site.state.storage(), now() + after).await?;
    }
    Ok(())
}

/// How long an assignee may be offline, when the site has that rule on.
fn away_after(site: &Site) -> Result<Option<Millis>> {
    let secs = site.settings()?.map_or(0, |(_, s)| s.takeover.assignee_offline_secs);
    Ok((secs > 0).then(|| Millis::from(secs) * 1000))
}

/// Queues, for every conversation `agent_id` holds, the notice that they are away since
/// `offline_since`. It goes through the outbox: a conversation that cannot take it now (its
/// storage unavailable, say) hears it again with backoff, never silently not at all.
fn tell_held(site: &Site, agent_id: &str, offline_since: Millis, after: Millis) -> Result<()> {
    let body = AssigneeAway { agent_id: agent_id.to_owned(), offline_since, after };
    let body = serde_json::to_string(&body)?;
    for id in super::index::held_by(site, agent_id)? {
        revoke::queue(site, &id, revoke::AWAY, &body)?;
    }
    Ok(())
}

/// A removed teammate's conversations go back to Pending at once.
pub async fn requeue_now(site: &Site, agent_id: &str) -> Result<()> {
    tell_held(site, agent_id, 0, 0)?;
    revoke::deliver(site).await.map(drop)
}

#[derive(Deserialize)]
struct Away {
    agent_id: String,
    offline_since: i64,
}

/// Tells the conversations of every assignee offline for too long; returns when to look
/// again, if someone is still on the clock.
pub async fn check(site: &Site) -> Result<Option<Millis>> {
    let Some(after) = away_after(site)? else { return Ok(None) };
    let (now, sql) = (now(), site.sql());
    let due: Vec<Away> = sql::rows(
        &sql,
        "SELECT agent_id, offline_since FROM presence
         WHERE offline_since IS NOT NULL AND told = 0 AND offline_since <= ?",
        vec![int(now - after)],
    )?;
    // Every notice queued before any is sent (no await between reading who is away and
    // marking them told), so one who comes back while the others are sent has theirs
    // withdrawn ([`online`]).
    for away in &due {
        tell_held(site, &away.agent_id, away.offline_since, after)?;
        sql::run(
            &sql,
            "UPDATE presence SET told = 1 WHERE agent_id = ?",
            vec![text(&away.agent_id)],
        )?;
    }
    if !due.is_empty() {
        revoke::deliver(site).await?;
    }
    #[derive(Deserialize)]
    struct Next {
        at: Option<i64>,
    }
    let next: Option<Next> = sql::first(
        &sql,
        "SELECT MIN(offline_since) AS at FROM presence WHERE offline_since IS NOT NULL AND told = 0",
        vec![],
    )?;
    Ok(next.and_then(|n| n.at).map(|at| at + after))
}
