//! AI usage per site and UTC day: stored replies and tokens spent. Human replies never count.

use serde::Deserialize;
use shared::api::Usage;
use worker::{Response, Result};

use super::Site;
use crate::internal::UsageDelta;
use crate::sql::{self, int, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS usage (
  day TEXT PRIMARY KEY, replies INTEGER NOT NULL, tokens INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS faq_asked (question TEXT PRIMARY KEY, answers INTEGER NOT NULL);
";

fn today() -> String {
    String::from(js_sys::Date::new_0().to_iso_string()).chars().take(10).collect()
}

pub fn add(site: &Site, delta: &UsageDelta) -> Result<()> {
    sql::run(
        &site.sql(),
        "INSERT INTO usage (day, replies, tokens) VALUES (?, ?, ?)
         ON CONFLICT (day) DO UPDATE SET replies = replies + excluded.replies,
           tokens = tokens + excluded.tokens",
        vec![text(today()), int(delta.replies as i64), int(delta.tokens as i64)],
    )?;
    if let Some(question) = &delta.faq {
        // Held to a FAQ question's length: the count is keyed by what a conversation said.
        let question: String =
            question.chars().take(shared::validate::MAX_QUESTION_CHARS).collect();
        sql::run(
            &site.sql(),
            "INSERT INTO faq_asked (question, answers) VALUES (?, 1)
             ON CONFLICT (question) DO UPDATE SET answers = answers + 1",
            vec![text(question)],
        )?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Asked {
    question: String,
}

/// Forgets the counts of questions the FAQ no longer has (reworded or removed), once the new
/// settings are saved: the counts then never outgrow the FAQ.
pub fn prune(site: &Site, s: &shared::api::SiteSettings) -> Result<()> {
    let kept: Vec<Asked> = sql::rows(&site.sql(), "SELECT question FROM faq_asked", vec![])?;
    for gone in kept.iter().filter(|a| !s.faq.iter().any(|e| e.question == a.question)) {
        sql::run(
            &site.sql(),
            "DELETE FROM faq_asked WHERE question = ?",
            vec![text(gone.question.clone())],
        )?;
    }
    Ok(())
}

/// What the chat suggests when it opens: the owner's pick, else the FAQ's questions the AI
/// answered most (filled up in the FAQ's order while few were asked yet).
pub fn suggestions(site: &Site, s: &shared::api::SiteSettings) -> Result<Vec<String>> {
    if !s.suggestions.is_empty() {
        return Ok(s.suggestions.clone());
    }
    // Only the FAQ's questions are kept (see `prune`): the table is as small as the FAQ.
    let most: Vec<Asked> = sql::rows(
        &site.sql(),
        "SELECT question FROM faq_asked ORDER BY answers DESC, question",
        vec![],
    )?;
    let in_faq = |q: &str| s.faq.iter().any(|e| e.question == q);
    let mut out: Vec<String> = Vec::new();
    let asked = most.into_iter().map(|a| a.question).filter(|q| in_faq(q));
    for q in asked.chain(s.faq.iter().map(|e| e.question.clone())) {
        if out.len() == shared::api::MAX_SUGGESTIONS {
            break;
        }
        // A question too long for a chip is left to the FAQ.
        if !out.contains(&q) && q.chars().count() <= shared::api::MAX_SUGGESTION_CHARS {
            out.push(q);
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Row {
    day: String,
    replies: i64,
    tokens: i64,
}

/// The last 90 days with any AI work, newest first.
pub fn recent(site: &Site) -> Result<Response> {
    let rows: Vec<Row> = sql::rows(
        &site.sql(),
        "SELECT day, replies, tokens FROM usage ORDER BY day DESC LIMIT 90",
        vec![],
    )?;
    let usage: Vec<Usage> = rows
        .into_iter()
        .map(|r| Usage { day: r.day, replies: r.replies as u64, tokens: r.tokens as u64 })
        .collect();
    Response::from_json(&usage)
}
