//! Visitor credentials beyond the one issued at first contact: a link mailed to the visitor,
//! or the site's signed identity on another device, opens their conversation there, and that
//! device gets a token of its own. The first device's token keeps working.

use serde::{Deserialize, Serialize};
use shared::protocol::Millis;
use worker::{Result, SqlStorage};

use crate::crypto;
use crate::sql::{self, V, int, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS visitor_tokens (hash TEXT PRIMARY KEY, granted_at INTEGER NOT NULL);
";

/// Columns added after the first version of the table.
pub const ADDED: &[(&str, &str)] =
    &[("kind", "TEXT NOT NULL DEFAULT 'link'"), ("expires_at", "INTEGER")];

/// Devices a conversation opens on besides the first; the oldest grant goes first.
const MAX_GRANTS: i64 = 10;
/// How long a device a mailed link opened the conversation on keeps it.
const LINK_GRANT_MS: Millis = 30 * 24 * 3600 * 1000;

/// What proved the device may have the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The link mailed to the address the visitor gave (never for a signed-in user's
    /// conversation). It stops opening it when that address changes or a user signs in.
    Link,
    /// A token the site's backend signed for the conversation's user: like the first
    /// device's, the conversation opens there only while the page proves that user.
    Identity,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Link => "link",
            Kind::Identity => "identity",
        }
    }
}

pub fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)?;
    sql::add_columns(sql, "visitor_tokens", ADDED)?;
    // Rows from before links expired get the same life.
    sql::run(
        sql,
        "UPDATE visitor_tokens SET expires_at = granted_at + ?
         WHERE kind = 'link' AND expires_at IS NULL",
        vec![int(LINK_GRANT_MS)],
    )
}

/// A new credential for this conversation's visitor; only its hash is kept.
pub fn grant(sql: &SqlStorage, now: Millis, kind: Kind) -> Result<String> {
    let token = crypto::new_secret()?;
    let expires = match kind {
        Kind::Link => int(now + LINK_GRANT_MS),
        Kind::Identity => V::Null,
    };
    sql::run(
        sql,
        "INSERT INTO visitor_tokens (hash, granted_at, kind, expires_at) VALUES (?, ?, ?, ?)",
        vec![text(crypto::secret_hash(&token)), int(now), text(kind.as_str()), expires],
    )?;
    sql::run(sql, "DELETE FROM visitor_tokens WHERE expires_at <= ?", vec![int(now)])?;
    sql::run(
        sql,
        "DELETE FROM visitor_tokens WHERE hash NOT IN
           (SELECT hash FROM visitor_tokens ORDER BY granted_at DESC, hash LIMIT ?)",
        vec![int(MAX_GRANTS)],
    )?;
    Ok(token)
}

/// How the credential whose hash this is was granted, if it was and still holds at `now`.
pub fn kind_of(sql: &SqlStorage, hash: &str, now: Millis) -> Option<Kind> {
    #[derive(Deserialize)]
    struct Row {
        kind: String,
    }
    let query = "SELECT kind FROM visitor_tokens
                 WHERE hash = ? AND (expires_at IS NULL OR expires_at > ?)";
    let row: Row = sql::first(sql, query, vec![text(hash), int(now)]).ok()??;
    match row.kind.as_str() {
        "link" => Some(Kind::Link),
        "identity" => Some(Kind::Identity),
        _ => None,
    }
}

/// Ends every device's access a mailed link gave: the address it went to is no longer the
/// visitor's, or a signed-in user now owns the conversation.
pub fn revoke_links(sql: &SqlStorage) -> Result<()> {
    sql::run(sql, "DELETE FROM visitor_tokens WHERE kind = 'link'", vec![])
}
