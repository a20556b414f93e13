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
const ADDED: &[(&str, &str)] = &[
    ("subject", "TEXT"),
    ("summary", "TEXT"),
    ("language", "TEXT"),
    ("offline", "INTEGER NOT NULL DEFAULT 0"),
    ("waited", "INTEGER"),
    ("rating", "INTEGER"),
    ("rating_comment", "TEXT"),
];

pub fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)?;
    sql::add_columns(sql, "tickets", ADDED)
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
    offline: i64,
    waited: Option<i64>,
    rating: Option<i64>,
    rating_comment: Option<String>,
}

const COLUMNS: &str = "number, opened_at, assignee_id, assignee_name, status, resolved_at, subject, summary, language, offline, waited, rating, rating_comment";

/// A ticket as it begins: with the agent who claimed, or pending (no agent) from the
/// out-of-hours form.
pub struct Opening<'a> {
    pub number: u32,
    pub agent: Option<&'a AgentRef>,
    pub at: Millis,
    pub language: Option<&'a str>,
    pub offline: bool,
    /// How long the visitor waited for the claim, from asking for a person.
    pub waited: Option<Millis>,
}

/// Opens a ticket, summarising the visitor's latest messages. A pending ticket has no
/// assignee: its columns hold empty strings.
pub fn open(sql: &SqlStorage, t: &Opening) -> Result<()> {
    let items = store::recent_messages(sql, None, Some("visitor"), summary::RECENT)?;
    let said: Vec<&str> = items
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) if m.author == Author::Visitor => Some(m.text.as_str()),
            _ => None,
        })
        .collect();
    let extract = summary::extract(&said);
    let (id, name) = t.agent.map_or(("", ""), |a| (a.id.as_str(), a.name.as_str()));
    sql::run(
        sql,
        "INSERT INTO tickets (number, opened_at, assignee_id, assignee_name, status, subject,
           summary, language, offline, waited) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            int(t.number.into()),
            int(t.at),
            text(id),
            text(name),
            text(if t.agent.is_some() { "open" } else { "pending" }),
            text(extract.subject),
            text(extract.summary),
            opt_text(t.language),
            int(t.offline.into()),
            t.waited.map_or(sql::V::Null, int),
        ],
    )
}

pub fn assign(sql: &SqlStorage, number: u32, agent: &AgentRef) -> Result<()> {
    sql::run(
        sql,
        "UPDATE tickets SET assignee_id = ?, assignee_name = ?, status = 'open' WHERE number = ?",
        vec![text(&agent.id), text(&agent.name), int(number.into())],
    )
}

/// Back to waiting for an agent.
pub fn unassign(sql: &SqlStorage, number: u32) -> Result<()> {
    sql::run(
        sql,
        "UPDATE tickets SET assignee_id = '', assignee_name = '', status = 'pending'
         WHERE number = ?",
        vec![int(number.into())],
    )
}

/// A subject and summary written by the AI replace the extractive ones.
pub fn describe(sql: &SqlStorage, number: u32, subject: &str, summary: &str) -> Result<()> {
    sql::run(
        sql,
        "UPDATE tickets SET subject = ?, summary = ? WHERE number = ?",
        vec![text(subject), text(summary), int(number.into())],
    )
}

/// The visitor's rating of the ticket's chat.
pub fn rate(sql: &SqlStorage, number: u32, score: u8, comment: &str) -> Result<()> {
    sql::run(
        sql,
        "UPDATE tickets SET rating = ?, rating_comment = ? WHERE number = ?",
        vec![
            int(score.into()),
            opt_text((!comment.is_empty()).then_some(comment)),
            int(number.into()),
        ],
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
        status: match row.status.as_str() {
            "resolved" => TicketStatus::Resolved,
            "pending" => TicketStatus::Pending,
            _ => TicketStatus::Open,
        },
        assignee: (!row.assignee_id.is_empty())
            .then_some(AgentRef { id: row.assignee_id, name: row.assignee_name }),
        offline: row.offline != 0,
        customer_name: visitor.name.clone(),
        customer_email: visitor.email.clone(),
        opened_at: row.opened_at,
        resolved_at: row.resolved_at,
        waited_ms: row.waited,
        rating: row.rating.and_then(|r| u8::try_from(r).ok()),
        rating_comment: row.rating_comment,
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
