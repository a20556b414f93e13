//! The Conversation object, one per conversation: a thin shell around the shared state
//! machine. It feeds the machine inputs from the sockets and the AI, and carries out the
//! effects: SQLite writes, frames to every participant, reports to the site's index.
//!
//! Claims are race-free because the machine's compare-and-set and the writes that follow run
//! with no `.await` between them, and an object handles one event at a time up to an await.

mod ai;
mod brief;
mod channel;
mod clocks;
mod grants;
pub use grants::Kind as GrantKind;
mod hooks;
mod profile;
mod report;
mod socket;
mod store;
mod tickets;
mod transcript;
mod visitor_mail;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use shared::api::Transcript;
use shared::machine::{self, Effect, Input};
use shared::protocol::{
    AgentRef, Author, ClientFrame, Credential, ErrorCode, ErrorFrame, Event, Hello, Item, ItemBody,
    Millis, PROTOCOL_VERSION, Phase, ServerFrame, Visit, VisitorProfile, Welcome, limits,
};
use worker::{
    DurableObject, Env, Method, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, console_error, console_log, console_warn,
};

use crate::crypto;
use crate::internal::{self, BotSetup, InitConversation, Revoke};
use crate::sockets;
use socket::{Attachment, Bucket, Who, refuse, refuse_frame};
use store::Meta;

/// How long a pending AI answer may take before the alarm asks again: longer than any
/// engine's own timeout, so a slow answer is not asked for twice.
const BOT_RETRY_MS: i64 = 90_000;
/// How much of the conversation an engine sees.
const CONTEXT_TURNS: usize = 20;
const PREVIEW_CHARS: usize = 140;
const VISITOR_TEXT_CHARS: usize = 1000;
/// A socket must say hello this soon after it opens, or it is closed.
const HELLO_DEADLINE_MS: Millis = 10_000;
/// A summary storage would not take is tried again after about this long if no event comes
/// first, twice as long after each failure in a row up to the most.
const OWED_RETRY_MS: Millis = 5_000;
const OWED_RETRY_MAX_MS: Millis = 300_000;

/// What the first event of an instance is, for the presence check it makes
/// ([`Core::check_presence_at_start`]).
#[derive(Clone, Copy)]
enum Wake<'a> {
    /// A frame from this socket.
    Frame(&'a WebSocket),
    /// A new socket's upgrade.
    NewSocket,
    Other,
}

/// A benchmark worker's injected storage failure (`FAIL_READS`): while `left` counts down,
/// the step it guards fails as storage would.
fn injected_fault(left: &std::cell::Cell<u32>, what: &str) -> Result<()> {
    match left.get().checked_sub(1) {
        Some(rest) => {
            left.set(rest);
            Err(worker::Error::RustError(format!("{what} failed (benchmark's test)")))
        }
        None => Ok(()),
    }
}
/// Sockets a conversation keeps. Anyone who knows its id can open one, so sockets that have
/// not said hello yet never displace a greeted one: each client address may have four (its
/// oldest goes, and a widget reconnects), fifty in all (then new ones are refused for the
/// few seconds it takes those to say hello or be closed). Greeted: ten of the visitor (their
/// tabs) and ten of each teammate, the oldest of the same person going. And two hundred in
/// all, whatever state they are in (a client that never completes a close keeps its socket
/// "closing").
const MAX_UNGREETED_PER_CLIENT: usize = 4;
const MAX_UNGREETED_SOCKETS: usize = 50;
const MAX_VISITOR_SOCKETS: usize = 10;
const MAX_SOCKETS_PER_TEAMMATE: usize = 10;
const MAX_SOCKETS: usize = 200;
/// How long a revocation is remembered, for a socket whose upgrade was checked just before the
/// revocation arrived but is accepted just after.
const REVOKED_MEMORY_MS: Millis = 60_000;
/// Close codes beyond the ones the site sends for account changes.
const CLOSE_NO_HELLO: u16 = 4008;
const CLOSE_REPLACED: u16 = 4009;
/// A visitor's page not heard from for as long as a console counts as there: its machine
/// slept or its network went, though the socket may look open for hours. Closed, so that a
/// page that was only frozen comes back with a fresh socket (and says hello, which lists it
/// online again).
const CLOSE_NOT_HEARD: u16 = 4010;

#[wasm_bindgen::prelude::wasm_bindgen]
pub struct Conversation {
    core: Rc<Core>,
}

crate::eager::durable_object!(Conversation { core });

impl std::ops::Deref for Conversation {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

/// The object's state behind a shared handle, so work that must not hold up a socket (the
/// AI's answer, a ticket's summary) can go on after the event that started it has finished.
pub struct Core {
    /// This core itself, for [`Core::spawn`].
    me: std::rc::Weak<Core>,
    state: State,
    /// The object's storage, fetched once: every message writes to it.
    sql: worker::SqlStorage,
    env: Env,
    inner: RefCell<Inner>,
    /// A benchmark worker lifts the per-socket frame limit.
    unlimited: bool,
    /// `TRACE=1`: every frame in, every item stored and every acknowledgement out is logged,
    /// to see where a message stopped.
    trace: bool,
    /// Storage could not be read when the object started (workerd's SQLite out of memory when
    /// thousands of objects wake at once, measured): memory then holds an empty conversation,
    /// not this one, and nothing may act on it until a read succeeds ([`Core::loaded`]).
    unloaded: std::cell::Cell<bool>,
    /// The summary the site holds may be older than this conversation (a visitor's close was
    /// handled while unloaded): it is sent again as soon as storage takes it.
    summary_owed: std::cell::Cell<bool>,
    /// No alarm has run in this instance yet. An instance evicted while unloaded took what it
    /// owed the site with it (memory only: storage could not be written), so the first alarm
    /// of the next sends the summary again; [`Core::read_again_later`] set that alarm.
    first_alarm: std::cell::Cell<bool>,
    /// Alarms that found storage unreadable in a row, for the backoff of the next.
    unloaded_alarms: std::cell::Cell<u32>,
    /// A benchmark worker's test of the unloaded state: this many reads still fail.
    failing_reads: std::cell::Cell<u32>,
    /// The same for the outbox of reports alone: this many reads of it still fail.
    failing_outbox: std::cell::Cell<u32>,
    /// And this many writes to it.
    failing_outbox_writes: std::cell::Cell<u32>,
    /// An owed summary that storage would not take is queued again at this time, by the
    /// alarm if no event comes first.
    owed_retry_at: std::cell::Cell<Option<Millis>>,
    /// The first event of this instance has checked on the visitor
    /// ([`Core::check_presence_at_start`]).
    presence_checked: std::cell::Cell<bool>,
    /// Owed summaries storage would not take in a row, for the backoff of the next try.
    owed_failures: std::cell::Cell<u32>,
    /// How often a visitor listed online is looked for again ([`presence_check_ms`]).
    presence_check_ms: Millis,
    /// The instance started with a clock the stored alarm may not hold: the first event
    /// sets it.
    schedule_owed: std::cell::Cell<bool>,
}

/// A visitor listed online is looked for again this often (`VISITOR_CHECK_SECS`, ten
/// minutes by default). workerd may never deliver a socket's close: a restart or a deploy
/// drops every socket without one, and a hibernated object whose storage cannot be read
/// when the close comes loses it (measured: thousands when 10,000 sockets close at once
/// locally). The alarm then finds the visitor gone and the index hears it. The cost: an
/// object with a visitor on its page wakes this often and sends its summary again.
fn presence_check_ms(env: &Env) -> Millis {
    crate::secs_var(env, "VISITOR_CHECK_SECS").unwrap_or(600_000)
}

/// The benchmark worker's route that makes this conversation act unloaded
/// (`api::bench::fail_reads`).
pub const FAIL_READS: &str = "/bench/fail-reads";

/// How soon an unloaded conversation with work to do (a report owed to the site, a clock that
/// fired) tries to read again, doubling while reads keep failing, up to a minute.
const UNLOADED_RETRY_MS: Millis = 1_000;
const UNLOADED_RETRY_MAX_MS: Millis = 60_000;
/// After about an hour of those, storage that still cannot be read is a fault no quick retry
/// mends, and each wake is paid: the alarm then comes every quarter of an hour.
const UNLOADED_ALARMS: u32 = 66;
const UNLOADED_SLOW_MS: Millis = 15 * 60_000;

/// What an unloaded conversation answers a change or an alarm with.
fn unavailable() -> worker::Error {
    worker::Error::RustError("conversation storage unavailable".into())
}

#[derive(Default)]
struct Inner {
    meta: Option<Meta>,
    machine: machine::Conversation,
    profile: VisitorProfile,
    /// Derived from the items for the site's index: the visitor's first message that says what
    /// they need (held until the takeover cycle ends), else their latest.
    preview: String,
    preview_held: bool,
    waiting_since: Option<Millis>,
    /// The wait began with a message left for the team (the out-of-hours form).
    left_message: bool,
    unanswered: u32,
    /// The visitor's latest words, for language detection: more text, surer guesses.
    visitor_text: String,
    /// Letters the visitor wrote since the language was last looked for in `visitor_text`.
    unread_letters: usize,
    buckets: HashMap<String, Bucket>,
    /// The site's settings and when they were fetched; `None` until the first fetch after a
    /// start or a change.
    config: Option<(Millis, BotSetup)>,
    /// When the alarm should ask the AI again if its answer is still owed.
    bot_retry_at: Option<Millis>,
    /// The visitor message an engine call is running for, and how to abort it.
    bot_running: Option<u64>,
    bot_abort: Option<worker::AbortController>,
    /// Revocations of the last minute (see [`REVOKED_MEMORY_MS`]).
    revoked: Vec<(Millis, Revoke)>,
    /// When the newest item was stored, and whether it was closed as spam.
    activity_at: Millis,
    spam: bool,
    /// Reports waiting for the site (see `report`).
    outbox: report::Outbox,
    /// What this instance last set the alarm to (`Some(None)`: no alarm), so an unchanged
    /// one is not set again; `None` until it sets one.
    alarm_at: Option<Option<Millis>>,
    /// When the first socket that has not said hello must be closed.
    hello_due: Option<Millis>,
    /// While a visitor is here: when to look again whether they still are.
    presence_due: Option<Millis>,
    /// What the site last heard of the visitor's presence (`report::reported_online`).
    reported_online: Option<bool>,
    /// A look for the visitor is under way, its start kept in storage (`report::look_began`).
    looking: bool,
    /// The events the site's webhooks take (stored: see `hooks`), as the site last said.
    hook_events: Vec<String>,
    /// Counts the site's pushes of changed settings: a fetch begun before one must not put
    /// back what it replaced.
    config_generation: u64,
    /// Replies mailed to a visitor who left (see `visitor_mail`), and whether a send runs.
    visitor_mail: visitor_mail::Owed,
    mail_in_flight: bool,
    /// The messaging channel the visitor writes from, and what is owed to it (see `channel`).
    channel: channel::Channel,
}

impl Inner {
    fn observe(&mut self, item: &Item) {
        match &item.body {
            ItemBody::Message(m) => {
                self.unanswered = if m.author == Author::Visitor { self.unanswered + 1 } else { 0 };
                if m.author == Author::Visitor && !self.preview_held {
                    // The need, not "human please", is what an agent triages by.
                    self.preview = m.text.chars().take(PREVIEW_CHARS).collect();
                    self.preview_held = shared::summary::is_substantive(&m.text);
                }
                if m.author == Author::Visitor {
                    self.visitor_text.push('\n');
                    self.visitor_text.push_str(&m.text);
                    // Cut back to the newest VISITOR_TEXT_CHARS characters only once it has
                    // grown to twice that in bytes: counting characters on every message made
                    // replaying a long history quadratic in effect.
                    if self.visitor_text.len() > 2 * VISITOR_TEXT_CHARS {
                        let cut = self
                            .visitor_text
                            .char_indices()
                            .rev()
                            .nth(VISITOR_TEXT_CHARS - 1)
                            .map_or(0, |(i, _)| i);
                        self.visitor_text.drain(..cut);
                    }
                }
            }
            ItemBody::Event(Event::Escalated { offline, .. }) => {
                self.waiting_since = Some(item.at);
                self.left_message = *offline;
            }
            // Back to Pending (its assignee away or gone): a new wait for a person.
            ItemBody::Event(Event::Requeued { .. }) => self.waiting_since = Some(item.at),
            ItemBody::Event(Event::Ended { spam, .. }) => self.spam = *spam,
            ItemBody::Event(Event::Reopened { .. }) => {
                self.spam = false;
                self.preview_held = false;
            }
            // A cycle over: the next need is the next preview.
            ItemBody::Event(Event::AiResumed { .. } | Event::Unclaimed) => {
                self.preview_held = false
            }
            ItemBody::Note(_) | ItemBody::Event(_) => {}
        }
        self.activity_at = item.at;
        if self.machine.phase() != Phase::Escalated {
            self.waiting_since = None;
            self.left_message = false;
        }
    }
}

impl Core {
    /// Queues what `follow` says the site must hear, in the same step as the change.
    fn queue_reports(&self, follow: &FollowUp) -> Result<()> {
        use report::Record;
        if follow.report {
            self.queue_report(Record::Summary, follow.state_changed)?;
        }
        for number in &follow.tickets {
            self.queue_report(Record::Ticket(*number), true)?;
        }
        for event in &follow.hooks {
            // Messages go at the site's pace like the rest; changes of state at once.
            self.queue_report(Record::Hook(event), event.kind != "message.created")?;
        }
        if let Some((by, text)) = &follow.note {
            let Some(id) = self.inner.borrow().meta.as_ref().map(|m| m.conversation_id.clone())
            else {
                return Ok(());
            };
            let mention =
                internal::Mention { conversation_id: id, by: by.clone(), text: text.clone() };
            self.queue_report(Record::Mention(&mention), true)?;
        }
        Ok(())
    }
}

fn ticket_event(
    kind: &str,
    conversation_id: &str,
    number: u32,
    at: Millis,
    actor: shared::hooks::Actor,
) -> shared::hooks::HookEvent {
    shared::hooks::HookEvent {
        kind: kind.into(),
        at,
        conversation_id: conversation_id.into(),
        ticket: Some(number),
        actor,
        data: serde_json::Value::Null,
        channel: None,
    }
}

/// What must happen after the synchronous part of handling an input.
#[derive(Default)]
struct FollowUp {
    report: bool,
    /// The state changed: the index must hear at once, and the alarm may be due at another
    /// time.
    state_changed: bool,
    /// Tickets just opened, for the AI to summarise when the site has a model.
    opened: Vec<u32>,
    ask_bot: Option<u64>,
    /// Tickets whose record the site must refresh.
    tickets: Vec<u32>,
    /// An internal note, for the site to notify whoever it mentions.
    note: Option<(AgentRef, String)>,
    /// Lifecycle events for the site's webhooks.
    hooks: Vec<shared::hooks::HookEvent>,
}

use crate::now;

impl Core {
    fn sql(&self) -> &worker::SqlStorage {
        &self.sql
    }

    /// Rebuilds memory from storage: on start, and whenever a write failed half-way.
    fn load(sql: &worker::SqlStorage) -> Result<Inner> {
        let mut inner = Inner { meta: store::load_meta(sql)?, ..Inner::default() };
        if let Some(meta) = &inner.meta {
            store::migrate(sql)?;
            inner.outbox = report::Outbox::on_start(sql)?;
            inner.reported_online = report::reported_online(sql)?;
            if let Some(rules) = clocks::stored_rules(sql)? {
                inner.machine.set_rules(rules);
            }
            inner.profile = profile::load(sql, meta.language.clone())?;
            inner.hook_events = hooks::load(sql)?;
            inner.visitor_mail = visitor_mail::load(sql)?;
            inner.channel = channel::load(sql)?;
            for item in store::items_after(sql, 0)? {
                inner.machine.apply(&item);
                inner.observe(&item);
            }
        }
        Ok(inner)
    }

    /// Rebuilds memory from storage after a failed write. Should the read fail too, memory
    /// (which may hold the change whose write failed) is no longer trusted: the object is
    /// unloaded until a read succeeds ([`Core::loaded`]).
    fn reload(&self) {
        match self.reread() {
            Ok(()) => self.reschedule(),
            Err(e) => {
                console_error!("conversation reload: {e}");
                self.unloaded.set(true);
            }
        }
    }

    /// Memory was read afresh: the alarm follows its clocks (none may have been set while it
    /// could not be read, and a read-only event would set none).
    fn reschedule(&self) {
        self.spawn(|core| async move {
            if let Err(e) = core.schedule().await {
                console_error!("alarm after a read: {e}");
            }
        });
    }

    /// Rebuilds what storage holds; what only memory knows carries over (the report timer
    /// that is running, the alarm set, sockets' rate buckets, revocations, the engine call in
    /// flight), so a reload never starts a second timer or forgets a revocation.
    fn reread(&self) -> Result<()> {
        injected_fault(&self.failing_reads, "read")?;
        let mut fresh = Self::load(self.sql())?;
        let mut inner = self.inner.borrow_mut();
        fresh.outbox.carry_over(&inner.outbox);
        fresh.buckets = std::mem::take(&mut inner.buckets);
        fresh.revoked = std::mem::take(&mut inner.revoked);
        fresh.config = inner.config.take();
        fresh.config_generation = inner.config_generation;
        fresh.bot_retry_at = inner.bot_retry_at;
        fresh.bot_running = inner.bot_running;
        fresh.bot_abort = inner.bot_abort.take();
        fresh.alarm_at = inner.alarm_at;
        fresh.hello_due = inner.hello_due;
        fresh.presence_due = inner.presence_due;
        fresh.looking = inner.looking;
        fresh.mail_in_flight = inner.mail_in_flight;
        fresh.channel.sending = inner.channel.sending;
        *inner = fresh;
        Ok(())
    }

    /// Whether memory holds this conversation: after a failed read, storage is read again.
    /// The summary the site holds is sent again then (a visitor's close may have come
    /// meanwhile): at once, or once a visitor the site may list has had the hello deadline to
    /// come back; and at every event until storage takes it.
    fn loaded(&self) -> bool {
        self.loaded_by(Wake::Other)
    }

    /// [`Core::loaded`], told what the event is: the first event of an instance checks on
    /// the visitor.
    fn loaded_by(&self, wake: Wake<'_>) -> bool {
        let reread = self.unloaded.get();
        if reread {
            if let Err(e) = self.reread() {
                console_error!("conversation load, again: {e}");
                return false;
            }
            self.unloaded.set(false);
            self.unloaded_alarms.set(0);
            // A visitor's close handled meanwhile is owed at once ([`Core::gone_unloaded`]);
            // else one the site may list is looked for after the hello deadline's grace.
            if self.summary_owed.get() {
                self.check_presence_later();
            } else if !self.look_for_visitor() {
                self.summary_owed.set(true);
            }
        }
        if !self.presence_checked.replace(true) {
            self.check_presence_at_start(wake);
        }
        let owed = self.schedule_owed.replace(false);
        if reread || owed {
            self.reschedule();
        }
        self.send_owed_summary();
        true
    }

    /// The presence clock is memory's, so an instance cannot know when an earlier one meant
    /// to check: the first event of each (any event, the alarm or not) checks at once while a
    /// visitor's socket is here. Before, an instance began its clock a whole period on and
    /// set the alarm for it, so an object evicted between events (locally 10 s after the
    /// last) and woken more often than that period never checked: measured after the
    /// bench's close storm, 4,221 visitors whose sockets workerd kept listed open, silent
    /// though they said they beat, were still listed online.
    fn check_presence_at_start(&self, wake: Wake<'_>) {
        if !self.visitor_connected(None) {
            return;
        }
        match wake {
            // A page coming back (its old socket not yet closed) says hello within the
            // deadline: checked at once, it would be listed gone until its hello's report.
            Wake::NewSocket => {
                let at = now() + HELLO_DEADLINE_MS;
                let mut inner = self.inner.borrow_mut();
                inner.presence_due = Some(inner.presence_due.map_or(at, |due| due.min(at)));
            }
            Wake::Frame(_) | Wake::Other => {
                self.inner.borrow_mut().presence_due = Some(now());
                let speaking = if let Wake::Frame(from) = wake { Some(from) } else { None };
                self.check_presence(speaking);
            }
        }
        self.schedule_owed.set(true);
    }

    /// The site must hear this conversation's summary again: owed until storage takes it.
    fn owe_summary(&self) {
        if self.inner.borrow().meta.is_some() {
            self.summary_owed.set(true);
            self.send_owed_summary();
        }
    }

    /// Sends the site this conversation's summary again if it is owed, stored first so that
    /// it stays owed until the site has it. Should storage not take it, the next event tries
    /// again, or the alarm a little later: a visitor's leaving may be the last event there is.
    fn send_owed_summary(&self) {
        if !self.summary_owed.get() || self.inner.borrow().meta.is_none() {
            return;
        }
        // Once storage takes it, `queue_report` clears the debt, whichever path queued it.
        if let Err(e) = self.queue_report(report::Record::Summary, false) {
            console_error!("summary report: {e}");
            // Every event tries; only a try the wait had come to counts toward the next wait.
            if self.owed_retry_at.get().is_some_and(|at| at > now()) {
                return;
            }
            let tries = self.owed_failures.get();
            self.owed_failures.set(tries.saturating_add(1));
            // Half the wait fixed, half drawn: objects that failed together (a storage
            // outage) do not try again together.
            let wait = (OWED_RETRY_MS << tries.min(6)).min(OWED_RETRY_MAX_MS);
            let drawn = (js_sys::Math::random() * (wait / 2) as f64) as Millis;
            self.owed_retry_at.set(Some(now() + wait / 2 + drawn));
        }
    }

    /// A close handled while unloaded: the socket leaves the cache, and a visitor's leaving
    /// is owed to the site; an alarm soon reads storage again to report it.
    async fn gone_unloaded(&self, ws: &WebSocket) {
        let visitor = Attachment::of(ws).ok().flatten().is_some_and(|a| a.is_visitor() && a.ready);
        Attachment::forget(ws);
        if visitor {
            self.summary_owed.set(true);
        }
        if visitor && let Err(e) = self.read_again_later().await {
            console_error!("alarm for an unloaded conversation: {e}");
        }
    }

    /// Sets the alarm for an unloaded conversation to read its storage again, later each time
    /// reads keep failing. Ours rather than workerd's retry of a failed alarm, which gives up
    /// after a few: an owed report or a clock that fired must not wait for a visitor to write.
    async fn read_again_later(&self) -> Result<()> {
        let tries = self.unloaded_alarms.get();
        self.unloaded_alarms.set(tries.saturating_add(1));
        let wait = if tries >= UNLOADED_ALARMS {
            let id = self.state.id().to_string();
            console_error!("{id}: storage unreadable for an hour; trying every 15 minutes");
            UNLOADED_SLOW_MS
        } else {
            (UNLOADED_RETRY_MS << tries.min(6)).min(UNLOADED_RETRY_MAX_MS)
        };
        let at = now() + wait;
        self.state.storage().set_alarm(crate::alarm::at(at)).await?;
        self.inner.borrow_mut().alarm_at = Some(Some(at));
        Ok(())
    }

    /// Whether teammate `agent_id` has a socket here that said hello, is open, and was heard
    /// from lately: a console pings every `PRESENT_EVERY_MS` (answered by workerd, waking
    /// nobody), so a socket silent for as long as a console counts as present is one whose
    /// machine slept or lost its network, though it may look open for minutes more.
    fn has_open(&self, agent_id: &str) -> bool {
        let since = self.heard_since();
        self.state.get_websockets_with_tag(&format!("m:{agent_id}")).iter().any(|ws| {
            let Some(att) = Attachment::of(ws).ok().flatten() else { return false };
            sockets::open_besides(ws, None)
                && att.ready
                && !att.closed
                && self.heard(ws, &att, since)
        })
    }

    /// The time a socket that still counts as there was last heard from after: consoles, and
    /// widgets that say so at hello (`Hello::beats`), ping every `PRESENT_EVERY_MS` whatever
    /// else passes.
    pub(super) fn heard_since(&self) -> Millis {
        now() - crate::site::presence::present_for(&self.env)
    }

    /// Whether `ws` opened or answered a ping (which workerd does without waking anyone) at
    /// `since` or after.
    pub(super) fn heard(&self, ws: &WebSocket, att: &Attachment, since: Millis) -> bool {
        att.opened_at.max(sockets::last_ping(&self.state, ws).unwrap_or(0)) >= since
    }

    fn ready_sockets(&self) -> impl Iterator<Item = (WebSocket, Rc<Attachment>)> {
        self.state.get_websockets().into_iter().filter_map(|ws| {
            let att = Attachment::of(&ws).ok().flatten().filter(|a| a.ready)?;
            Some((ws, att))
        })
    }

    fn broadcast(&self, frame: &ServerFrame) {
        let all: Vec<WebSocket> = self.ready_sockets().map(|(ws, _)| ws).collect();
        sockets::send_all(&all, frame);
    }

    /// A stored item: the team's frame (already encoded) to the team, and to the visitor too
    /// when they see it `alike`; otherwise the visitor's sockets get `theirs`, the item with
    /// what the team alone sees taken out, or nothing (a note). The sockets are read once.
    fn broadcast_item(&self, frame: &js_sys::JsString, alike: bool, theirs: Option<Item>) {
        let (mut visitors, mut team) = (Vec::new(), Vec::new());
        for (ws, att) in self.ready_sockets() {
            if alike || !att.is_visitor() { team.push(ws) } else { visitors.push(ws) }
        }
        sockets::send_text_all(&team, frame);
        if let Some(item) = theirs {
            sockets::send_all(&visitors, &ServerFrame::Item(item));
        }
    }

    fn init(&self, init: InitConversation) -> Result<Response> {
        if let Some(meta) = &self.inner.borrow().meta {
            return if meta.token_hash == init.token_hash {
                Response::ok("exists")
            } else {
                Response::error("conversation exists", 409)
            };
        }
        store::init(self.sql(), &init)?;
        self.reload();
        hooks::keep(self.sql(), &init.hook_events)?;
        self.inner.borrow_mut().hook_events = init.hook_events.clone();
        // As stored: the page address cleaned of what it must not keep.
        let (page_url, language) = self
            .inner
            .borrow()
            .meta
            .as_ref()
            .map(|m| (m.page_url.clone(), m.language.clone()))
            .unwrap_or_default();
        let started = shared::hooks::HookEvent {
            kind: "conversation.started".into(),
            at: now(),
            conversation_id: init.conversation_id.clone(),
            ticket: None,
            actor: shared::hooks::Actor::Visitor,
            data: serde_json::json!({ "page_url": page_url, "language": language }),
            channel: init.channel,
        };
        if init.hook_events.iter().any(|e| e == "conversation.started") {
            self.queue_report(report::Record::Hook(&started), true)?;
        }
        Response::ok("created")
    }

    async fn accept(&self, req: &Request) -> Result<Response> {
        let Some(meta) = self.inner.borrow().meta.clone() else {
            return internal::no_conversation("unknown conversation", 404);
        };
        let who = match internal::agent_from(req) {
            Some(agent) if agent.site_key == meta.site_key => {
                if self.was_revoked(&agent) {
                    return Response::error("session ended", 401);
                }
                Who::Agent(agent)
            }
            // To a teammate of another site this conversation does not exist: answered as
            // one that does not, so that ids cannot be probed across sites.
            Some(_) => return internal::no_conversation("not your site", 403),
            None => Who::Visitor,
        };
        let at = now();
        let kind = if matches!(who, Who::Visitor) { "visitor" } else { "agent" };
        let client = req.headers().get(internal::CLIENT_HEADER)?.unwrap_or_default();
        let all = self.state.get_websockets();
        let ungreeted = |a: &Attachment| !a.ready && !a.closed;
        let waiting = all
            .iter()
            .filter(|ws| Attachment::of(ws).ok().flatten().is_some_and(|a| ungreeted(&a)))
            .count();
        if all.len() >= MAX_SOCKETS || waiting >= MAX_UNGREETED_SOCKETS {
            return Response::error("too many connections; try again in a few seconds", 429);
        }
        if !client.is_empty() {
            self.keep_at_most(MAX_UNGREETED_PER_CLIENT - 1, None, CLOSE_NO_HELLO, |a| {
                ungreeted(a) && a.client == client
            });
        }
        let member_tag = match &who {
            Who::Agent(a) => Some(format!("m:{}", a.agent.id)),
            Who::Visitor => None,
        };
        let tags: Vec<&str> = std::iter::once(kind).chain(member_tag.as_deref()).collect();
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &tags);
        let att = Attachment {
            socket_id: crypto::new_id()?,
            who,
            ready: false,
            opened_at: at,
            client,
            closed: false,
            by_link: false,
            identity: None,
            beats: false,
            item_acks: false,
        };
        att.save(&pair.server)?;
        let due = at + HELLO_DEADLINE_MS;
        let hello_due = self.inner.borrow().hello_due;
        self.inner.borrow_mut().hello_due = Some(hello_due.map_or(due, |d| d.min(due)));
        self.schedule().await?;
        Response::from_websocket(pair.client)
    }

    /// Closes (with `code`) the oldest open sockets that `matches` (other than `besides`)
    /// until at most `max` remain.
    fn keep_at_most(
        &self,
        max: usize,
        besides: Option<&WebSocket>,
        code: u16,
        matches: impl Fn(&Attachment) -> bool,
    ) {
        let mut open: Vec<(Millis, WebSocket)> = self
            .state
            .get_websockets()
            .into_iter()
            .filter(|ws| sockets::open_besides(ws, besides))
            .filter_map(|ws| {
                let att = Attachment::of(&ws).ok().flatten().filter(|a| matches(a))?;
                Some((att.opened_at, ws))
            })
            .collect();
        if open.len() <= max {
            return;
        }
        open.sort_by_key(|(at, _)| *at);
        for (_, ws) in open.iter().take(open.len() - max) {
            socket::close_for_good(ws, code, "too many connections");
        }
    }

    /// A greeted socket makes room among those of the same visitor or teammate.
    fn limit_greeted(&self, ws: &WebSocket, greeted: &Attachment) {
        match &greeted.who {
            Who::Visitor => {
                self.keep_at_most(MAX_VISITOR_SOCKETS - 1, Some(ws), CLOSE_REPLACED, |a| {
                    a.ready && a.is_visitor()
                })
            }
            Who::Agent(me) => {
                self.keep_at_most(MAX_SOCKETS_PER_TEAMMATE - 1, Some(ws), CLOSE_REPLACED, |a| {
                    a.ready && matches!(&a.who, Who::Agent(x) if x.agent.id == me.agent.id)
                })
            }
        }
    }

    fn was_revoked(&self, agent: &internal::AgentIdentity) -> bool {
        let at = now();
        let mut inner = self.inner.borrow_mut();
        inner.revoked.retain(|(when, _)| at - when < REVOKED_MEMORY_MS);
        inner.revoked.iter().any(|(_, r)| crate::site::predates(r, agent))
    }

    /// `POST /revoke`: the site closes a teammate's sockets after an account change; a teammate
    /// removed from the team also gives back what they hold.
    async fn revoke(&self, revoke: Revoke) -> Result<Response> {
        for ws in self.state.get_websockets_with_tag(&format!("m:{}", revoke.member_id)) {
            let Ok(Some(att)) = Attachment::of(&ws) else { continue };
            if let Who::Agent(agent) = &att.who
                && crate::site::covers(&revoke, agent)
            {
                socket::close_for_good(&ws, revoke.code, &revoke.reason);
                self.inner.borrow_mut().buckets.remove(&att.socket_id);
            }
        }
        let requeue = revoke.requeue.then(|| revoke.member_id.clone());
        self.inner.borrow_mut().revoked.push((now(), revoke));
        if let Some(agent_id) = requeue {
            // Sending what they held back to Pending is a change: it waits for storage (the
            // site sends the revocation again; closing and recording again is harmless).
            if !self.loaded() {
                return Response::error("This conversation's storage is unavailable.", 503);
            }
            let holds = self.inner.borrow().machine.assignee().is_some_and(|a| a.id == agent_id);
            if holds {
                let input = Input::AssigneeAway { agent_id, offline_since: 0, after: 0 };
                self.input(None, input, None).await?;
            }
        }
        Response::ok("revoked")
    }

    /// A credential for another device of this conversation's visitor: for a link mailed to
    /// the address the visitor still has (never a signed-in user's conversation: theirs opens
    /// where the site signs them in), or for the user the site verified it as.
    fn grant(&self, ask: internal::Grant) -> Result<Response> {
        let allowed = {
            let inner = self.inner.borrow();
            let Some(meta) = inner.meta.as_ref().filter(|m| m.site_key == ask.site_key) else {
                return Response::error("unknown conversation", 404);
            };
            let profile = &inner.profile;
            match ask.kind {
                grants::Kind::Link => {
                    let parts = ask.link.as_deref().and_then(crate::mail::resume_parts);
                    !profile.verified()
                        && parts.is_some_and(|p| {
                            p.0 == meta.conversation_id
                                && profile.email.as_deref().is_some_and(|email| {
                                    let site = &meta.site_key;
                                    crate::mail::resume_valid(&self.env, site, p, email, now())
                                })
                        })
                }
                grants::Kind::Identity => {
                    profile.user_id.is_some() && profile.user_id == ask.user_id
                }
            }
        };
        if !allowed {
            return Response::error("not granted", 410);
        }
        let token = grants::grant(self.sql(), now(), ask.kind)?;
        Response::from_json(&internal::Granted { token })
    }

    /// Access a mailed link gave ends: the devices it opened the conversation on are closed
    /// (their widgets start a new conversation), and their credentials forgotten.
    fn end_link_access(&self) {
        if let Err(e) = grants::revoke_links(self.sql()) {
            console_error!("ending link access: {e}");
        }
        for (ws, att) in self.ready_sockets() {
            if att.by_link {
                let why = "This conversation no longer opens from that link.";
                refuse(&ws, ErrorCode::Unauthorized, why);
                socket::close_for_good(&ws, 4001, "link access ended");
            }
        }
    }

    /// Sockets that never said hello are closed once their deadline passes; returns the next
    /// deadline of those still waiting.
    fn close_silent_sockets(&self) -> Option<Millis> {
        let at = now();
        let mut next = None::<Millis>;
        for ws in self.state.get_websockets() {
            let Ok(Some(att)) = Attachment::of(&ws) else { continue };
            if att.ready {
                continue;
            }
            if att.closed {
                continue;
            }
            let due = att.opened_at + HELLO_DEADLINE_MS;
            if due <= at {
                socket::close_for_good(&ws, CLOSE_NO_HELLO, "no hello");
            } else {
                next = Some(next.map_or(due, |n| n.min(due)));
            }
        }
        next
    }

    /// `GET /transcript?format=json|text`, for a teammate of this conversation's site.
    /// The teammate the admin API vouches for on `req`, if they belong to this conversation's
    /// site.
    fn site_teammate(&self, req: &Request) -> Option<internal::AgentIdentity> {
        let inner = self.inner.borrow();
        let site = &inner.meta.as_ref()?.site_key;
        internal::agent_from(req).filter(|a| &a.site_key == site)
    }

    fn transcript(&self, req: &Request) -> Result<Response> {
        if self.site_teammate(req).is_none() {
            return Response::error("not your site", 403);
        }
        let inner = self.inner.borrow();
        let Some(meta) = &inner.meta else { return Response::error("unknown conversation", 404) };
        let sql = self.sql();
        let record = Transcript {
            conversation_id: meta.conversation_id.clone(),
            site_key: meta.site_key.clone(),
            created_at: meta.created_at,
            page_url: meta.page_url.clone(),
            user_agent: meta.user_agent.clone(),
            visitor: inner.profile.clone(),
            items: store::items_after(sql, 0)?,
            tickets: tickets::all(sql, meta, &inner.profile)?,
        };
        let as_text = req.url()?.query_pairs().any(|(k, v)| k == "format" && v == "text");
        if as_text {
            let mut res = Response::ok(transcript::text(&record))?;
            res.headers_mut().set("Content-Type", "text/plain; charset=utf-8")?;
            Ok(res)
        } else {
            Response::from_json(&record)
        }
    }

    fn hello(&self, ws: &WebSocket, mut att: Attachment, hello: Hello) -> Result<bool> {
        if hello.version != PROTOCOL_VERSION {
            refuse(
                ws,
                ErrorCode::UnsupportedVersion,
                format!(
                    "This server speaks protocol version {PROTOCOL_VERSION}, not {}. Reload the page.",
                    hello.version
                ),
            );
            sockets::close_back(ws, 4000, "unsupported protocol version");
            return Ok(false);
        }
        let inner = self.inner.borrow();
        let Some(meta) = &inner.meta else {
            return Ok(false);
        };
        let authorised = match (&att.who, &hello.credential) {
            (Who::Visitor, Credential::Visitor { token }) => {
                let hash = crypto::secret_hash(token);
                if crypto::same(&hash, &meta.token_hash) {
                    true
                } else {
                    let kind = grants::kind_of(self.sql(), &hash, now());
                    att.by_link = kind == Some(grants::Kind::Link);
                    kind.is_some()
                }
            }
            (Who::Agent(_), Credential::Agent) => true,
            _ => false,
        };
        if !authorised {
            refuse(
                ws,
                ErrorCode::Unauthorized,
                "This conversation does not accept that credential.",
            );
            sockets::close_back(ws, 4001, "unauthorized");
            return Ok(false);
        }
        att.ready = true;
        att.item_acks = hello.item_acks;
        if att.is_visitor() {
            // Kept with the socket only if it could prove anything: a page may name whatever
            // it likes, and workerd bounds a socket's attachment (16 KiB in the workerd this
            // project runs; a 30 KB "token" made the save, and so the hello, fail).
            att.identity = hello
                .identity
                .clone()
                .filter(|s| shared::identity::may_prove(&s.user_id, &s.token));
            att.beats = hello.beats;
        }
        att.save(ws)?;
        self.limit_greeted(ws, &att);
        let backlog: Vec<Item> = store::items_after(self.sql(), hello.last_seq)?
            .into_iter()
            .filter_map(|i| if att.is_visitor() { i.for_visitor() } else { Some(i) })
            .collect();
        let mut pages = pages(backlog, limits::BACKLOG_FRAME_BYTES).into_iter();
        let visit = (!att.is_visitor()).then(|| Visit {
            page_url: meta.page_url.clone(),
            user_agent: meta.user_agent.clone(),
            replies_mailed: inner.config.as_ref().is_some_and(|(_, c)| {
                c.config.takeover.email_replies
                    && crate::mail::can_link(&self.env, c.origin.as_deref())
            }) && crate::mail::sender(&self.env).is_some(),
            mailed_after_secs: visitor_mail::gathered_secs(&self.env),
            channel: inner.channel.peer.clone(),
            reply_window_ms: self.reply_window(),
        });
        let welcome = Welcome {
            version: PROTOCOL_VERSION,
            conversation_id: meta.conversation_id.clone(),
            you: att.participant(),
            state: inner.machine.view(),
            last_seq: inner.machine.last_seq(),
            backlog: pages.next().unwrap_or_default(),
            visitor: inner.profile.clone(),
            visit,
        };
        sockets::send(ws, &ServerFrame::Welcome(welcome));
        for items in pages {
            sockets::send(ws, &ServerFrame::Backlog { items });
        }
        Ok(true)
    }

    async fn frame(&self, ws: &WebSocket, att: Rc<Attachment>, frame: ClientFrame) -> Result<()> {
        let by = att.actor();
        let input = match frame {
            ClientFrame::Hello(_) => {
                refuse(ws, ErrorCode::InvalidState, "This socket has already said hello.");
                return Ok(());
            }
            // Answered before a frame gets here (`websocket_message`).
            ClientFrame::Ping => return Ok(()),
            ClientFrame::Typing { on, text } => {
                self.relay_typing(&att, on, text);
                return Ok(());
            }
            ClientFrame::Note { client_id, text } => {
                let input = Input::Note { from: by, client_id: client_id.clone(), text };
                return self.input(Some(ws), input, Some(client_id)).await.map(drop);
            }
            ClientFrame::Send { client_id, .. }
                if !att.is_visitor() && self.window_closed_at().is_some() =>
            {
                let why = "WhatsApp's 24-hour window has closed: you can reply when the customer writes again.";
                refuse_frame(ws, ErrorCode::WindowClosed, why, Some(client_id));
                return Ok(());
            }
            ClientFrame::Send { client_id, text, original } => {
                let input =
                    Input::Message { from: by, client_id: client_id.clone(), text, original };
                return self.input(Some(ws), input, Some(client_id)).await.map(drop);
            }
            ClientFrame::RequestHuman if att.is_visitor() => {
                self.refresh_rules(clocks::STAFFING_TTL_MS).await;
                Input::RequestHuman
            }
            ClientFrame::LeaveMessage { client_id, name, email, text } => {
                return self.leave_message(ws, &att, client_id, (name, email), text).await;
            }
            ClientFrame::RequestHuman => {
                refuse(ws, ErrorCode::Forbidden, "Only the visitor asks for a person.");
                return Ok(());
            }
            ClientFrame::Identify { name, email, user_id, token } => {
                let who = profile::Identity { name, email, user_id, token };
                self.identify(ws, &att, who).await;
                return Ok(());
            }
            ClientFrame::Claim => Input::Claim { by },
            ClientFrame::HandBack { ask_rating } => Input::HandBack { by, ask_rating },
            ClientFrame::Rate { ticket, score, comment } if att.is_visitor() => {
                Input::Rate { ticket, score, comment }
            }
            ClientFrame::Rate { .. } => {
                refuse(ws, ErrorCode::Forbidden, "Only the visitor rates the chat.");
                return Ok(());
            }
            ClientFrame::End { spam } => Input::End { by, spam },
            ClientFrame::Reopen => Input::Reopen { by },
            ClientFrame::Reassign { .. } if att.is_visitor() => {
                refuse(ws, ErrorCode::Forbidden, "Only agents can do that.");
                return Ok(());
            }
            ClientFrame::Reassign { agent_id } => match self.teammate(&agent_id).await? {
                // The site was asked, an await: an account change may have closed this socket
                // meanwhile, and then it acts no more.
                Some(_) if !sockets::open_besides(ws, None) => return Ok(()),
                Some(to) => Input::Reassign { by, to },
                None => {
                    refuse(
                        ws,
                        ErrorCode::UnknownAgent,
                        "There is no teammate with that id who can respond.",
                    );
                    return Ok(());
                }
            },
        };
        self.input(Some(ws), input, None).await.map(drop)
    }

    /// Runs one input through the machine and carries out what it decided; `false` when the
    /// machine refused it (the sender, if any, is told why).
    async fn input(
        &self,
        sender: Option<&WebSocket>,
        input: Input,
        client_id: Option<String>,
    ) -> Result<bool> {
        // Every change goes through here, a spawned one too (the AI's answer): none is made to
        // a memory that is not the conversation's.
        if !self.loaded() {
            if let Some(ws) = sender {
                let why = "Storing that failed; please try again.";
                refuse_frame(ws, ErrorCode::Internal, why, client_id);
            }
            return Err(unavailable());
        }
        let at = now();
        let outcome = self.inner.borrow_mut().machine.handle(at, input);
        match outcome {
            Err(r) => {
                if let Some(ws) = sender {
                    let frame = ErrorFrame {
                        agent: r.agent,
                        ..ErrorFrame::new(r.code, r.message, client_id)
                    };
                    sockets::send(ws, &ServerFrame::Error(frame));
                }
                Ok(false)
            }
            Ok(effects) => {
                let follow = self.carry_out(sender, effects, client_id)?;
                self.follow_up(follow).await?;
                Ok(true)
            }
        }
    }

    /// The synchronous half: storage writes and frames, in the machine's order. A failed write
    /// rebuilds memory from storage so the two never disagree.
    fn carry_out(
        &self,
        sender: Option<&WebSocket>,
        effects: Vec<Effect>,
        client_id: Option<String>,
    ) -> Result<FollowUp> {
        // A change decided after an await (a channel's line) on memory that is no longer this
        // conversation's.
        if self.unloaded.get() {
            return Err(unavailable());
        }
        let sql = self.sql();
        let mut follow = FollowUp::default();
        // The sender's message whose item it is sent in this step: to a client that takes
        // that item as its ack (`Hello::item_acks`), the ack itself is not sent.
        let mut own_item: Option<String> = None;
        let (conversation_id, wanted) = {
            let inner = self.inner.borrow();
            let id = inner.meta.as_ref().map(|m| m.conversation_id.clone()).unwrap_or_default();
            (id, inner.hook_events.clone())
        };
        for effect in effects {
            // A stored item's frame as the team sees it, encoded with the stored body.
            let mut framed: Option<js_sys::JsString> = None;
            let written = match &effect {
                // What a channel's visitor should see is owed in the same step.
                Effect::Append(item) => store::append(sql, item)
                    .map(|frame| framed = Some(frame))
                    .and_then(|_| self.channel_item(item)),
                Effect::OpenTicket { number, agent, at, offline, waited } => {
                    let language = self.inner.borrow().profile.language.clone();
                    let opening = tickets::Opening {
                        number: *number,
                        agent: agent.as_ref(),
                        at: *at,
                        language: language.as_deref(),
                        offline: *offline,
                        waited: *waited,
                    };
                    tickets::open(sql, &opening)
                }
                Effect::AssignTicket { number, agent } => tickets::assign(sql, *number, agent),
                Effect::UnassignTicket { number } => tickets::unassign(sql, *number),
                Effect::ResolveTicket { number, at } => tickets::resolve(sql, *number, *at),
                Effect::RateTicket { number, score, comment } => {
                    tickets::rate(sql, *number, *score, comment)
                }
                _ => Ok(()),
            };
            if let Err(e) = written {
                self.reload();
                if let Some(ws) = sender {
                    let why = "Storing that failed; please try again.";
                    refuse_frame(ws, ErrorCode::Internal, why, client_id);
                }
                return Err(e);
            }
            match effect {
                Effect::Append(item) => {
                    let messages = wanted.iter().any(|e| e == "message.created");
                    if let Some(e) = shared::hooks::from_item(&conversation_id, &item, messages) {
                        follow.hooks.push(e);
                    }
                    self.inner.borrow_mut().observe(&item);
                    if let ItemBody::Message(m) | ItemBody::Note(m) = &item.body
                        && sender.is_some()
                    {
                        own_item = m.client_id.clone();
                    }
                    // Done after the item is on its way: no reader of this item waits for the
                    // visitor's language, or for whether a reply is to be mailed.
                    let visitor_words = match &item.body {
                        ItemBody::Message(m) if m.author == Author::Visitor => Some(m.text.clone()),
                        _ => None,
                    };
                    if let ItemBody::Note(m) = &item.body
                        && let Author::Agent(by) = &m.author
                    {
                        follow.note = Some((by.clone(), m.text.clone()));
                    }
                    let reply = matches!(
                        &item.body,
                        ItemBody::Message(m) if matches!(m.author, Author::Agent(_))
                    );
                    let seq = item.seq;
                    // The team sees the item whole, and so does the visitor unless there is
                    // something to take out first (a note is not theirs at all).
                    let alike = item.body.seen_alike();
                    let theirs = if !alike && let Some(Cow::Owned(body)) = item.body.for_visitor() {
                        Some(Item { body, ..item })
                    } else {
                        None
                    };
                    if let Some(frame) = &framed {
                        self.broadcast_item(frame, alike, theirs);
                    }
                    if let Some(words) = visitor_words {
                        self.learn_language(&words);
                    }
                    if reply {
                        self.reply_stored(seq);
                    }
                    follow.report = true;
                }
                Effect::Ack { client_id, seq } => {
                    if self.trace {
                        console_log!(
                            "trace {} ack {client_id} seq {seq} at {}",
                            self.short_id(),
                            now()
                        );
                    }
                    if let Some(ws) = sender
                        && !(own_item.as_ref() == Some(&client_id) && takes_item_as_ack(ws))
                    {
                        sockets::send(ws, &ServerFrame::Ack { client_id, seq });
                    }
                }
                Effect::StateChanged(view) => {
                    self.broadcast(&ServerFrame::State(view));
                    follow.report = true;
                    follow.state_changed = true;
                }
                Effect::AskBot { turn } => follow.ask_bot = Some(turn),
                Effect::OpenTicket { number, agent, at, .. } => {
                    follow.opened.push(number);
                    follow.tickets.push(number);
                    let actor = agent.map_or(shared::hooks::Actor::Visitor, |a| {
                        shared::hooks::Actor::Agent { id: a.id, name: a.name }
                    });
                    follow.hooks.push(ticket_event(
                        "ticket.created",
                        &conversation_id,
                        number,
                        at,
                        actor,
                    ));
                }
                Effect::ResolveTicket { number, at } => {
                    follow.tickets.push(number);
                    let actor = shared::hooks::Actor::System;
                    follow.hooks.push(ticket_event(
                        "ticket.resolved",
                        &conversation_id,
                        number,
                        at,
                        actor,
                    ));
                }
                Effect::AssignTicket { number, .. }
                | Effect::UnassignTicket { number }
                | Effect::RateTicket { number, .. } => follow.tickets.push(number),
            }
        }
        // Only what some endpoint of the site takes goes into the outbox.
        follow.hooks.retain(|e| wanted.contains(&e.kind));
        let channel = self.inner.borrow().channel.peer.as_ref().map(|p| p.kind);
        for e in &mut follow.hooks {
            e.channel = channel;
        }
        Ok(follow)
    }

    /// What follows the synchronous part: reports queued with it, the alarm brought in line,
    /// and the slow work (the AI, a ticket's summary) started but not waited for, so the
    /// socket that sent this frame gets its next one at once.
    async fn follow_up(&self, follow: FollowUp) -> Result<()> {
        self.queue_reports(&follow)?;
        self.start_delivery();
        self.schedule().await?;
        for number in follow.opened {
            self.spawn(move |core| async move { core.summarise_ticket(number).await });
        }
        if let Some(turn) = follow.ask_bot {
            self.spawn(move |core| async move {
                if let Err(e) = core.ask_bot(turn).await {
                    console_error!("asking the AI failed: {e}");
                }
            });
        }
        Ok(())
    }

    /// Runs `work` after the current event, holding the object for it.
    fn spawn<F>(&self, work: impl FnOnce(Rc<Core>) -> F)
    where
        F: std::future::Future<Output = ()> + 'static,
    {
        if let Some(me) = self.me.upgrade() {
            self.state.wait_until(work(me));
        }
    }

    /// Typing goes to everyone else; a visitor's draft (the "sneak peek") to agents only,
    /// cleaned and shortened, and only while typing.
    fn relay_typing(&self, from: &Attachment, on: bool, text: Option<String>) {
        let (author, peek) = match &from.who {
            Who::Visitor => {
                let peek = text.filter(|_| on).map(|t| {
                    let clean = shared::clean::message(&t);
                    clean.chars().take(shared::protocol::limits::MAX_PEEK_CHARS).collect::<String>()
                });
                (Author::Visitor, peek.filter(|p| !shared::clean::is_blank(p)))
            }
            Who::Agent(a) => {
                // Only the agent holding the conversation types to the visitor.
                if self.inner.borrow().machine.assignee().map(|h| &h.id) != Some(&a.agent.id) {
                    return;
                }
                (Author::Agent(a.agent.clone()), None)
            }
        };
        let visitor = from.is_visitor();
        let others: Vec<WebSocket> = self
            .ready_sockets()
            .filter(|(_, att)| att.socket_id != from.socket_id && !(visitor && att.is_visitor()))
            .map(|(ws, _)| ws)
            .collect();
        sockets::send_all(&others, &ServerFrame::Typing { author, on, text: peek });
    }

    async fn teammate(&self, agent_id: &str) -> Result<Option<AgentRef>> {
        let Some(site_key) = self.inner.borrow().meta.as_ref().map(|m| m.site_key.clone()) else {
            return Ok(None);
        };
        let stub = internal::site(&self.env, &site_key)?;
        let path = format!("/member?id={}", urlencode(agent_id));
        internal::ask::<(), AgentRef>(&stub, Method::Get, &path, None).await
    }

    async fn socket_gone(&self, ws: &WebSocket) -> Result<()> {
        if !self.loaded() {
            self.gone_unloaded(ws).await;
            return Ok(());
        }
        let Ok(Some(att)) = Attachment::of(ws) else { return Ok(()) };
        Attachment::forget(ws);
        self.inner.borrow_mut().buckets.remove(&att.socket_id);
        if att.is_visitor() && att.ready {
            self.presence_changed().await?;
        }
        Ok(())
    }

    /// The visitor came or went: the index hears at the site's pace (within a second on a
    /// small site). Not urgent: a deploy reconnects every widget at once, and that wave must
    /// not reach the site as one report each.
    async fn presence_changed(&self) -> Result<()> {
        self.owe_summary();
        self.check_presence_later();
        self.schedule().await
    }

    /// Sets the presence clock while a visitor's socket is open (kept if set), heard from
    /// lately or not, clears it otherwise.
    fn check_presence_later(&self) {
        let here = self.visitor_connected(None);
        let mut inner = self.inner.borrow_mut();
        inner.presence_due = if here {
            Some(inner.presence_due.unwrap_or(now() + self.presence_check_ms))
        } else {
            None
        };
    }

    /// Sets the presence clock from the sockets here (those an earlier instance accepted: a
    /// visitor's hibernated page). The site may also list a visitor who is not here: their
    /// close never came (a restart drops sockets without one). They are looked for once the
    /// hello deadline has passed, time enough for a page that is only reconnecting (its first
    /// try comes within a second) to say hello: reported gone at once, such a page would show
    /// offline until its own report, a pace later. Whether they are looked for; the look sends
    /// the summary if they are still not here ([`Core::check_presence`]). A look under way is
    /// kept in storage, so the instance after an eviction ends it rather than beginning it again.
    fn look_for_visitor(&self) -> bool {
        self.check_presence_later();
        let look = {
            let inner = self.inner.borrow();
            let unsure = inner.meta.is_some() && inner.reported_online != Some(false);
            unsure && inner.presence_due.is_none()
        };
        if look {
            let at = now();
            // Storage that fails here begins the look anew, as before it was kept.
            let since = report::look_began(self.sql(), at).unwrap_or(at);
            let mut inner = self.inner.borrow_mut();
            inner.presence_due = Some(since + HELLO_DEADLINE_MS);
            inner.looking = true;
        }
        look
    }

    /// The presence clock fired: a visitor's socket not heard from is closed, and the site
    /// hears of a visitor no longer here whose close never came, or no longer heard from, or
    /// heard from again (a ping wakes nobody, so nothing else tells it).
    /// `speaking`: the socket whose frame this event is; its page is there, whatever its
    /// pings say.
    fn check_presence(&self, speaking: Option<&WebSocket>) {
        if self.inner.borrow().presence_due.is_none_or(|at| at > now()) {
            return;
        }
        self.inner.borrow_mut().presence_due = None;
        // What the look was for is decided here; a failed delete leaves a look that a later
        // instance forgets after a minute.
        if std::mem::take(&mut self.inner.borrow_mut().looking)
            && let Err(e) = report::look_ended(self.sql())
        {
            console_warn!("ending the look for the visitor: {e}");
        }
        let since = self.heard_since();
        for (ws, att) in self.visitor_sockets(speaking) {
            if att.beats && !self.heard(&ws, &att, since) {
                socket::close_for_good(&ws, CLOSE_NOT_HEARD, "not heard from");
            }
        }
        self.check_presence_later();
        let spoke = speaking
            .and_then(|ws| Attachment::of(ws).ok().flatten())
            .is_some_and(|att| att.ready && att.is_visitor());
        let online = spoke || self.visitor_online(None);
        if self.trace {
            let sockets = self.state.get_websockets().len();
            let reported = self.inner.borrow().reported_online;
            console_log!(
                "trace {} presence: {sockets} sockets, visitor online {online}, site told {reported:?}",
                self.short_id()
            );
        }
        if self.inner.borrow().reported_online != Some(online) {
            self.owe_summary();
        }
    }

    fn check_rate(&self, att: &Attachment) -> bool {
        if self.unlimited {
            return true;
        }
        let at = now();
        let mut inner = self.inner.borrow_mut();
        // Looked up before it is made: the key's copy is made once per socket, not per frame.
        if let Some(bucket) = inner.buckets.get_mut(&att.socket_id) {
            return bucket.take(at);
        }
        inner.buckets.entry(att.socket_id.clone()).or_insert_with(|| Bucket::new(at)).take(at)
    }
}

/// Whether `ws`'s client takes its own message's item as the ack (`Hello::item_acks`).
fn takes_item_as_ack(ws: &WebSocket) -> bool {
    Attachment::of(ws).ok().flatten().is_some_and(|a| a.item_acks && a.ready)
}

/// When the first socket that has not said hello must be closed, if any.
fn hello_due(state: &State) -> Option<Millis> {
    state
        .get_websockets()
        .iter()
        .filter_map(|ws| Attachment::of(ws).ok().flatten())
        .filter(|a| !a.ready && !a.closed)
        .map(|a| a.opened_at + HELLO_DEADLINE_MS)
        .min()
}

/// `items` in runs of at most `budget` bytes of JSON each (at least one item a run), in order:
/// no frame of a long history is larger than that.
fn pages(items: Vec<Item>, budget: usize) -> Vec<Vec<Item>> {
    let mut pages = vec![Vec::new()];
    let mut used = 0;
    for item in items {
        let size = serde_json::to_string(&item).map_or(budget, |j| j.len() + 1);
        let page = pages.last_mut().expect("one page at least");
        if !page.is_empty() && used + size > budget {
            pages.push(Vec::new());
            used = 0;
        }
        used += size;
        pages.last_mut().expect("one page at least").push(item);
    }
    pages
}

/// The first eight characters of an id: enough to follow one in a log.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

impl Core {
    fn short_id(&self) -> String {
        let inner = self.inner.borrow();
        short(inner.meta.as_ref().map_or("-", |m| m.conversation_id.as_str())).to_owned()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl DurableObject for Conversation {
    fn new(state: State, env: Env) -> Self {
        let (mut inner, unloaded) = match Core::load(&state.storage().sql()) {
            Ok(inner) => (inner, false),
            Err(e) => {
                console_error!("conversation load: {e}");
                (Inner::default(), true)
            }
        };
        let unlimited = crate::api::bench::enabled(&env);
        let trace = env.var("TRACE").is_ok_and(|v| v.to_string() == "1");
        if trace {
            let id = inner
                .meta
                .as_ref()
                .map_or("-".to_owned(), |m| short(&m.conversation_id).to_owned());
            console_log!("trace {id} start at {}", now());
        }
        // Sockets accepted by an earlier instance may still owe their hello.
        inner.hello_due = hello_due(&state);
        sockets::answer_pings(&state);
        let sql = state.storage().sql();
        let presence_check_ms = presence_check_ms(&env);
        let core = Rc::new_cyclic(|me| Core {
            me: me.clone(),
            sql,
            state,
            env,
            inner: RefCell::new(inner),
            unlimited,
            trace,
            unloaded: std::cell::Cell::new(unloaded),
            summary_owed: std::cell::Cell::new(false),
            unloaded_alarms: std::cell::Cell::new(0),
            first_alarm: std::cell::Cell::new(true),
            failing_reads: std::cell::Cell::new(0),
            failing_outbox: std::cell::Cell::new(0),
            failing_outbox_writes: std::cell::Cell::new(0),
            owed_retry_at: std::cell::Cell::new(None),
            presence_checked: std::cell::Cell::new(false),
            owed_failures: std::cell::Cell::new(0),
            presence_check_ms,
            schedule_owed: std::cell::Cell::new(false),
        });
        // The first event sets the alarm for the look ([`Core::loaded`]), whatever that event
        // does with the alarm.
        if !unloaded && core.look_for_visitor() {
            core.schedule_owed.set(true);
        }
        Conversation { core }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if self.unlimited && req.path() == FAIL_READS {
            let url = req.url()?;
            let count = |name: &str| {
                url.query_pairs().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok())
            };
            if let Some(outbox) = count("outbox") {
                self.failing_outbox.set(outbox);
                return Response::ok("outbox reads fail");
            }
            if let Some(writes) = count("outbox_writes") {
                self.failing_outbox_writes.set(writes);
                return Response::ok("outbox writes fail");
            }
            let reads = count("reads").unwrap_or(0);
            // As after a failed start: memory holds an empty conversation.
            *self.inner.borrow_mut() =
                Inner { hello_due: hello_due(&self.state), ..Inner::default() };
            self.unloaded.set(true);
            self.presence_checked.set(false);
            self.failing_reads.set(reads);
            return Response::ok("unloaded");
        }
        // A revocation closes sockets whether or not storage can be read: it needs none, and
        // a revoked session must not act meanwhile.
        if req.method() == Method::Post && req.path() == "/revoke" {
            return self.revoke(internal::body(&mut req).await?).await;
        }
        let wake = if req.path() == "/ws" { Wake::NewSocket } else { Wake::Other };
        if !self.loaded_by(wake) {
            return Response::error("This conversation's storage is unavailable; try again.", 503);
        }
        self.send_reports();
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/init") => self.init(internal::body(&mut req).await?),
            (Method::Get, "/ws") => self.accept(&req).await,
            (Method::Get, "/transcript") => self.transcript(&req),
            (Method::Post, "/assist") => self.assist(req).await,
            (Method::Get, "/brief") => self.brief(&req),
            (Method::Post, "/hook-events") => {
                let events: Vec<String> = internal::body(&mut req).await?;
                hooks::keep(self.sql(), &events)?;
                let mut inner = self.inner.borrow_mut();
                inner.hook_events = events;
                // A settings fetch under way must not put back the old list.
                inner.config = None;
                inner.config_generation += 1;
                Response::ok("kept")
            }
            (Method::Post, "/config") => {
                let config: shared::api::WidgetConfig = internal::body(&mut req).await?;
                self.broadcast(&ServerFrame::Config(config));
                // Rules may have changed too: fetch them afresh when next needed.
                let mut inner = self.inner.borrow_mut();
                inner.config = None;
                inner.config_generation += 1;
                Response::ok("pushed")
            }
            (Method::Post, "/away") => {
                let away: internal::AssigneeAway = internal::body(&mut req).await?;
                // An assignee with this conversation open is not away, whatever the site
                // believed when it sent this (a removal, `after` 0, closed their sockets): the
                // site asks again later, and withdraws the notice once they are back online.
                if away.after > 0 && self.has_open(&away.agent_id) {
                    return Response::error("The assignee has this conversation open.", 425);
                }
                let input = Input::AssigneeAway {
                    agent_id: away.agent_id,
                    offline_since: away.offline_since,
                    after: away.after,
                };
                let moved = self.input(None, input, None).await?;
                Response::ok(if moved { "requeued" } else { "unchanged" })
            }
            (Method::Post, "/channel/in") => self.channel_in(req).await,
            (Method::Post, "/bot-reply") => {
                self.webhook_reply(internal::body(&mut req).await?).await
            }
            (Method::Post, "/grant") => self.grant(internal::body(&mut req).await?),
            (Method::Post, "/mail/stop") => {
                #[derive(serde::Deserialize)]
                struct Stop {
                    token: String,
                }
                let check = req.url()?.query() == Some("check");
                let stop: Stop = internal::body(&mut req).await?;
                let valid = if check {
                    self.visitor_stop_valid(&stop.token)
                } else {
                    self.stop_visitor_mail(&stop.token)
                };
                if valid { Response::ok("stopped") } else { Response::error("bad link", 404) }
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        // Closed, not answered from an empty memory: the client comes back with its
        // unacknowledged messages once storage can be read.
        if !self.loaded_by(Wake::Frame(&ws)) {
            sockets::close_back(&ws, 1011, "storage unavailable, try again");
            return Ok(());
        }
        // An object started with reports still to send sends them now.
        self.send_reports();
        let Some(att) = Attachment::of(&ws)? else {
            sockets::close_back(&ws, 1011, "unknown socket");
            return Ok(());
        };
        // A socket we closed (an account change, a quota) acts no more, even while its client
        // keeps it half open.
        if att.closed || !sockets::open_besides(&ws, None) {
            return Ok(());
        }
        if self.trace {
            let len = match &message {
                WebSocketIncomingMessage::String(t) => t.len(),
                WebSocketIncomingMessage::Binary(b) => b.len(),
            };
            console_log!(
                "trace {} in {} {len} B at {}",
                self.short_id(),
                short(&att.socket_id),
                now()
            );
        }
        let WebSocketIncomingMessage::String(text) = message else {
            refuse(&ws, ErrorCode::MalformedFrame, "Frames are JSON text.");
            return Ok(());
        };
        if text.len() > limits::MAX_FRAME_BYTES {
            refuse_frame(
                &ws,
                ErrorCode::FrameTooLarge,
                format!("Frames are at most {} bytes.", limits::MAX_FRAME_BYTES),
                socket::client_id_in(&text),
            );
            return Ok(());
        }
        if !self.check_rate(&att) {
            let id = socket::client_id_in(&text);
            refuse_frame(&ws, ErrorCode::RateLimited, "Too many frames; slow down a little.", id);
            return Ok(());
        }
        let frame: ClientFrame = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                let why = format!("That frame is not valid: {e}.");
                refuse_frame(&ws, ErrorCode::MalformedFrame, why, socket::client_id_in(&text));
                return Ok(());
            }
        };
        match (att.ready, frame) {
            (false, ClientFrame::Hello(hello)) => {
                let visitor = att.is_visitor();
                if visitor && !self.opens_for(&hello).await {
                    let why = "This conversation is another signed-in user's: a new one starts.";
                    refuse(&ws, ErrorCode::Unauthorized, why);
                    sockets::close_back(&ws, 4001, "another user's conversation");
                    return Ok(());
                }
                if !visitor {
                    // The welcome tells a teammate how a reply reaches a visitor who left:
                    // the site's choice as it is now.
                    self.refresh_rules(clocks::CONFIG_TTL_MS).await;
                }
                // Either branch awaited: a socket closed for good meanwhile (an account
                // change, a quota, another device of a verified user's) is not greeted, and
                // its attachment is not saved over the closed one.
                if !sockets::open_besides(&ws, None) {
                    return Ok(());
                }
                // As it is now, not as it was before the await.
                let att = Attachment::of(&ws)?.unwrap_or(att);
                let greeted = match self.hello(&ws, Attachment::clone(&att), hello) {
                    Ok(greeted) => greeted,
                    // Never a socket left waiting for a welcome that will not come: its
                    // client comes back (with backoff) and says hello again.
                    Err(e) => {
                        console_error!("hello on {}: {e}", self.short_id());
                        socket::close_for_good(&ws, 1011, "hello failed, try again");
                        return Ok(());
                    }
                };
                if greeted && visitor {
                    self.visitor_back();
                }
                // The hello deadline moves to the next socket still owing one, if any: an
                // alarm for nobody would wake the object (and ask its site for settings).
                let due = hello_due(&self.state);
                self.inner.borrow_mut().hello_due = due;
                if greeted && visitor {
                    self.presence_changed().await?;
                } else {
                    self.schedule().await?;
                }
                Ok(())
            }
            // workerd answers pings itself; should one reach the object, it answers too.
            (_, ClientFrame::Ping) => {
                sockets::send(&ws, &ServerFrame::Pong);
                Ok(())
            }
            (false, _) => {
                refuse(&ws, ErrorCode::HelloRequired, "Say hello first.");
                Ok(())
            }
            (true, frame) => {
                let done = self.frame(&ws, att, frame).await;
                if self.trace {
                    console_log!("trace {} done at {}", self.short_id(), now());
                }
                done
            }
        }
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        clean: bool,
    ) -> Result<()> {
        let socket =
            Attachment::of(&ws).ok().flatten().map(|a| a.socket_id.clone()).unwrap_or_default();
        console_log!(
            "socket {} of {} closed: {code} {reason:?}{}",
            short(&socket),
            self.short_id(),
            if clean { "" } else { " (not clean)" }
        );
        sockets::close_back(&ws, code, &reason);
        self.socket_gone(&ws).await
    }

    async fn websocket_error(&self, ws: WebSocket, error: worker::Error) -> Result<()> {
        let socket =
            Attachment::of(&ws).ok().flatten().map(|a| a.socket_id.clone()).unwrap_or_default();
        console_warn!("socket {} of {} failed: {error}", short(&socket), self.short_id());
        sockets::close_back(&ws, 1011, "error");
        self.socket_gone(&ws).await
    }

    /// The clocks of the conversation: the unclaimed timeout, and the safety net for an AI
    /// answer lost to eviction or a failed call.
    async fn alarm(&self) -> Result<Response> {
        let first = self.first_alarm.replace(false);
        // Run again by an alarm of ours; should setting it fail too, by workerd's retry of a
        // failed alarm.
        if !self.loaded() {
            self.read_again_later().await.map_err(|_| unavailable())?;
            return Response::ok("storage unavailable: reading again later");
        }
        // The first alarm of an instance may have been set by one evicted while unloaded, which
        // took with it the visitor's close it owed the site: when none of its clocks is due,
        // or no visitor is here, the summary goes again (once per instance at most).
        // A visitor the site may still list is not reported gone before the look
        // [`Core::look_for_visitor`] set: the page may be reconnecting (the alarm fires as
        // the object starts again, when its clock came due while workerd was down).
        if first {
            let here = self.visitor_online(None);
            let looking = !here && self.inner.borrow().presence_due.is_some();
            if !looking && (self.next_clock().is_none_or(|at| at > now()) || !here) {
                self.owe_summary();
            }
        }
        if self.trace {
            console_log!("trace {} alarm at {}", self.short_id(), now());
        }
        // A fired alarm is no longer set.
        self.inner.borrow_mut().alarm_at = Some(None);
        let hello_due = self.close_silent_sockets();
        self.inner.borrow_mut().hello_due = hello_due;
        self.check_presence(None);
        self.send_reports();
        self.refresh_rules(clocks::CONFIG_TTL_MS).await;
        self.input(None, Input::Tick, None).await?;
        self.mail_visitor().await;
        self.start_delivery();
        let pending = self.inner.borrow().machine.bot_turn_pending();
        let retry_due = self.inner.borrow().bot_retry_at.is_none_or(|at| at <= now());
        if let Some(turn) = pending.filter(|_| retry_due) {
            self.spawn(move |core| async move {
                if let Err(e) = core.ask_bot(turn).await {
                    console_error!("asking the AI again failed: {e}");
                }
            });
        }
        self.schedule().await?;
        Response::ok("alarm handled")
    }
}
