//! A conversation whose visitor writes from a messaging channel (Telegram, WhatsApp). What they send
//! comes in through `POST /channel/in` (from the Worker, after the site checked the platform's
//! secret) and goes through the machine like a widget's frames, deduplicated by the platform's
//! message id. What they should see of the conversation goes out through an outbox in
//! storage, written in the same step as the item, sent in order, retried with backoff by the
//! alarm, and recorded for the team when it never arrives.

use serde::Deserialize;
use shared::channel::{self, ChannelKind, ChannelPeer, Inbound, Outgoing, Said, telegram};
use shared::machine::{Actor, Input, Refusal};
use shared::protocol::{ErrorCode, Event, Item, ItemBody, Millis, Phase};
use worker::{Request, Response, Result, SqlStorage, console_error, console_warn};

use super::socket::Bucket;
use super::{Core, now};
use crate::sql::{self, V, int, text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS channel (
  id INTEGER PRIMARY KEY CHECK (id = 1), peer TEXT NOT NULL, leaving INTEGER NOT NULL DEFAULT 0,
  last_in_at INTEGER NOT NULL DEFAULT 0, email TEXT);
CREATE TABLE IF NOT EXISTS channel_out (
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER, method TEXT NOT NULL, body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS channel_seen (client_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
";

/// Platform message ids remembered, so an update sent again (the platforms retry, for days)
/// does nothing twice, whatever it was: a greeting, a button, a photo.
const SEEN_KEPT: i64 = 500;

/// Sends of one message before it is given up: about ten minutes of retries.
const MAX_ATTEMPTS: i64 = 8;
/// Calls made in one delivery run; the rest wait for the next (the alarm comes back at once).
const MAX_PER_RUN: usize = 20;
/// A delivery run still marked as going after this is taken for lost (its object was reset
/// mid-run) and a new one may start; the alarm comes back then to see.
const RUN_LOST_MS: Millis = 10 * 60_000;

fn retry_in(attempts: i64) -> Millis {
    (2_000i64 << attempts.clamp(0, 8)).min(300_000)
}

/// The channel side of the conversation, as stored.
#[derive(Debug, Default)]
pub struct Channel {
    pub peer: Option<ChannelPeer>,
    /// Where they are in leaving a message for the team: the channel's form of the widget's
    /// contact form, asked when nobody can answer now.
    leaving: Leaving,
    /// The email they gave on the way, kept with the message.
    email: Option<String>,
    /// When the visitor last wrote: WhatsApp's window runs from it.
    last_in_at: Millis,
    /// When the oldest message owed is due.
    due_at: Option<Millis>,
    /// Since when a delivery run is going on.
    pub sending: Option<Millis>,
}

impl Channel {
    /// When the alarm must come for what is owed: when it is due, or while a run goes on,
    /// when that run would count as lost.
    pub fn due_at(&self) -> Option<Millis> {
        match self.sending {
            Some(since) => self.due_at.map(|_| since + RUN_LOST_MS),
            None => self.due_at,
        }
    }
}

/// The short exchange that leaves a message for the team: an email address (or "skip"), then
/// the message. Their name is the one their platform profile shows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Leaving {
    #[default]
    No,
    Email,
    Message,
}

impl Leaving {
    fn code(self) -> i64 {
        match self {
            Leaving::No => 0,
            Leaving::Email => 1,
            Leaving::Message => 2,
        }
    }

    fn of(code: i64) -> Leaving {
        match code {
            1 => Leaving::Email,
            2 => Leaving::Message,
            _ => Leaving::No,
        }
    }
}

#[derive(Deserialize)]
struct PeerRow {
    peer: String,
    leaving: i64,
    last_in_at: i64,
    email: Option<String>,
}

#[derive(Deserialize)]
struct OutRow {
    id: i64,
    seq: Option<i64>,
    method: String,
    body: String,
    attempts: i64,
    due_at: i64,
}

pub fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)
}

pub fn load(sql: &SqlStorage) -> Result<Channel> {
    let row: Option<PeerRow> = sql::first(
        sql,
        "SELECT peer, leaving, last_in_at, email FROM channel WHERE id = 1",
        vec![],
    )?;
    let Some(row) = row else { return Ok(Channel::default()) };
    Ok(Channel {
        peer: serde_json::from_str(&row.peer).ok(),
        leaving: Leaving::of(row.leaving),
        email: row.email,
        last_in_at: row.last_in_at,
        due_at: next_due(sql)?,
        sending: None,
    })
}

/// When the oldest line owed is due: lines go in order, so the later ones wait for it.
fn next_due(sql: &SqlStorage) -> Result<Option<Millis>> {
    sql::number(sql, "SELECT due_at AS n FROM channel_out ORDER BY id LIMIT 1", vec![])
}

fn seen(sql: &SqlStorage, client_id: &str) -> bool {
    let query = "SELECT count(*) AS n FROM channel_seen WHERE client_id = ?";
    sql::number(sql, query, vec![text(client_id)]).ok().flatten().unwrap_or(0) > 0
}

fn remember(sql: &SqlStorage, client_id: &str) -> Result<()> {
    sql::run(
        sql,
        "INSERT OR IGNORE INTO channel_seen (client_id, at) VALUES (?, ?)",
        vec![text(client_id), int(now())],
    )?;
    sql::run(
        sql,
        "DELETE FROM channel_seen WHERE client_id NOT IN
           (SELECT client_id FROM channel_seen ORDER BY at DESC LIMIT ?)",
        vec![int(SEEN_KEPT)],
    )
}

fn save(sql: &SqlStorage, c: &Channel) -> Result<()> {
    let Some(peer) = &c.peer else { return Ok(()) };
    sql::run(
        sql,
        "INSERT OR REPLACE INTO channel (id, peer, leaving, last_in_at, email)
         VALUES (1, ?, ?, ?, ?)",
        vec![
            text(serde_json::to_string(peer)?),
            int(c.leaving.code()),
            int(c.last_in_at),
            crate::sql::opt_text(c.email.clone()),
        ],
    )
}

impl Core {
    /// `POST /channel/in`: 200 once what the visitor sent is stored (or was already, or needs
    /// nothing stored); 410 when the conversation was closed for good and the chat needs the
    /// next one.
    pub(super) async fn channel_in(&self, mut req: Request) -> Result<Response> {
        let inbound: Inbound = crate::internal::body(&mut req).await?;
        let known = self.inner.borrow().channel.peer.clone();
        if known
            .as_ref()
            .is_some_and(|p| p.kind != inbound.peer.kind || p.address != inbound.peer.address)
        {
            return Response::error("another chat's conversation", 409);
        }
        // Closed as spam: the chat stays closed, and is told nothing.
        if self.inner.borrow().spam {
            return Response::ok("ignored");
        }
        let client_id = inbound.client_id.clone();
        if seen(self.sql(), &client_id) {
            return Response::ok("stored already");
        }
        // As a widget's socket is held to a pace: past it, the platform sends it again later.
        let paced = {
            let at = now();
            let mut inner = self.inner.borrow_mut();
            inner.buckets.entry("channel".into()).or_insert_with(|| Bucket::new(at)).take(at)
        };
        if !paced {
            return Response::error("too many messages", 429);
        }
        // Name and handle follow the profile as it is now (a platform's report names none).
        {
            let mut inner = self.inner.borrow_mut();
            let mut peer = inbound.peer.clone();
            if let Some(known) = &inner.channel.peer {
                peer.name = peer.name.or_else(|| known.name.clone());
                peer.handle = peer.handle.or_else(|| known.handle.clone());
            }
            inner.channel.peer = Some(peer);
            save(self.sql(), &inner.channel)?;
        }
        // The customer wrote: WhatsApp's window runs again from now (a retry was turned away
        // above, and a report from the platform is not their writing).
        if inbound.said.from_visitor() {
            let mut inner = self.inner.borrow_mut();
            inner.channel.last_in_at = now();
            save(self.sql(), &inner.channel)?;
        }
        // A pressed button's spinner stops at once, whatever is queued.
        if let Some(callback) = inbound.callback.clone() {
            self.spawn(move |core| async move { core.answer_button(&callback).await });
        }
        let refused = match inbound.said {
            Said::Start => {
                let setup = self.site_config().await;
                let texts = self.channel_texts(&setup);
                let greeting =
                    texts.greeting.unwrap_or_else(|| shared::texts::english::GREETING.into());
                self.say(&greeting, self.human_button(&setup))?;
                remember(self.sql(), &client_id)?;
                None
            }
            Said::Text(text) => {
                let in_bot = self.inner.borrow().machine.phase() == Phase::Bot;
                let leaving = self.inner.borrow().channel.leaving;
                match leaving {
                    Leaving::Email if in_bot && self.take_email(&text)? => None,
                    Leaving::Message if in_bot => self.leave_for_team(&client_id, text).await?,
                    leaving => {
                        // The team took the conversation meanwhile: an ordinary message.
                        if leaving != Leaving::No {
                            self.set_leaving(Leaving::No)?;
                        }
                        let input = Input::Message {
                            from: Actor::Visitor,
                            client_id: client_id.clone(),
                            text,
                            original: None,
                        };
                        self.decide(input, &client_id).await?
                    }
                }
            }
            Said::Human => {
                self.refresh_rules(super::clocks::STAFFING_TTL_MS).await;
                self.decide(Input::RequestHuman, &client_id).await?
            }
            Said::Undelivered(error) => {
                let input = Input::ChannelUndelivered { seq: None, error };
                self.decide(input, &client_id).await?
            }
            Said::Unsupported(what) => {
                let before = self.inner.borrow().machine.last_seq();
                let input = Input::ChannelUnsupported { client_id: client_id.clone(), what };
                let refused = self.decide(input, &client_id).await?;
                if refused.is_none() && self.inner.borrow().machine.last_seq() > before {
                    self.say(channel::UNSUPPORTED_REPLY, false)?;
                }
                refused
            }
        };
        if let Some(r) = refused {
            if r.code == ErrorCode::ConversationEnded {
                return Response::error("ended", 410);
            }
            // What the widget would show beside the message, in words.
            self.say(&r.message, false)?;
        }
        remember(self.sql(), &client_id)?;
        self.start_delivery();
        self.schedule().await?;
        Response::ok("stored")
    }

    /// Runs `input` through the machine as the channel's visitor; the refusal, if any.
    async fn decide(&self, input: Input, client_id: &str) -> Result<Option<Refusal>> {
        let outcome = self.inner.borrow_mut().machine.handle(now(), input);
        match outcome {
            Err(r) => Ok(Some(r)),
            Ok(effects) => {
                let follow = self.carry_out(None, effects, Some(client_id.to_owned()))?;
                // Remembered with what it stored, before any await: a retry arriving meanwhile
                // does nothing.
                remember(self.sql(), client_id)?;
                self.follow_up(follow).await?;
                Ok(None)
            }
        }
    }

    /// Stops the spinner of a pressed Telegram button (best effort: it expires by itself).
    async fn answer_button(&self, callback: &str) {
        let setup = self.site_config().await;
        if let Some(keys) = &setup.secrets.telegram {
            let out = telegram::answer_button(callback);
            if let Err(f) = crate::platform::call(ChannelKind::Telegram, keys, &out).await {
                console_warn!("telegram answerCallbackQuery: {}", f.error);
            }
        }
    }

    fn set_leaving(&self, leaving: Leaving) -> Result<()> {
        let mut inner = self.inner.borrow_mut();
        inner.channel.leaving = leaving;
        if leaving == Leaving::No {
            inner.channel.email = None;
        }
        save(self.sql(), &inner.channel)
    }

    /// The first step of leaving a message: an email address the team can reply to, or
    /// "skip" (they will answer in the chat). `false`: the text is neither, and not a try at
    /// an address either: they are writing about something else, and the exchange ends.
    fn take_email(&self, text: &str) -> Result<bool> {
        let text = text.trim();
        let skip = ["skip", "no", "-"].iter().any(|s| text.eq_ignore_ascii_case(s));
        let email = match super::profile::validate(None, Some(text.to_owned())) {
            _ if skip => None,
            Ok((_, Some(email))) => Some(email),
            _ if text.contains('@') && !text.contains(char::is_whitespace) => {
                self.say(channel::NOT_AN_EMAIL, false)?;
                return Ok(true);
            }
            _ => {
                self.set_leaving(Leaving::No)?;
                return Ok(false);
            }
        };
        self.inner.borrow_mut().channel.email = email;
        self.set_leaving(Leaving::Message)?;
        self.say(channel::ASK_MESSAGE, false)?;
        Ok(true)
    }

    /// The message for the team: it opens a pending ticket as the widget's form does, with
    /// the email given on the way and the name of their platform profile.
    async fn leave_for_team(&self, client_id: &str, text: String) -> Result<Option<Refusal>> {
        self.refresh_rules(super::clocks::CONFIG_TTL_MS).await;
        let input = Input::LeaveMessage { client_id: client_id.to_owned(), text: text.clone() };
        let (name, email) = {
            let c = &self.inner.borrow().channel;
            (c.peer.as_ref().and_then(|p| p.name.clone()), c.email.clone())
        };
        self.keep_contact(&input, name, email);
        match self.decide(input, client_id).await? {
            None => {
                self.set_leaving(Leaving::No)?;
                Ok(None)
            }
            // The team took the conversation meanwhile: an ordinary message.
            Some(r) if r.code == ErrorCode::InvalidState => {
                self.set_leaving(Leaving::No)?;
                let input = Input::Message {
                    from: Actor::Visitor,
                    client_id: client_id.to_owned(),
                    text,
                    original: None,
                };
                self.decide(input, client_id).await
            }
            // Too long, empty: they are told why and may send it again.
            refused => Ok(refused),
        }
    }

    /// How long after the visitor's last message the team may write to them: the platform's
    /// window, or `CHANNEL_WINDOW_SECS` where tests shorten it. `None`: no window.
    pub(super) fn reply_window(&self) -> Option<Millis> {
        let kind = self.inner.borrow().channel.peer.as_ref()?.kind;
        let window = kind.reply_window()?;
        Some(crate::secs_var(&self.env, "CHANNEL_WINDOW_SECS").unwrap_or(window))
    }

    /// When the platform's window closed, if it has: nothing reaches the visitor until they
    /// write again.
    pub(super) fn window_closed_at(&self) -> Option<Millis> {
        let closes = self.inner.borrow().channel.last_in_at + self.reply_window()?;
        (closes <= now()).then_some(closes)
    }

    /// A stored item: what the channel's visitor should see of it is queued, in the same
    /// step. Nothing for a widget's conversation.
    pub(super) fn channel_item(&self, item: &Item) -> Result<()> {
        let Some(peer) = self.inner.borrow().channel.peer.clone() else { return Ok(()) };
        match &item.body {
            ItemBody::Event(Event::OutOfHours { .. }) => self.set_leaving(Leaving::Email)?,
            // The conversation moved on: a message half left is no longer asked for.
            ItemBody::Event(
                Event::AgentJoined { .. }
                | Event::Escalated { .. }
                | Event::AiResumed { .. }
                | Event::Unclaimed
                | Event::Ended { .. }
                | Event::Reopened { .. },
            ) if self.inner.borrow().channel.leaving != Leaving::No => {
                self.set_leaving(Leaving::No)?
            }
            _ => {}
        }
        // Outside WhatsApp's window only what someone wrote is kept, to be shown as not
        // delivered; the timeline's lines are simply not sent.
        let message = matches!(&item.body, ItemBody::Message(_));
        if !message && self.window_closed_at().is_some() {
            return Ok(());
        }
        let setup = self.inner.borrow().config.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
        let Some(line) = channel::visitor_line(item, &self.channel_texts(&setup)) else {
            return Ok(());
        };
        let is_bot =
            matches!(&item.body, ItemBody::Message(m) if m.author == shared::protocol::Author::Bot);
        let button = is_bot && self.human_button(&setup);
        self.queue_out(Some(item.seq), peer.kind.send(&peer.address, &line, button))
    }

    fn channel_texts(&self, setup: &crate::internal::BotSetup) -> shared::texts::Texts {
        let language = self.inner.borrow().profile.language.clone().unwrap_or_else(|| "en".into());
        shared::texts::for_language(&setup.texts, &language)
    }

    /// Whether the AI's answers offer "Talk to a human" now: as the widget shows its button.
    fn human_button(&self, setup: &crate::internal::BotSetup) -> bool {
        let inner = self.inner.borrow();
        let takeover = &setup.config.takeover;
        takeover.enabled
            && takeover.show_button
            && inner.machine.phase() == Phase::Bot
            && inner.machine.visitor_messages() >= setup.human_button_after
    }

    /// Tells the channel's visitor `line` without storing it (a greeting, a refusal).
    fn say(&self, line: &str, button: bool) -> Result<()> {
        let Some(peer) = self.inner.borrow().channel.peer.clone() else { return Ok(()) };
        self.queue_out(None, peer.kind.send(&peer.address, line, button))
    }

    fn queue_out(&self, seq: Option<u64>, out: Outgoing) -> Result<()> {
        let at = now();
        sql::run(
            self.sql(),
            "INSERT INTO channel_out (seq, method, body, due_at) VALUES (?, ?, ?, ?)",
            vec![
                seq.map_or(V::Null, |s| int(s as i64)),
                text(out.method),
                text(out.body.to_string()),
                int(at),
            ],
        )?;
        let mut inner = self.inner.borrow_mut();
        inner.channel.due_at = Some(inner.channel.due_at.map_or(at, |d| d.min(at)));
        Ok(())
    }

    /// Starts a delivery run after this event, if one is due and none is going.
    pub(super) fn start_delivery(&self) {
        let at = now();
        let due = {
            let c = &self.inner.borrow().channel;
            let lost = c.sending.is_some_and(|since| since + RUN_LOST_MS <= at);
            (c.sending.is_none() || lost) && c.due_at.is_some_and(|d| d <= at)
        };
        if self.trace {
            let c = &self.inner.borrow().channel;
            let (owed, run) = (c.due_at, c.sending);
            worker::console_log!(
                "trace {} channel due {owed:?} run {run:?} at {at}",
                self.short_id()
            );
        }
        if due {
            self.inner.borrow_mut().channel.sending = Some(at);
            self.spawn(|core| async move { core.deliver_channel().await });
        }
    }

    /// Sends what is owed, oldest first; a failure stops the run so later lines never
    /// overtake it. A message refused for good, or failing past [`MAX_ATTEMPTS`], is dropped
    /// and recorded for the team (`ChannelUndelivered`).
    async fn deliver_channel(&self) {
        let Some(run) = self.inner.borrow().channel.sending else { return };
        // Lines stored while a run sends are sent by the same run, which ends well before it
        // could be taken for lost.
        let mut failed = false;
        for _ in 0..10 {
            if now() - run > RUN_LOST_MS / 2 {
                break;
            }
            match self.deliver_due().await {
                Ok(true) if next_due(self.sql()).ok().flatten().is_some_and(|at| at <= now()) => {
                    continue;
                }
                Ok(_) => break,
                Err(e) => {
                    console_error!("channel delivery: {e}");
                    failed = true;
                    break;
                }
            }
        }
        // A failure of our own (storage) waits a minute rather than spinning the alarm; what
        // is due that cannot be read is looked at again in a minute, not taken for nothing.
        let due = match next_due(self.sql()) {
            Ok(due) => due.map(|d| if failed { d.max(now() + 60_000) } else { d }),
            Err(e) => {
                console_error!("channel lines due: {e}");
                Some(now() + 60_000)
            }
        };
        {
            let mut inner = self.inner.borrow_mut();
            // A run taken for lost and replaced leaves the newer one be.
            if inner.channel.sending == Some(run) {
                inner.channel.sending = None;
            }
            inner.channel.due_at = due;
        }
        if self.trace {
            let due = self.inner.borrow().channel.due_at;
            worker::console_log!(
                "trace {} channel run over, due {due:?} at {}",
                self.short_id(),
                now()
            );
        }
        if let Err(e) = self.schedule().await {
            console_error!("channel delivery, alarm: {e}");
        }
    }

    /// Tells the team that item `seq` never reached the visitor, and why.
    /// Comes before the line leaves the queue: a note that cannot be stored keeps the line
    /// there, for the next run to tell again.
    async fn record_undelivered(&self, seq: i64, error: String) -> Result<()> {
        // Decided on memory, after the platform's await: it must be this conversation's.
        if !self.loaded() {
            return Err(super::unavailable());
        }
        let input = Input::ChannelUndelivered { seq: Some(seq as u64), error };
        let outcome = self.inner.borrow_mut().machine.handle(now(), input);
        if let Ok(effects) = outcome {
            let follow = self.carry_out(None, effects, None)?;
            self.follow_up(follow).await?;
        }
        Ok(())
    }

    /// One run; `false` when a failure stopped it.
    async fn deliver_due(&self) -> Result<bool> {
        let setup = self.site_config().await;
        // Without the site's settings there are no keys to send with: wait, drop nothing.
        if self.inner.borrow().config.is_none() {
            return Err(worker::Error::RustError("the site's settings could not be read".into()));
        }
        let rows: Vec<OutRow> = sql::rows(
            self.sql(),
            "SELECT id, seq, method, body, attempts, due_at FROM channel_out ORDER BY id LIMIT ?",
            vec![int(MAX_PER_RUN as i64)],
        )?;
        for row in rows {
            // In order: the first line not due yet holds the rest back.
            if row.due_at > now() {
                break;
            }
            let body = serde_json::from_str(&row.body);
            // Outside WhatsApp's window nothing may be sent; what was owed is dropped, and what
            // the team wrote is shown as not delivered.
            let closed = self.window_closed_at().is_some();
            let Ok(body) = body.map_err(drop).and_then(|b| if closed { Err(()) } else { Ok(b) })
            else {
                if closed && let Some(seq) = row.seq {
                    let error = "The customer service window had closed (24 hours after their last message).";
                    self.record_undelivered(seq, error.into()).await?;
                }
                sql::run(self.sql(), "DELETE FROM channel_out WHERE id = ?", vec![int(row.id)])?;
                continue;
            };
            let out = Outgoing { method: row.method, body };
            let kind =
                self.inner.borrow().channel.peer.as_ref().map_or(ChannelKind::Telegram, |p| p.kind);
            let keys = match kind {
                ChannelKind::Telegram => &setup.secrets.telegram,
                ChannelKind::WhatsApp => &setup.secrets.whatsapp,
            };
            let result = match keys {
                Some(keys) => crate::platform::call(kind, keys, &out).await,
                None => Err(crate::platform::Failed {
                    error: format!("No {} account is connected to this site.", kind.label()),
                    lasting: true,
                }),
            };
            match result {
                Ok(_) => {
                    sql::run(self.sql(), "DELETE FROM channel_out WHERE id = ?", vec![int(row.id)])?
                }
                Err(f) => {
                    let attempts = row.attempts + 1;
                    console_warn!("channel {} failed ({attempts}): {}", out.method, f.error);
                    if f.lasting || attempts >= MAX_ATTEMPTS {
                        // A button's spinner or an unstored line: nothing the team must see.
                        if let Some(seq) = row.seq {
                            self.record_undelivered(seq, f.error).await?;
                        }
                        sql::run(
                            self.sql(),
                            "DELETE FROM channel_out WHERE id = ?",
                            vec![int(row.id)],
                        )?;
                        continue;
                    }
                    sql::run(
                        self.sql(),
                        "UPDATE channel_out SET attempts = ?, due_at = ?, error = ? WHERE id = ?",
                        vec![
                            int(attempts),
                            int(now() + retry_in(attempts)),
                            text(f.error),
                            int(row.id),
                        ],
                    )?;
                    // Later lines wait behind it, in order.
                    sql::run(
                        self.sql(),
                        "UPDATE channel_out SET due_at = max(due_at, ?) WHERE id > ?",
                        vec![int(now() + retry_in(attempts)), int(row.id)],
                    )?;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}
