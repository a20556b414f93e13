//! The site's index of conversations, kept current by the conversation objects and pushed to
//! every agent connected to the inbox socket.

use serde::Deserialize;
use shared::api::{ConversationSummary, InboxFrame};
use shared::protocol::Phase;
use worker::{Request, Response, Result, WebSocketPair};

use super::Site;
use crate::sockets;
use crate::sql::{self, int, opt_text, text};

/// Columns added after the first release of the index, so the site can ask SQL who is online
/// and who holds what without parsing every row.
pub const ADDED: &[(&str, &str)] = &[
    ("visitor_online", "INTEGER NOT NULL DEFAULT 0"),
    ("assignee_id", "TEXT"),
    ("activity_at", "INTEGER NOT NULL DEFAULT 0"),
    ("spam", "INTEGER NOT NULL DEFAULT 0"),
    // The last outbox record of the conversation's applied (see `reports`).
    ("reports_upto", "INTEGER NOT NULL DEFAULT 0"),
    // The site's id for a signed-in visitor (see `continuity`).
    ("user_id", "TEXT"),
];

/// Indexes on added columns, created after them.
pub const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS conversations_by_activity ON conversations (activity_at);
CREATE INDEX IF NOT EXISTS conversations_by_phase ON conversations (phase);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user_id, activity_at)
  WHERE user_id IS NOT NULL;
";

/// The inbox lists every conversation waiting for or held by a person, however many, and the
/// most recently active of the rest.
const RECENT_OTHERS: i64 = 500;
/// Pending and active conversations listed at most (a site with more has other problems).
const OPEN_MAX: i64 = 5000;

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

/// Conversation objects report concurrently, so an older report may arrive after a newer
/// one: a row only moves forward in sequence number, and within one (a visitor coming or
/// going) in the time the report was made.
/// Stores `summary` unless a newer one is stored, and notes that the conversation's outbox
/// records up to `reports_upto` are applied; inbox sockets hear of a change.
pub fn upsert(site: &Site, summary: ConversationSummary, reports_upto: i64) -> Result<()> {
    let written = sql::written(
        &site.sql(),
        "INSERT INTO conversations (id, json, phase, last_seq, updated_at, visitor_online,
           assignee_id, activity_at, spam, reports_upto, user_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, phase = excluded.phase,
           last_seq = excluded.last_seq, updated_at = excluded.updated_at,
           visitor_online = excluded.visitor_online, assignee_id = excluded.assignee_id,
           activity_at = excluded.activity_at, spam = excluded.spam, user_id = excluded.user_id,
           reports_upto = max(conversations.reports_upto, excluded.reports_upto)
         WHERE excluded.last_seq > conversations.last_seq
            OR (excluded.last_seq = conversations.last_seq
                AND excluded.updated_at >= conversations.updated_at)",
        vec![
            text(&summary.id),
            text(serde_json::to_string(&summary)?),
            text(summary.phase.as_str()),
            int(summary.last_seq as i64),
            int(summary.updated_at),
            int(summary.visitor_online.into()),
            opt_text(summary.assignee.as_ref().map(|a| a.id.as_str())),
            int(summary.activity_at),
            int(summary.spam.into()),
            int(reports_upto),
            opt_text(summary.user_id.clone()),
        ],
    )?;
    if written > 0 {
        site.load.borrow_mut().applied += 1;
        // Mail is best-effort here: the inbox must hear of the change whatever it meets.
        match super::notify::noticed(site, &summary) {
            Ok(Some(at)) => site.alarm_by(at),
            Ok(None) => {}
            Err(e) => worker::console_error!("team mail for {}: {e}", summary.id),
        }
        sockets::send_all(&site.state.get_websockets(), &InboxFrame::Upsert(summary));
    }
    Ok(())
}

/// What the inbox shows: every conversation held by a person and every one waiting for one
/// (the longest waiting first, should there ever be more than it lists, so a flood of new
/// requests cannot push older ones out), then the most recently active of the rest, by their last item (a visitor coming and going, or flooding
/// reconnects, moves nothing). Conversations closed as spam are left out.
fn summaries(site: &Site) -> Result<Vec<ConversationSummary>> {
    let rows: Vec<JsonRow> = sql::rows(
        &site.sql(),
        "SELECT json FROM (SELECT json FROM conversations
           WHERE phase = 'active' AND spam = 0 ORDER BY activity_at DESC LIMIT ?)
         UNION ALL
         SELECT json FROM (SELECT json FROM conversations
           WHERE phase = 'escalated' AND spam = 0 ORDER BY activity_at ASC LIMIT ?)
         UNION ALL
         SELECT json FROM (SELECT json, activity_at FROM conversations
           WHERE phase NOT IN ('escalated', 'active') AND spam = 0
           ORDER BY activity_at DESC LIMIT ?)",
        vec![int(OPEN_MAX), int(OPEN_MAX), int(RECENT_OTHERS)],
    )?;
    rows.into_iter().map(|r| Ok(serde_json::from_str(&r.json)?)).collect()
}

pub fn list(site: &Site) -> Result<Response> {
    Response::from_json(&summaries(site)?)
}

pub fn accept(site: &Site, req: &Request) -> Result<Response> {
    let site_key = site.site_key()?;
    let Some(checked) =
        crate::internal::agent_from(req).filter(|a| Some(&a.site_key) == site_key.as_ref())
    else {
        return Response::error("forbidden", 403);
    };
    // Checked again here, with no await before the accept: a revocation handled between the
    // Worker's check and this upgrade cannot leave the socket open.
    let Some(agent) = super::team::current(site, &checked)? else {
        return Response::error("session ended", 401);
    };
    let pair = WebSocketPair::new()?;
    site.state.accept_websocket_with_tags(&pair.server, &["agent"]);
    pair.server.serialize_attachment(&agent)?;
    super::presence::online(site, &agent.agent.id)?;
    sockets::send(&pair.server, &InboxFrame::Snapshot { conversations: summaries(site)? });
    Response::from_websocket(pair.client)
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// Conversations whose visitor has the chat open, updated within `window_ms`, newest first.
pub fn with_visitor_online(site: &Site, window_ms: i64, max: usize) -> Result<Vec<String>> {
    let since = worker::Date::now().as_millis() as i64 - window_ms;
    let rows: Vec<IdRow> = sql::rows(
        &site.sql(),
        "SELECT id FROM conversations WHERE updated_at > ? AND visitor_online = 1
         ORDER BY updated_at DESC LIMIT ?",
        vec![int(since), int(max as i64)],
    )?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Whether the site's index has the conversation (it has every one a visitor connected to).
pub fn knows(site: &Site, id: &str) -> Result<bool> {
    let row: Option<IdRow> =
        sql::first(&site.sql(), "SELECT id FROM conversations WHERE id = ?", vec![text(id)])?;
    Ok(row.is_some())
}

/// The active conversations `agent_id` holds.
pub fn held_by(site: &Site, agent_id: &str) -> Result<Vec<String>> {
    let rows: Vec<IdRow> = sql::rows(
        &site.sql(),
        "SELECT id FROM conversations WHERE phase = ? AND assignee_id = ?",
        vec![text(Phase::Active.as_str()), text(agent_id)],
    )?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
