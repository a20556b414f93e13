//! Visitor credentials beyond the one issued at first contact: a link mailed to the visitor
//! opens their conversation on another device, and that device gets a token of its own. The
//! first device's token keeps working.

use shared::protocol::Millis;
use worker::{Result, SqlStorage};

use crate::crypto;
use crate::sql::{self, int, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS visitor_tokens (hash TEXT PRIMARY KEY, granted_at INTEGER NOT NULL);
";

/// Devices a conversation opens on besides the first; the oldest grant goes first.
const MAX_GRANTS: i64 = 10;

/// A new credential for this conversation's visitor; only its hash is kept.
pub fn grant(sql: &SqlStorage, now: Millis) -> Result<String> {
    let token = crypto::new_secret()?;
    sql::run(
        sql,
        "INSERT INTO visitor_tokens (hash, granted_at) VALUES (?, ?)",
        vec![text(crypto::secret_hash(&token)), int(now)],
    )?;
    sql::run(
        sql,
        "DELETE FROM visitor_tokens WHERE hash NOT IN
           (SELECT hash FROM visitor_tokens ORDER BY granted_at DESC, hash LIMIT ?)",
        vec![int(MAX_GRANTS)],
    )?;
    Ok(token)
}

/// Whether `hash` is a granted credential's.
pub fn holds(sql: &SqlStorage, hash: &str) -> bool {
    let query = "SELECT count(*) AS n FROM visitor_tokens WHERE hash = ?";
    sql::number(sql, query, vec![text(hash)]).ok().flatten().is_some_and(|n| n > 0)
}
