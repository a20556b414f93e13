//! One ticket per takeover cycle: stored with the conversation, summarised from the visitor's
//! own words when it opens, and reported to the site for the console and exports.

use serde::Deserialize;
use shared::api::{Ticket, TicketStatus};
use shared::protocol::{AgentRef, Author, ItemBody, Millis, VisitorProfile};
use shared::summary;
use worker::{Result, SqlStorage};

use super::store::{self, Meta};
use crate::sql::{self, int, opt_text, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tickets (
  number INTEGER PRIMARY KEY, opened_at INTEGER NOT NULL, assignee_id TEXT NOT NULL,
  assignee_name TEXT NOT NULL, status TEXT NOT NULL, resolved_at INTEGER);
";

/// Columns added after the first release of the table.
const ADDED: &[(&str, &str)] = &[("subject", "TEXT"), ("summary", "TEXT"), ("language", "TEXT")];

pub fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)?;
    for (column, kind) in ADDED {
        sql::add_column(sql, "tickets", column, kind)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    number: i64,
    opened_at: i64,
    assignee_id: String,
    assignee_name: String,
    status: String,
    resolved_at: Option<i64>,
    subject: Option<String>,
    summary: Option<String>,
    language: Option<String>,
}

const COLUMNS: &str = "number, opened_at, assignee_id, assignee_name, status, resolved_at, subject, summary, language";

/// Opens ticket `number`, summarising the visitor's latest messages.
pub fn open(
    sql: &SqlStorage,
    number: u32,
    agent: &AgentRef,
    at: Millis,
    language: Option<&str>,
) -> Result<()> {
    let items = store::recent_messages(sql, None, Some("visitor"), summary::RECENT)?;
    let said: Vec<&str> = items
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) if m.author == Author::Visitor => Some(m.text.as_str()),
            _ => None,
        })
        .collect();
    let extract = summary::extract(&said);
    sql::run(
        sql,
        "INSERT INTO tickets (number, opened_at, assignee_id, assignee_name, status, subject,
           summary, language) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)",
        vec![
            int(number.into()),
            int(at),
            text(&agent.id),
            text(&agent.name),
            text(extract.subject),
            text(extract.summary),
            opt_text(language),
        ],
    )
}

pub fn assign(sql: &SqlStorage, number: u32, agent: &AgentRef) -> Result<()> {
    sql::run(
        sql,
        "UPDATE tickets SET assignee_id = ?, assignee_name = ? WHERE number = ?",
        vec![text(&agent.id), text(&agent.name), int(number.into())],
    )
}

pub fn resolve(sql: &SqlStorage, number: u32, at: Millis) -> Result<()> {
    sql::run(
        sql,
        "UPDATE tickets SET status = 'resolved', resolved_at = ? WHERE number = ?",
        vec![int(at), int(number.into())],
    )
}

fn ticket(row: Row, meta: &Meta, visitor: &VisitorProfile) -> Ticket {
    Ticket {
        id: format!("{}-{}", meta.conversation_id, row.number),
        conversation_id: meta.conversation_id.clone(),
        number: row.number as u32,
        subject: row.subject.unwrap_or_default(),
        summary: row.summary.unwrap_or_default(),
        language: row.language,
        channel: "web".into(),
        status: if row.status == "resolved" { TicketStatus::Resolved } else { TicketStatus::Open },
        assignee: AgentRef { id: row.assignee_id, name: row.assignee_name },
        customer_name: visitor.name.clone(),
        customer_email: visitor.email.clone(),
        opened_at: row.opened_at,
        resolved_at: row.resolved_at,
    }
}

pub fn all(sql: &SqlStorage, meta: &Meta, visitor: &VisitorProfile) -> Result<Vec<Ticket>> {
    let rows: Vec<Row> =
        sql::rows(sql, &format!("SELECT {COLUMNS} FROM tickets ORDER BY number"), vec![])?;
    Ok(rows.into_iter().map(|r| ticket(r, meta, visitor)).collect())
}

pub fn one(
    sql: &SqlStorage,
    number: u32,
    meta: &Meta,
    visitor: &VisitorProfile,
) -> Result<Option<Ticket>> {
    let row: Option<Row> = sql::first(
        sql,
        &format!("SELECT {COLUMNS} FROM tickets WHERE number = ?"),
        vec![int(number.into())],
    )?;
    Ok(row.map(|r| ticket(r, meta, visitor)))
}
