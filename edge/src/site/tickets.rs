//! The site's tickets: one per takeover cycle, reported by the conversation objects, listed in
//! the console and exported as CSV.

use serde::Deserialize;
use shared::api::{InboxFrame, Ticket};
use worker::{Response, Result};

use super::Site;
use crate::sockets;
use crate::sql::{self, int, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tickets (
  id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, json TEXT NOT NULL, status TEXT NOT NULL,
  opened_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tickets_by_open ON tickets (opened_at);
";

/// Columns added after the first release of the table.
pub const ADDED: &[(&str, &str)] = &[("waited", "INTEGER")];

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

/// Stores a ticket as its conversation reports it and shows it to the open consoles.
pub fn upsert(site: &Site, ticket: Ticket) -> Result<()> {
    let status = ticket.status.as_str();
    sql::run(
        &site.sql(),
        "INSERT INTO tickets (id, conversation_id, json, status, opened_at, waited)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, status = excluded.status",
        vec![
            text(&ticket.id),
            text(&ticket.conversation_id),
            text(serde_json::to_string(&ticket)?),
            text(status),
            int(ticket.opened_at),
            ticket.waited_ms.map_or(sql::V::Null, int),
        ],
    )?;
    sockets::send_all(&site.state.get_websockets(), &InboxFrame::Ticket(ticket));
    Ok(())
}

pub fn all(site: &Site) -> Result<Vec<Ticket>> {
    let rows: Vec<JsonRow> = sql::rows(
        &site.sql(),
        "SELECT json FROM tickets ORDER BY opened_at DESC LIMIT 5000",
        vec![],
    )?;
    rows.into_iter().map(|r| Ok(serde_json::from_str(&r.json)?)).collect()
}

/// How long visitors waited for the newest claims (within [`shared::wait::WINDOW_MS`]),
/// newest first: what a waiting visitor's expected wait is estimated from.
pub fn recent_waits(site: &Site, now: i64) -> Result<Vec<i64>> {
    #[derive(Deserialize)]
    struct Waited {
        waited: i64,
    }
    let rows: Vec<Waited> = sql::rows(
        &site.sql(),
        "SELECT waited FROM tickets WHERE waited IS NOT NULL AND opened_at > ?
         ORDER BY opened_at DESC LIMIT ?",
        vec![int(now - shared::wait::WINDOW_MS), int(shared::wait::RECENT_CLAIMS as i64)],
    )?;
    Ok(rows.into_iter().map(|r| r.waited).collect())
}

fn iso(ms: i64) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).to_iso_string())
}

/// Every ticket as CSV, oldest first, one row per takeover cycle.
pub fn csv(site: &Site) -> Result<Response> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "conversation_id",
        "number",
        "status",
        "subject",
        "summary",
        "language",
        "channel",
        "assignee",
        "offline",
        "customer_name",
        "customer_email",
        "opened_at",
        "resolved_at",
        "waited_seconds",
        "rating",
        "rating_comment",
    ];
    let fail = |e: csv::Error| worker::Error::RustError(format!("csv: {e}"));
    out.write_record(header).map_err(fail)?;
    let mut tickets = all(site)?;
    tickets.reverse();
    for t in tickets {
        let row = [
            t.id,
            t.conversation_id,
            t.number.to_string(),
            t.status.as_str().to_owned(),
            t.subject,
            t.summary,
            t.language.unwrap_or_default(),
            t.channel,
            t.assignee.map(|a| a.name).unwrap_or_default(),
            t.offline.to_string(),
            t.customer_name.unwrap_or_default(),
            t.customer_email.unwrap_or_default(),
            iso(t.opened_at),
            t.resolved_at.map(iso).unwrap_or_default(),
            t.waited_ms.map(|ms| (ms / 1000).to_string()).unwrap_or_default(),
            t.rating.map(|r| r.to_string()).unwrap_or_default(),
            t.rating_comment.unwrap_or_default(),
        ];
        // Visitors write subjects, summaries and names: no cell may run as a formula.
        out.write_record(row.iter().map(|cell| shared::clean::csv_cell(cell))).map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| worker::Error::RustError(format!("csv: {e}")))?;
    let mut res = Response::from_bytes(bytes)?;
    res.headers_mut().set("Content-Type", "text/csv; charset=utf-8")?;
    res.headers_mut().set("Content-Disposition", "attachment; filename=\"tickets.csv\"")?;
    Ok(res)
}
