//! Which lifecycle events the site's webhooks take, kept with the conversation: a restart
//! (hibernation wakes one often) must not report less than the site asked for, nor everything
//! for a site with no endpoint. The site says it when the conversation begins, with its
//! settings, and when its endpoints change (`POST /hook-events`).

use serde::Deserialize;
use worker::{Result, SqlStorage};

use crate::sql::{self, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hook_events (id INTEGER PRIMARY KEY CHECK (id = 1), events TEXT NOT NULL);
";

pub fn keep(sql: &SqlStorage, events: &[String]) -> Result<()> {
    sql::run(
        sql,
        "INSERT OR REPLACE INTO hook_events (id, events) VALUES (1, ?)",
        vec![text(serde_json::to_string(events)?)],
    )
}

pub fn load(sql: &SqlStorage) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        events: String,
    }
    let row = sql::first::<Row>(sql, "SELECT events FROM hook_events WHERE id = 1", vec![])?;
    Ok(row.and_then(|r| serde_json::from_str(&r.events).ok()).unwrap_or_default())
}
