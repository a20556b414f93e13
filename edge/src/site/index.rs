//! The site's index of conversations, kept current by the conversation objects and pushed to
//! every agent connected to the inbox socket.

use serde::Deserialize;
use shared::api::{ConversationSummary, InboxFrame};
use worker::{Request, Response, Result, WebSocketPair};

use super::Site;
use crate::sockets;
use crate::sql::{self, int, text};

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

/// Conversation objects report concurrently, so an older report may arrive after a newer
/// one: a row only moves forward in sequence number, and within one (a visitor coming or
/// going) in the time the report was made.
pub async fn upsert(site: &Site, mut req: Request) -> Result<Response> {
    let summary: ConversationSummary = req.json().await?;
    let cursor = site.sql().exec(
        "INSERT INTO conversations (id, json, phase, last_seq, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, phase = excluded.phase,
           last_seq = excluded.last_seq, updated_at = excluded.updated_at
         WHERE excluded.last_seq > conversations.last_seq
            OR (excluded.last_seq = conversations.last_seq
                AND excluded.updated_at >= conversations.updated_at)",
        Some(vec![
            text(&summary.id),
            text(serde_json::to_string(&summary)?),
            text(summary.phase.as_str()),
            int(summary.last_seq as i64),
            int(summary.updated_at),
        ]),
    )?;
    if cursor.rows_written() > 0 {
        let frame = InboxFrame::Upsert(summary);
        for ws in site.state.get_websockets() {
            sockets::send(&ws, &frame);
        }
    }
    Response::ok("indexed")
}

fn summaries(site: &Site) -> Result<Vec<ConversationSummary>> {
    let rows: Vec<JsonRow> = sql::rows(
        &site.sql(),
        "SELECT json FROM conversations ORDER BY updated_at DESC LIMIT 1000",
        vec![],
    )?;
    rows.into_iter().map(|r| Ok(serde_json::from_str(&r.json)?)).collect()
}

pub fn list(site: &Site) -> Result<Response> {
    Response::from_json(&summaries(site)?)
}

pub fn accept(site: &Site, req: &Request) -> Result<Response> {
    let site_key = site.settings()?.map(|(k, _)| k);
    let Some(agent) =
        crate::internal::agent_from(req).filter(|a| Some(&a.site_key) == site_key.as_ref())
    else {
        return Response::error("forbidden", 403);
    };
    let pair = WebSocketPair::new()?;
    site.state.accept_websocket_with_tags(&pair.server, &["agent"]);
    pair.server.serialize_attachment(&agent)?;
    super::presence::online(site, &agent.agent.id)?;
    sockets::send(&pair.server, &InboxFrame::Snapshot { conversations: summaries(site)? });
    Response::from_websocket(pair.client)
}

/// Conversations whose visitor has the chat open, updated within `window_ms`, newest first.
pub fn with_visitor_online(site: &Site, window_ms: i64, max: usize) -> Result<Vec<String>> {
    let since = worker::Date::now().as_millis() as i64 - window_ms;
    let rows: Vec<JsonRow> = sql::rows(
        &site.sql(),
        "SELECT json FROM conversations WHERE updated_at > ? ORDER BY updated_at DESC",
        vec![int(since)],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| serde_json::from_str::<ConversationSummary>(&r.json).ok())
        .filter(|c| c.visitor_online)
        .map(|c| c.id)
        .take(max)
        .collect())
}
