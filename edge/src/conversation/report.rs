//! What the site object hears from a conversation: its summary for the inbox, its tickets,
//! the teammates its notes mention, and the AI's usage.
//!
//! Nothing here runs inside a socket's event. workerd hands a socket its next frame only
//! when the event of the previous one has finished, so a handler that waited for the site
//! object held back everything else that visitor or agent sent. Reports go into a small
//! outbox table instead, written in the same synchronous step as the change they report, and
//! a timer of the object sends the whole outbox in one request: at once for a change of
//! state, at most once per [`shared::pace::MIN_PACE_MS`] for new messages alone. A failed send stays
//! in the outbox and is tried again with backoff (and the alarm is set for it, should the
//! object be evicted meanwhile); an object that starts with rows in its outbox sends them at
//! its first event. The site applies each numbered record once, so a resend after a lost
//! answer counts nothing twice.
//!
//! A timer rather than only the alarm: the alarm is one per object and serves other clocks,
//! and a timer in memory sends within the second without a storage write per message; the
//! alarm is set too, later, for an object reset before its timer ran.

use std::task::Poll;

use serde::Deserialize;
use shared::api::ConversationSummary;
use shared::protocol::Millis;
use worker::{Result, SqlStorage, console_error, console_warn};

use super::{Core, now, tickets};
use crate::internal::{self, Mention, ReportBatch, UsageDelta};
use crate::sql::{self, int, text};

/// The longest wait between attempts when the site object keeps failing.
const RETRY_MAX_MS: Millis = 60_000;
/// How long after its send was due the alarm sends the outbox itself.
const BACKSTOP_MS: Millis = 30_000;
/// The most outbox rows one batch takes: an outbox grown over a long outage goes in several
/// calls, each well under the runtime's 32 MiB for an RPC's arguments (a hook's row is at
/// most a message's length and its envelope); the timer sends again while rows are left.
const BATCH_ROWS: i64 = 200;
/// A send to the site object that has not answered by then counts as failed.
const SEND_TIMEOUT_MS: u64 = 15_000;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT, body TEXT NOT NULL,
  UNIQUE (kind, key));
CREATE TABLE IF NOT EXISTS reported (
  id INTEGER PRIMARY KEY CHECK (id = 1), visitor_online INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS looking (id INTEGER PRIMARY KEY CHECK (id = 1), since INTEGER NOT NULL);
";

/// A look older than this was not cut short by an eviction (the next instance comes with the
/// look's alarm, 10 s after it began): it is left over from an earlier spell, and a new look
/// begins, with the whole grace for a page that is reconnecting.
const LOOK_FORGOTTEN_MS: Millis = 60_000;

/// When the look for a visitor the site may still list began ([`super::Core::look_for_visitor`]):
/// kept in storage, because an instance evicted before the look's end would otherwise leave the
/// next one to begin it again, for good (ARCHITECTURE.md, presence). Begins a look at `at`
/// unless one under way is kept.
pub(super) fn look_began(sql: &SqlStorage, at: Millis) -> Result<Millis> {
    let kept = sql::number(sql, "SELECT since AS n FROM looking", vec![])?;
    if let Some(since) = kept.filter(|since| (at - LOOK_FORGOTTEN_MS..=at).contains(since)) {
        return Ok(since);
    }
    sql::run(sql, "INSERT OR REPLACE INTO looking (id, since) VALUES (1, ?)", vec![int(at)])?;
    Ok(at)
}

/// The look is over (the visitor was found or reported gone).
pub(super) fn look_ended(sql: &SqlStorage) -> Result<()> {
    sql::run(sql, "DELETE FROM looking", vec![])
}

/// Whether the site last heard that the visitor is here (`None`: never told, or told before
/// this was kept). An instance that starts without its visitor while the site lists them
/// online owes it the truth: the close may never have come.
pub(super) fn reported_online(sql: &SqlStorage) -> Result<Option<bool>> {
    #[derive(Deserialize)]
    struct Reported {
        visitor_online: i64,
    }
    let row: Option<Reported> = sql::first(sql, "SELECT visitor_online FROM reported", vec![])?;
    Ok(row.map(|r| r.visitor_online != 0))
}

/// One thing the site must hear. The summary and a ticket are sent as they stand when the
/// outbox is flushed, so a newer change replaces an older one (a new row, so a flush already
/// under way cannot delete it); mentions and usage are events, each sent once.
pub(super) enum Record<'a> {
    Summary,
    Ticket(u32),
    Mention(&'a Mention),
    Usage(&'a UsageDelta),
    Hook(&'a shared::hooks::HookEvent),
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    kind: String,
    key: Option<String>,
    body: String,
}

/// How the timer's sleep ended.
#[derive(PartialEq)]
enum Slept {
    Out,
    /// Something must go before the sleep's end.
    Woken,
}

/// Where the outbox's sending stands, in memory.
#[derive(Default)]
pub(super) struct Outbox {
    /// When the next send is due; `None` when the outbox is empty.
    due: Option<Millis>,
    /// When message-only reports may go again: the site's pace after the last batch, spread
    /// so that conversations that began together do not report together.
    next_at: Millis,
    /// The timer that sends is running (it sends until the outbox is empty).
    running: bool,
    /// Failed sends in a row; after one, the alarm also waits for the next try.
    pub failures: u32,
    /// A summary row is stored and no batch has taken it yet: the next change need not
    /// write one (the summary is read as it stands when sent), so a run of messages costs
    /// one outbox write a batch, not one each.
    summary_stored: bool,
    /// Something waiting must go at once (a change of state, a ticket, a mention).
    urgent: bool,
    /// How often the site wants message-only reports (`shared::pace`); it says so in every
    /// answer.
    pace_ms: Millis,
    /// The timer, while it sleeps until `due`: woken when something must go sooner (a
    /// request for a person queued while a message waits for the pace).
    sleeper: Option<std::task::Waker>,
    /// The site object's stub, kept while calls through it succeed: asking the namespace
    /// for it makes new API objects for every report.
    site: Option<internal::RawStub>,
}

impl Outbox {
    /// When a report that is not urgent may go, given the last send and the site's pace.
    fn paced(&self) -> Millis {
        self.next_at.max(now())
    }

    /// A send failed (or the outbox could not be read): the next try waits longer each time,
    /// and an overloaded site is not asked again soon (the wait jumps ahead).
    fn try_again(&mut self, overloaded: bool) {
        self.failures += if overloaded { 4 } else { 1 };
        let wait = (1000 << self.failures.min(6)).min(RETRY_MAX_MS);
        self.due = Some(now() + wait);
    }

    /// When the alarm must wake for the outbox: at the next try after a failure, else a
    /// while after the send is due, should the object be reset before its timer sends (a
    /// deploy resets every object; the rows stay, and the alarm sends them). While a visitor
    /// is here their `presence_clock`, at most `VISITOR_CHECK_SECS` away, is that backstop: one
    /// of its own, set as a report was queued and moved back once it was sent, cost two alarm
    /// writes for every report (one of them inside the event of the message that queued it).
    pub(super) fn alarm_at(&self, presence_clock: bool) -> Option<Millis> {
        match self.due {
            Some(d) if self.failures > 0 => Some(d),
            Some(d) if !presence_clock => Some(d + BACKSTOP_MS),
            _ => None,
        }
    }

    pub(super) fn on_start(sql: &SqlStorage) -> Result<Outbox> {
        Ok(Outbox { due: waiting(sql)?.then(now), ..Outbox::default() })
    }

    /// After a reload: the timer that runs, the last send, failures and the site's pace are
    /// memory's; what is due is whichever comes first.
    pub(super) fn carry_over(&mut self, old: &Outbox) {
        self.running = old.running;
        self.next_at = old.next_at;
        self.failures = old.failures;
        self.pace_ms = old.pace_ms;
        self.due = match (self.due, old.due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // A sleeping timer looks again: it may have to go sooner, and it then waits on this
        // outbox, not the one dropped.
        if let Some(timer) = &old.sleeper {
            timer.wake_by_ref();
        }
    }
}

fn waiting(sql: &SqlStorage) -> Result<bool> {
    Ok(sql::first::<Row>(sql, "SELECT id, kind, key, body FROM outbox LIMIT 1", vec![])?.is_some())
}

impl Core {
    /// Queues `record` with the change it reports (no await: the two are stored together).
    /// `urgent` sends it with the next alarm; otherwise it may wait for the message interval.
    /// The caller brings the alarm in line ([`Core::schedule`]).
    pub(super) fn queue_report(&self, record: Record<'_>, urgent: bool) -> Result<()> {
        let summary = matches!(record, Record::Summary);
        let (kind, key, body) = match record {
            Record::Summary => ("summary", Some(String::new()), String::new()),
            Record::Ticket(n) => ("ticket", Some(n.to_string()), String::new()),
            Record::Mention(m) => ("mention", None, serde_json::to_string(m)?),
            Record::Usage(u) => ("usage", None, serde_json::to_string(u)?),
            Record::Hook(e) => ("hook", None, serde_json::to_string(e)?),
        };
        if !(summary && self.inner.borrow().outbox.summary_stored) {
            super::injected_fault(&self.failing_outbox_writes, "outbox write")?;
            sql::run(
                self.sql(),
                "INSERT OR REPLACE INTO outbox (kind, key, body) VALUES (?, ?, ?)",
                vec![text(kind), key.map_or(sql::V::Null, text), text(body)],
            )?;
        }
        // Stored, the summary is no longer owed, whichever path queued it.
        if summary {
            self.summary_owed.set(false);
            self.owed_retry_at.set(None);
            self.owed_failures.set(0);
        }
        {
            let mut inner = self.inner.borrow_mut();
            let outbox = &mut inner.outbox;
            outbox.summary_stored |= summary;
            outbox.urgent |= urgent;
            let at = if urgent { now() } else { outbox.paced() };
            // A failing site is not asked more often because more happened meanwhile.
            if outbox.failures == 0 || outbox.due.is_none() {
                let sooner = outbox.due.is_none_or(|d| at < d);
                outbox.due = Some(outbox.due.map_or(at, |d| d.min(at)));
                if sooner && let Some(timer) = outbox.sleeper.take() {
                    timer.wake();
                }
            }
        }
        self.send_reports();
        Ok(())
    }

    /// Starts the timer that sends the outbox, unless it runs already or nothing is due. It
    /// also sets the alarm that backs it up (outside any socket's event).
    pub(super) fn send_reports(&self) {
        {
            let mut inner = self.inner.borrow_mut();
            if inner.outbox.running || inner.outbox.due.is_none() {
                return;
            }
            inner.outbox.running = true;
        }
        self.spawn(|core| async move {
            loop {
                // Memory's outbox is not this conversation's while unloaded: the timer starts
                // again once storage reads (the summary is queued again then).
                if core.unloaded.get() {
                    break;
                }
                if let Err(e) = core.schedule().await {
                    console_error!("setting the alarm for the reports: {e}");
                }
                let Some(due) = core.inner.borrow().outbox.due else { break };
                let wait = due - now();
                if wait > 0 && core.sleep_until_due(due, wait).await == Slept::Woken {
                    continue;
                }
                core.flush_reports().await;
            }
            core.inner.borrow_mut().outbox.running = false;
        });
    }

    /// Sleeps `wait` ms, until `due`, unless something queued meanwhile must go sooner.
    async fn sleep_until_due(&self, due: Millis, wait: Millis) -> Slept {
        let mut delay =
            std::pin::pin!(worker::Delay::from(std::time::Duration::from_millis(wait as u64)));
        std::future::poll_fn(|cx| {
            if delay.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Slept::Out);
            }
            let mut inner = self.inner.borrow_mut();
            if inner.outbox.due.is_none_or(|d| d < due) {
                inner.outbox.sleeper = None;
                return Poll::Ready(Slept::Woken);
            }
            inner.outbox.sleeper = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Sends the outbox once; afterwards `due` says when to send again, if ever.
    async fn flush_reports(&self) {
        let (site_key, batch, full) = match self.batch() {
            Ok(Some(batch)) => batch,
            Ok(None) => {
                self.inner.borrow_mut().outbox.due = None;
                return;
            }
            // The rows stay, and so does a time to try again: with none, the outbox would
            // wait for this conversation's next event, which may never come (a visitor who
            // left is then listed online for good).
            Err(e) => {
                console_error!("outbox: {e}");
                self.inner.borrow_mut().outbox.try_again(false);
                return;
            }
        };
        if self.trace {
            worker::console_log!(
                "trace {} report {} out at {}",
                self.short_id(),
                batch.upto,
                now()
            );
        }
        let sent: Result<(u16, String)> = async {
            let kept = self.inner.borrow_mut().outbox.site.take();
            let stub = match kept {
                Some(stub) => stub,
                None => internal::raw_site(&self.env, &site_key)?,
            };
            let body = serde_json::to_string(&batch)?;
            // A send that never answers must not stop this conversation's reports.
            let send = std::pin::pin!(internal::report(&stub, &body));
            let timeout = worker::Delay::from(std::time::Duration::from_millis(SEND_TIMEOUT_MS));
            let sent = match futures_util::future::select(send, timeout).await {
                futures_util::future::Either::Left((sent, _)) => sent?,
                futures_util::future::Either::Right(_) => {
                    return Err(worker::Error::RustError("the site did not answer".into()));
                }
            };
            // Kept only while it works: a stub that failed once is asked for anew.
            self.inner.borrow_mut().outbox.site = Some(stub.clone());
            Ok(sent)
        }
        .await;
        if self.trace {
            worker::console_log!(
                "trace {} report {} back at {}",
                self.short_id(),
                batch.upto,
                now()
            );
        }
        let overloaded = sent.as_ref().is_err_and(internal::overloaded);
        // A batch refused and dropped told the site nothing of the visitor.
        let applied = matches!(&sent, Ok((200..=299, _)));
        let delivered = match sent {
            Ok((status, answer)) => match status {
                200..=299 => {
                    // The site's pace; an older site object answers without one.
                    if let Ok(pace) = serde_json::from_str::<shared::pace::Pace>(&answer) {
                        self.inner.borrow_mut().outbox.pace_ms = pace.pace_ms;
                    }
                    Ok(())
                }
                // The site refused the batch itself, not for the moment: sending it again
                // cannot succeed, so it goes, loudly. (A 404 is a site object not set up yet,
                // or one that does not know the call, during a deploy: tried again.)
                status @ (400..=403 | 405..=428 | 430..=499) => {
                    console_error!(
                        "the site refused reports up to {} ({status}); dropped",
                        batch.upto
                    );
                    Ok(())
                }
                status => Err(worker::Error::RustError(format!("the site answered {status}"))),
            },
            Err(e) => Err(e),
        };
        let deleted = delivered.and_then(|()| {
            sql::run(self.sql(), "DELETE FROM outbox WHERE id <= ?", vec![int(batch.upto)])?;
            if applied {
                self.note_reported(batch.summary.visitor_online)?;
            }
            Ok(())
        });
        // Unknown counts as more: the timer looks again rather than leave a row behind.
        let more = waiting(self.sql()).unwrap_or(true);
        let mut inner = self.inner.borrow_mut();
        let outbox = &mut inner.outbox;
        match deleted {
            Ok(()) => {
                outbox.failures = 0;
                let gap = shared::pace::spread(outbox.pace_ms, js_sys::Math::random());
                outbox.next_at = now() + gap;
                // What was queued while this send was under way goes at its own pace, or at
                // once if it is a change of state or the rest of a backlog.
                outbox.due =
                    more.then(|| if outbox.urgent || full { now() } else { outbox.paced() });
            }
            Err(e) => {
                outbox.try_again(overloaded);
                console_warn!("report to the site failed ({} in a row): {e}", outbox.failures);
            }
        }
        // The timer's loop sets the alarm for the next try (`send_reports`).
    }

    /// Keeps what the site now believes of the visitor's presence, written only when it
    /// changes.
    fn note_reported(&self, online: bool) -> Result<()> {
        if self.inner.borrow().reported_online == Some(online) {
            return Ok(());
        }
        sql::run(
            self.sql(),
            "INSERT OR REPLACE INTO reported (id, visitor_online) VALUES (1, ?)",
            vec![int(online.into())],
        )?;
        self.inner.borrow_mut().reported_online = Some(online);
        Ok(())
    }

    /// The outbox as one request: the summary as it stands (always, so the index row exists
    /// for the site to count applied records against), the tickets it names as they stand,
    /// and the mentions and usage in the order they happened; whether it took as many rows as
    /// a batch may (more may be waiting).
    fn batch(&self) -> Result<Option<(String, ReportBatch, bool)>> {
        super::injected_fault(&self.failing_outbox, "outbox read")?;
        let rows: Vec<Row> = sql::rows(
            self.sql(),
            "SELECT id, kind, key, body FROM outbox ORDER BY id LIMIT ?",
            vec![int(BATCH_ROWS)],
        )?;
        let Some(upto) = rows.last().map(|r| r.id) else { return Ok(None) };
        let full = rows.len() as i64 >= BATCH_ROWS;
        let Some((site_key, summary)) = self.summary(None) else { return Ok(None) };
        // This batch takes the stored summary and whatever was urgent; a change from now on
        // stores a new one.
        {
            let mut inner = self.inner.borrow_mut();
            inner.outbox.summary_stored = false;
            inner.outbox.urgent = false;
        }
        let mut batch = ReportBatch {
            upto,
            summary,
            tickets: vec![],
            mentions: vec![],
            usage: vec![],
            hooks: vec![],
        };
        for row in rows {
            let parsed = match row.kind.as_str() {
                "ticket" => row.key.as_deref().and_then(|k| k.parse::<u32>().ok()).map(|n| {
                    let inner = self.inner.borrow();
                    let Some(meta) = inner.meta.as_ref() else { return };
                    match tickets::one(self.sql(), n, meta, &inner.profile) {
                        Ok(Some(t)) => batch.tickets.push(t),
                        Ok(None) => {}
                        Err(e) => console_error!("ticket {n}: {e}"),
                    }
                }),
                "mention" => {
                    serde_json::from_str(&row.body).ok().map(|m| batch.mentions.push((row.id, m)))
                }
                "usage" => {
                    serde_json::from_str(&row.body).ok().map(|u| batch.usage.push((row.id, u)))
                }
                "hook" => {
                    serde_json::from_str(&row.body).ok().map(|e| batch.hooks.push((row.id, e)))
                }
                _ => Some(()),
            };
            if parsed.is_none() {
                console_error!("outbox row {} ({}) unreadable; dropped", row.id, row.kind);
            }
        }
        Ok(Some((site_key, batch, full)))
    }

    /// Where this conversation stands, for the site's index; `closing` is a visitor socket
    /// being closed, which no longer counts as the visitor being there.
    pub(super) fn summary(
        &self,
        closing: Option<&worker::WebSocket>,
    ) -> Option<(String, ConversationSummary)> {
        let inner = self.inner.borrow();
        let meta = inner.meta.as_ref()?;
        let view = inner.machine.view();
        let summary = ConversationSummary {
            id: meta.conversation_id.clone(),
            phase: view.phase,
            assignee: view.assignee,
            ticket: view.ticket,
            last_seq: inner.machine.last_seq(),
            created_at: meta.created_at,
            updated_at: now(),
            waiting_since: inner.waiting_since,
            left_message: inner.left_message,
            preview: inner.preview.clone(),
            unanswered: inner.unanswered,
            visitor_name: inner
                .profile
                .name
                .clone()
                .or_else(|| inner.channel.peer.as_ref().and_then(|p| p.name.clone())),
            verified: inner.profile.verified(),
            user_id: inner.profile.user_id.clone(),
            tickets: inner.machine.tickets(),
            visitor_online: self.visitor_online(closing),
            activity_at: inner.activity_at,
            spam: inner.spam,
            channel: inner.channel.peer.as_ref().map(|p| p.kind),
        };
        Some((meta.site_key.clone(), summary))
    }

    /// Whether a visitor's widget is connected and, if it pings whatever passes, was heard
    /// from lately (a page whose machine slept or lost its network may look connected for
    /// hours), not counting `closing` (a socket whose close is being handled may still be
    /// listed).
    pub(super) fn visitor_online(&self, closing: Option<&worker::WebSocket>) -> bool {
        let since = self.heard_since();
        self.visitor_sockets(closing).any(|(ws, att)| !att.beats || self.heard(&ws, &att, since))
    }

    /// Whether a visitor's widget is connected, heard from lately or not: while one is, the
    /// presence clock runs.
    pub(super) fn visitor_connected(&self, closing: Option<&worker::WebSocket>) -> bool {
        self.visitor_sockets(closing).next().is_some()
    }

    /// The visitor's open sockets that said hello, but `closing`.
    pub(super) fn visitor_sockets<'a>(
        &'a self,
        closing: Option<&'a worker::WebSocket>,
    ) -> impl Iterator<Item = (worker::WebSocket, std::rc::Rc<super::socket::Attachment>)> + 'a
    {
        self.ready_sockets()
            .filter(move |(ws, att)| att.is_visitor() && crate::sockets::open_besides(ws, closing))
    }
}
