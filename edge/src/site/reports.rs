//! A conversation's outbox, applied in one step: its summary for the index, its tickets, the
//! teammates its notes mention, the AI's usage and the events for the site's webhooks. Nothing here awaits, so the batch is
//! applied whole or not at all, and no other event sees it half done.

use serde::Deserialize;
use shared::pace::Pace;
use worker::Result;

use super::{Site, hooks, index, mentions, tickets, usage};
use crate::internal::ReportBatch;
use crate::sql::{self, text};

#[derive(Deserialize)]
struct Upto {
    reports_upto: i64,
}

pub fn apply(site: &Site, batch: ReportBatch) -> Result<Pace> {
    let id = batch.summary.id.clone();
    let sql = site.sql();
    // Read only when there are records to count against it: most batches carry a summary
    // alone, and then one statement is the whole report.
    let applied = if batch.mentions.is_empty() && batch.usage.is_empty() && batch.hooks.is_empty() {
        0
    } else {
        sql::first::<Upto>(
            &sql,
            "SELECT reports_upto FROM conversations WHERE id = ?",
            vec![text(&id)],
        )?
        .map_or(0, |r| r.reports_upto)
    };
    // A summary is stored only if newer than the one there, and it is computed when its batch
    // is sent: a batch with a newer `upto` has a summary at least as new, so the two move
    // together.
    index::upsert(site, batch.summary, batch.upto)?;
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
    if !batch.hooks.is_empty()
        && let Some(site_key) = site.site_key()?
    {
        for (n, event) in batch.hooks.iter().filter(|(n, _)| *n > applied) {
            // Within a second: a run of events wakes the alarm once.
            if event.conversation_id == id && hooks::enqueue(site, &site_key, *n, event)? {
                site.alarm_by(crate::now() + 1_000);
            }
        }
    }
    Ok(site.load.borrow_mut().reporters.reported(&id, crate::now()))
}
