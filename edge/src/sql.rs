//! Thin helpers over a Durable Object's SQLite storage. Every call is synchronous: a sequence of
//! them with no `.await` between runs without any other event of the object interleaving.
//!
//! Queries go to the runtime as JavaScript strings made once per isolate and kept: workers-rs
//! decodes the query from wasm memory into a new string on every call, and at a chat's pace
//! those strings and the views they are decoded through were a tenth of the JavaScript garbage
//! a conversation makes (ARCHITECTURE.md, "At a chat's pace"), each young collection a pause of
//! the thread every local object shares.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, JsString};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use worker::{Result, SqlStorage, SqlStorageValue};

pub use worker::SqlStorageValue as V;

#[wasm_bindgen]
extern "C" {
    type RawSql;
    #[wasm_bindgen(method, catch, variadic, js_name = exec)]
    fn exec(
        this: &RawSql,
        query: &JsString,
        bindings: &Array,
    ) -> std::result::Result<RawCursor, JsValue>;

    /// The same, for a write of three values: no array of bindings is made and spread.
    #[wasm_bindgen(method, catch, js_name = exec)]
    fn exec3(
        this: &RawSql,
        query: &JsString,
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
    ) -> std::result::Result<RawCursor, JsValue>;

    type RawCursor;
    #[wasm_bindgen(method, js_name = toArray)]
    fn to_array(this: &RawCursor) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = rowsWritten)]
    fn rows_written(this: &RawCursor) -> f64;
}

/// Distinct queries kept; only a few are built at run time (a column added by a migration),
/// and past this many the cache starts afresh rather than grow.
const QUERIES_MAX: usize = 512;

thread_local! {
    static QUERIES: RefCell<HashMap<String, JsString>> = RefCell::new(HashMap::new());
}

fn query_string(query: &str) -> JsString {
    QUERIES.with_borrow_mut(|kept| {
        if let Some(js) = kept.get(query) {
            return js.clone();
        }
        if kept.len() >= QUERIES_MAX {
            kept.clear();
        }
        let js = JsString::from(query);
        kept.insert(query.to_owned(), js.clone());
        js
    })
}

fn exec(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<RawCursor> {
    let bindings = Array::new();
    for v in args {
        bindings.push(&js_value(v));
    }
    exec_bound(sql, query, &bindings)
}

fn exec_bound(sql: &SqlStorage, query: &str, bindings: &Array) -> Result<RawCursor> {
    let raw: &RawSql = sql.as_ref().unchecked_ref();
    raw.exec(&query_string(query), bindings).map_err(worker::Error::from)
}

/// Runs a write of three values already on the JavaScript side (a string cut from another,
/// not copied out of wasm memory again), passed as they are: an array of bindings would be
/// made, filled and spread for every message, four calls and two objects more.
pub fn run_js(sql: &SqlStorage, query: &str, [a, b, c]: &[JsValue; 3]) -> Result<()> {
    let raw: &RawSql = sql.as_ref().unchecked_ref();
    raw.exec3(&query_string(query), a, b, c).map_err(worker::Error::from)?;
    Ok(())
}

/// As workers-rs converts a value, less its per-integer call to check the safe range: ours
/// are times, sequence numbers and counts.
fn js_value(v: SqlStorageValue) -> JsValue {
    match v {
        V::Null => JsValue::NULL,
        V::Boolean(b) => JsValue::from_bool(b),
        V::Integer(i) => JsValue::from_f64(i as f64),
        V::Float(f) => JsValue::from_f64(f),
        V::String(s) => JsValue::from_str(&s),
        V::Blob(bytes) => js_sys::Uint8Array::from(bytes.as_slice()).into(),
    }
}

pub fn run(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<()> {
    exec(sql, query, args)?;
    Ok(())
}

/// Runs a write; how many rows it wrote.
pub fn written(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<usize> {
    Ok(exec(sql, query, args)?.rows_written() as usize)
}

pub fn rows<T: DeserializeOwned>(
    sql: &SqlStorage,
    query: &str,
    args: Vec<SqlStorageValue>,
) -> Result<Vec<T>> {
    let all = exec(sql, query, args)?.to_array();
    serde_wasm_bindgen::from_value(all).map_err(worker::Error::from)
}

pub fn first<T: DeserializeOwned>(
    sql: &SqlStorage,
    query: &str,
    args: Vec<SqlStorageValue>,
) -> Result<Option<T>> {
    Ok(rows(sql, query, args)?.into_iter().next())
}

/// The single number a query selects `AS n` (a `min`, a `count`), if any.
pub fn number(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<Option<i64>> {
    #[derive(serde::Deserialize)]
    struct N {
        n: Option<i64>,
    }
    Ok(first::<N>(sql, query, args)?.and_then(|r| r.n))
}

/// Runs each `;`-separated statement of a schema; all use `IF NOT EXISTS`.
pub fn migrate(sql: &SqlStorage, schema: &str) -> Result<()> {
    for statement in schema.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        run(sql, statement, Vec::new())?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Column {
    name: String,
}

/// Adds the columns (name, type) an existing table lacks: how tables grow without losing the
/// rows written by an older version. One look at the table serves them all.
pub fn add_columns(sql: &SqlStorage, table: &str, added: &[(&str, &str)]) -> Result<()> {
    let columns: Vec<Column> =
        rows(sql, "SELECT name FROM pragma_table_info(?)", vec![V::String(table.to_owned())])?;
    for (column, kind) in added {
        if !columns.iter().any(|c| c.name == *column) {
            sql.exec(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"), None)?;
        }
    }
    Ok(())
}

pub fn text(s: impl Into<String>) -> V {
    V::String(s.into())
}

pub fn int(i: i64) -> V {
    V::Integer(i)
}

pub fn opt_text(s: Option<impl Into<String>>) -> V {
    s.map_or(V::Null, |s| V::String(s.into()))
}
