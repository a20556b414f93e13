//! Thin helpers over a Durable Object's SQLite storage. Every call is synchronous: a sequence of
//! them with no `.await` between runs without any other event of the object interleaving.

use serde::de::DeserializeOwned;
use worker::{Result, SqlStorage, SqlStorageValue};

pub use worker::SqlStorageValue as V;

pub fn run(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<()> {
    sql.exec(query, Some(args))?;
    Ok(())
}

pub fn rows<T: DeserializeOwned>(
    sql: &SqlStorage,
    query: &str,
    args: Vec<SqlStorageValue>,
) -> Result<Vec<T>> {
    sql.exec(query, Some(args))?.to_array()
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
        sql.exec(statement, None)?;
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
