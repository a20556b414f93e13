//! A conversation's outbox, applied in one step: its summary for the index, its tickets, the
//! teammates its notes mention and the AI's usage. Nothing here awaits, so the batch is
//! applied whole or not at all, and no other event sees it half done.

use serde::Deserialize;
use worker::{Response, Result};

use super::{Site, index, mentions, tickets, usage};
use crate::internal::ReportBatch;
use crate::sql::{self, int, text};

#[derive(Deserialize)]
struct Upto {
    reports_upto: i64,
}

pub fn apply(site: &Site, batch: ReportBatch) -> Result<Response> {
    let id = batch.summary.id.clone();
    let sql = site.sql();
    index::upsert(site, batch.summary)?;
    let applied = sql::first::<Upto>(
        &sql,
        "SELECT reports_upto FROM conversations WHERE id = ?",
        vec![text(&id)],
    )?
    .map_or(0, |r| r.reports_upto);
    for ticket in batch.tickets {
        // A conversation reports only its own tickets.
        if ticket.conversation_id == id {
            tickets::upsert(site, ticket)?;
        }
    }
    for (_, mention) in batch.mentions.into_iter().filter(|(n, _)| *n > applied) {
        if mention.conversation_id == id {
            mentions::notify(site, mention)?;
        }
    }
    for (_, delta) in batch.usage.iter().filter(|(n, _)| *n > applied) {
        usage::add(site, delta)?;
    }
    sql::run(
        &sql,
        "UPDATE conversations SET reports_upto = max(reports_upto, ?) WHERE id = ?",
        vec![int(batch.upto), text(&id)],
    )?;
    Response::ok("applied")
}
