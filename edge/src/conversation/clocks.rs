//! The site's rules as this conversation applies them, the visitor's out-of-hours message,
//! and the one alarm that serves the conversation's clocks.

use serde::Deserialize;
use shared::api::BotConfig;
use shared::machine::{Input, Rules};
use shared::protocol::{ErrorCode, Millis};
use worker::{Method, Result, SqlStorage, WebSocket, console_error};

use super::socket::{Attachment, refuse_frame};
use super::{Core, now, profile};
use crate::internal::BotSetup;
use crate::sql::{self, int};
use crate::{alarm, internal};

/// Settings are fetched again after this long: business hours open and close meanwhile.
pub(super) const CONFIG_TTL_MS: Millis = 60_000;
/// Before a request for a person the settings are fetched again after this long: whether a
/// teammate is available changes by the minute.
pub(super) const STAFFING_TTL_MS: Millis = 5_000;

fn rules(config: &BotConfig) -> Rules {
    let secs = config.takeover.unclaimed_timeout_secs;
    let idle = config.takeover.idle_close_secs;
    Rules {
        takeover: config.takeover.enabled,
        open: config.open_now,
        staffed: config.staffed,
        back_at: config.back_at,
        expected_wait_secs: config.expected_wait_secs,
        unclaimed_after: (secs > 0).then(|| Millis::from(secs) * 1000),
        answers_while_waiting: config.takeover.ai_answers_while_waiting,
        idle_close_after: (idle > 0).then(|| Millis::from(idle) * 1000),
    }
}

/// The last rules this conversation heard from its site, kept so that an object started
/// while the site cannot be read applies them, not the defaults.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rules (
  id INTEGER PRIMARY KEY CHECK (id = 1), takeover INTEGER NOT NULL, open INTEGER NOT NULL,
  unclaimed_after INTEGER);
";

/// Columns added after the first release of the table.
const ADDED: &[(&str, &str)] = &[
    ("staffed", "INTEGER NOT NULL DEFAULT 1"),
    ("back_at", "INTEGER"),
    ("expected_wait", "INTEGER"),
    ("answers_waiting", "INTEGER NOT NULL DEFAULT 0"),
    ("idle_close_after", "INTEGER"),
];

pub(super) fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)?;
    sql::add_columns(sql, "rules", ADDED)
}

#[derive(Deserialize)]
struct RulesRow {
    takeover: i64,
    open: i64,
    staffed: i64,
    back_at: Option<i64>,
    expected_wait: Option<i64>,
    unclaimed_after: Option<i64>,
    answers_waiting: i64,
    idle_close_after: Option<i64>,
}

pub(super) fn stored_rules(sql: &SqlStorage) -> Result<Option<Rules>> {
    let query = "SELECT takeover, open, staffed, back_at, expected_wait, unclaimed_after,
        answers_waiting, idle_close_after FROM rules";
    let Some(row) = sql::first::<RulesRow>(sql, query, vec![])? else { return Ok(None) };
    Ok(Some(Rules {
        takeover: row.takeover != 0,
        open: row.open != 0,
        staffed: row.staffed != 0,
        back_at: row.back_at,
        expected_wait_secs: row.expected_wait.and_then(|s| u32::try_from(s).ok()),
        unclaimed_after: row.unclaimed_after,
        answers_while_waiting: row.answers_waiting != 0,
        idle_close_after: row.idle_close_after,
    }))
}

fn store_rules(sql: &SqlStorage, rules: &Rules) -> Result<()> {
    let opt = |v: Option<i64>| v.map_or(sql::V::Null, int);
    sql::run(
        sql,
        "INSERT OR REPLACE INTO rules (id, takeover, open, staffed, back_at, expected_wait,
           unclaimed_after, answers_waiting, idle_close_after) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            int(rules.takeover.into()),
            int(rules.open.into()),
            int(rules.staffed.into()),
            opt(rules.back_at),
            opt(rules.expected_wait_secs.map(i64::from)),
            opt(rules.unclaimed_after),
            int(rules.answers_while_waiting.into()),
            opt(rules.idle_close_after),
        ],
    )
}

impl Core {
    /// The site's settings, fetched unless known from the last minute (a settings change
    /// forgets them); the machine gets their rules. A failed fetch keeps the last settings.
    pub(super) async fn site_config(&self) -> BotSetup {
        self.refresh_rules(CONFIG_TTL_MS).await;
        self.inner.borrow().config.as_ref().map(|(_, c)| c.clone()).unwrap_or_default()
    }

    /// Brings the machine's rules up to date with the site's settings (see [`site_config`])
    /// when older than `max_age`.
    pub(super) async fn refresh_rules(&self, max_age: Millis) {
        let fresh = self.inner.borrow().config.as_ref().is_some_and(|(at, _)| now() - at < max_age);
        if fresh {
            return;
        }
        let Some(site_key) = self.inner.borrow().meta.as_ref().map(|m| m.site_key.clone()) else {
            return;
        };
        // The settings may change while a fetch runs (a push arrives meanwhile): what it
        // brings may then be the old ones, so it is asked again, a few times at most.
        let mut fetched;
        let mut tries = 0;
        loop {
            let generation = self.inner.borrow().config_generation;
            fetched = match internal::site(&self.env, &site_key) {
                Ok(stub) => {
                    internal::ask::<(), BotSetup>(&stub, Method::Get, "/bot-config", None).await
                }
                Err(e) => Err(e),
            };
            tries += 1;
            if self.inner.borrow().config_generation == generation {
                break;
            }
            if tries >= 3 {
                // Still changing: take nothing rather than what may be old.
                return;
            }
        }
        match fetched {
            Ok(Some(setup)) => {
                let rules = rules(&setup.config);
                let changed = self.inner.borrow().machine.rules() != &rules;
                if changed && let Err(e) = store_rules(self.sql(), &rules) {
                    console_error!("keeping the site's rules: {e}");
                }
                let mut inner = self.inner.borrow_mut();
                inner.machine.set_rules(rules);
                if inner.hook_events != setup.hook_events {
                    if let Err(e) = super::hooks::keep(self.sql(), &setup.hook_events) {
                        console_error!("keeping the site's webhook events: {e}");
                    }
                    inner.hook_events = setup.hook_events.clone();
                }
                inner.config = Some((now(), setup));
            }
            Ok(None) | Err(_) => {
                console_error!("the site's settings could not be read; keeping the last ones");
            }
        }
    }

    /// The earliest clock: the unclaimed timeout, asking the AI again, closing a socket that
    /// has not said hello, the reports' backstop or their next try after a failure, a summary
    /// storage would not take, the visitor's mail, the channel's lines.
    pub(super) fn next_clock(&self) -> Option<Millis> {
        let inner = self.inner.borrow();
        let reports = inner.outbox.alarm_at(inner.presence_due.is_some());
        let mail = inner.visitor_mail.due_at().filter(|_| !inner.mail_in_flight);
        let channel = inner.channel.due_at();
        [
            self.owed_retry_at.get(),
            inner.bot_retry_at,
            inner.machine.next_deadline(),
            inner.hello_due,
            inner.presence_due,
            reports,
            mail,
            channel,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Sets the alarm for [`Core::next_clock`]. An alarm already set for that time is left
    /// alone (this runs after every frame).
    pub(super) async fn schedule(&self) -> Result<()> {
        // An unloaded conversation's memory holds none of its clocks: a task still running
        // (a report's send) must not replace or delete the alarm that reads storage again.
        if self.unloaded.get() {
            return Ok(());
        }
        let next = self.next_clock();
        if self.inner.borrow().alarm_at == Some(next) {
            return Ok(());
        }
        let storage = self.state.storage();
        if self.trace {
            worker::console_log!("trace {} alarm set {next:?} at {}", self.short_id(), now());
        }
        // Noted before the await: another event scheduling meanwhile sees it and does not
        // write the same alarm again. Should the write fail, nothing is assumed.
        self.inner.borrow_mut().alarm_at = Some(next);
        let written = match next {
            Some(at) => storage.set_alarm(alarm::at(at)).await,
            None => storage.delete_alarm().await,
        };
        if written.is_err() {
            self.inner.borrow_mut().alarm_at = None;
        }
        written
    }

    /// The out-of-hours form. The name and email are stored only if the machine takes the
    /// message, so a refused form changes nothing.
    pub(super) async fn leave_message(
        &self,
        ws: &WebSocket,
        from: &Attachment,
        client_id: String,
        (name, email): (String, String),
        text: String,
    ) -> Result<()> {
        let refuse = |code, why: &str| refuse_frame(ws, code, why, Some(client_id.clone()));
        if !from.is_visitor() {
            refuse(ErrorCode::Forbidden, "Only the visitor leaves a message.");
            return Ok(());
        }
        let (name, email) = match profile::validate(Some(name), Some(email)) {
            Ok((Some(name), Some(email))) => (name, email),
            Ok(_) => {
                let why = "Leave your name and email so the team can answer.";
                refuse(ErrorCode::InvalidProfile, why);
                return Ok(());
            }
            Err(message) => {
                refuse(ErrorCode::InvalidProfile, &message);
                return Ok(());
            }
        };
        self.refresh_rules(CONFIG_TTL_MS).await;
        let input = Input::LeaveMessage { client_id: client_id.clone(), text };
        self.keep_contact(&input, Some(name), Some(email));
        self.input(Some(ws), input, Some(client_id)).await.map(drop)
    }

    /// Keeps the contact that comes with a message left for the team (what is `None` stays as
    /// it was), and only if the machine will take `input`: a refused form changes nothing. A
    /// verified visitor stays as the site signed them, and a site that takes only signed
    /// identities keeps the contact in the message alone.
    pub(super) fn keep_contact(&self, input: &Input, name: Option<String>, email: Option<String>) {
        let accepted = {
            let mut trial = self.inner.borrow().machine.clone();
            trial.handle(now(), input.clone()).is_ok()
        };
        let keep = {
            let inner = self.inner.borrow();
            let required = inner.config.as_ref().is_some_and(|(_, c)| c.config.identity_required);
            inner.profile.verified() || required
        };
        if accepted && !keep {
            let mut profile = self.inner.borrow().profile.clone();
            profile.name = name.or(profile.name);
            profile.email = email.or(profile.email);
            self.set_profile(profile);
        }
    }
}
