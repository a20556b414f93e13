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
    )
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
