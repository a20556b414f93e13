//! The conversation's SQLite storage: its metadata row and the items, the source of truth the
//! state machine is replayed from. Tickets and the visitor profile have modules of their own.

use js_sys::JsString;
use serde::Deserialize;
use shared::protocol::{Item, Millis, Seq};
use worker::{Result, SqlStorage};

use crate::internal::InitConversation;
use crate::sql::{self, V, int, opt_text, text};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
  id INTEGER PRIMARY KEY CHECK (id = 1), conversation_id TEXT NOT NULL, site_key TEXT NOT NULL,
  token_hash TEXT NOT NULL, created_at INTEGER NOT NULL, page_url TEXT, language TEXT,
  user_agent TEXT);
CREATE TABLE IF NOT EXISTS items (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
";

#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub conversation_id: String,
    pub site_key: String,
    pub token_hash: String,
    pub created_at: Millis,
    /// The browser's language at first contact.
    pub language: Option<String>,
    pub page_url: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Deserialize)]
struct ItemRow {
    seq: i64,
    at: i64,
    body: String,
}

#[derive(Deserialize)]
struct Name {
    #[allow(dead_code)]
    name: String,
}

/// `None` for an object that was never initialised; reading creates nothing.
pub fn load_meta(sql: &SqlStorage) -> Result<Option<Meta>> {
    let tables: Vec<Name> = sql::rows(
        sql,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        vec![],
    )?;
    if tables.is_empty() {
        return Ok(None);
    }
    sql::first(
        sql,
        "SELECT conversation_id, site_key, token_hash, created_at, language, page_url, user_agent
         FROM meta WHERE id = 1",
        vec![],
    )
}

/// Creates what is missing. Every statement is `IF NOT EXISTS`, so this also brings
/// conversations created by an older version up to date.
pub fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)?;
    sql::migrate(sql, super::profile::SCHEMA)?;
    sql::add_columns(sql, "visitor", super::profile::ADDED)?;
    sql::migrate(sql, super::report::SCHEMA)?;
    sql::migrate(sql, super::hooks::SCHEMA)?;
    super::grants::migrate(sql)?;
    super::visitor_mail::migrate(sql)?;
    super::clocks::migrate(sql)?;
    super::channel::migrate(sql)?;
    super::tickets::migrate(sql)
}

pub fn init(sql: &SqlStorage, init: &InitConversation) -> Result<()> {
    migrate(sql)?;
    sql::run(
        sql,
        "INSERT INTO meta (id, conversation_id, site_key, token_hash, created_at, page_url,
           language, user_agent) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            text(&init.conversation_id),
            text(&init.site_key),
            text(&init.token_hash),
            int(init.created_at),
            opt_text(init.meta.page_url.clone()),
            opt_text(init.meta.language.clone()),
            opt_text(init.user_agent.clone()),
        ],
    )
}

/// Every item after `after`, oldest first. Read as JSON arrays built by SQLite, a page of
/// items each: a row each would cost a JavaScript object and a conversion per item, which
/// for a long conversation made most of the time it takes to wake. A page stays under
/// SQLite's 2 MB limit on a value even if every item in it is as long as items get.
pub fn items_after(sql: &SqlStorage, after: Seq) -> Result<Vec<Item>> {
    #[derive(Deserialize)]
    struct Page {
        items: String,
    }
    const PAGE: i64 = 50;
    let mut items: Vec<Item> = Vec::new();
    let mut from = after;
    loop {
        let page: Option<Page> = sql::first(
            sql,
            "SELECT json_group_array(json_object('seq', seq, 'at', at, 'body', json(body)))
               AS items
             FROM (SELECT seq, at, body FROM items WHERE seq > ? ORDER BY seq LIMIT ?)",
            vec![int(from as i64), int(PAGE)],
        )?;
        let mut read: Vec<Item> = match page {
            Some(p) => serde_json::from_str(&p.items)?,
            None => Vec::new(),
        };
        // The subquery's order is SQLite's practice, not its promise.
        read.sort_by_key(|i| i.seq);
        let Some(last) = read.last().map(|i| i.seq) else { break };
        let full = read.len() as i64 == PAGE;
        items.append(&mut read);
        if !full {
            break;
        }
        from = last;
    }
    Ok(items)
}

/// The newest `limit` chat messages up to `upto` (all when `None`; by `author` kind when
/// given), oldest first:
/// what an engine or a summary needs, without reading the whole history.
pub fn recent_messages(
    sql: &SqlStorage,
    upto: Option<Seq>,
    author: Option<&str>,
    limit: usize,
) -> Result<Vec<Item>> {
    let rows: Vec<ItemRow> = sql::rows(
        sql,
        "SELECT seq, at, body FROM items
         WHERE (? IS NULL OR seq <= ?) AND json_extract(body, '$.kind') = 'message'
           AND (? IS NULL OR json_extract(body, '$.data.author.kind') = ?)
         ORDER BY seq DESC LIMIT ?",
        vec![
            upto.map_or(V::Null, |u| int(u as i64)),
            upto.map_or(V::Null, |u| int(u as i64)),
            opt_text(author),
            opt_text(author),
            int(limit as i64),
        ],
    )?;
    rows.into_iter()
        .rev()
        .map(|r| Ok(Item { seq: r.seq as Seq, at: r.at, body: serde_json::from_str(&r.body)? }))
        .collect()
}

/// Stores `item` and returns its `item` frame's text as the team sees it, the body encoded
/// once for both: the stored body is a slice of the frame's string (V8 shares a slice's
/// characters with the string it was cut from), so a message is neither encoded twice nor
/// copied out of wasm memory twice — each copy was garbage on the thread every local object
/// shares.
pub fn append(sql: &SqlStorage, item: &Item) -> Result<JsString> {
    let mut text = item.frame_head().into_bytes();
    let head = text.len();
    serde_json::to_writer(&mut text, &item.body)?;
    text.push(b'}');
    let frame = JsString::from(String::from_utf8(text).map_err(|e| e.to_string())?);
    // The head is ASCII, so its length in UTF-16 units is its length in bytes.
    let body = frame.substring(head as u32, frame.length() - 1);
    let (seq, at) = (item.seq as f64, item.at as f64);
    sql::run_js(
        sql,
        "INSERT INTO items (seq, at, body) VALUES (?, ?, ?)",
        &[seq.into(), at.into(), body.into()],
    )?;
    Ok(frame)
}
