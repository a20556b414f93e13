//! Replies a visitor did not see because they had left, mailed to the email they gave:
//! gathered for a short while (a teammate often writes two or three lines), at most one mail
//! per [`gap`], never while the visitor is on the site, with a link that opens the chat again
//! on any device.

use serde::Deserialize;
use shared::protocol::{Author, ItemBody, Millis};
use worker::{Env, Result, SqlStorage, console_error, console_warn};

use super::{Core, now, store};
use crate::mail::{self, Sender};
use crate::sql::{self, V, int, opt_text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS visitor_mail (
  id INTEGER PRIMARY KEY CHECK (id = 1), from_seq INTEGER, due_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0, last_sent_at INTEGER);
";

/// Columns added after the first version of the table.
const ADDED: &[(&str, &str)] =
    &[("away_mails", "INTEGER NOT NULL DEFAULT 0"), ("stopped_email", "TEXT")];

pub fn migrate(sql: &SqlStorage) -> Result<()> {
    sql::migrate(sql, SCHEMA)?;
    sql::add_columns(sql, "visitor_mail", ADDED)
}

/// Replies quoted in one mail: the newest.
const MAX_REPLIES: usize = 10;
/// A failed send is tried again this many times, waiting twice as long each time.
const MAX_ATTEMPTS: i64 = 5;
/// Mails while the visitor stays away: an address typed by someone else gets little.
const MAX_AWAY_MAILS: i64 = 3;

/// The mail owed to the visitor, as stored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Owed {
    /// The first reply not mailed yet; `None`: nothing owed.
    from_seq: Option<i64>,
    due_at: Option<i64>,
    attempts: i64,
    last_sent_at: Option<i64>,
    /// Mails sent since the visitor was last here.
    #[serde(default)]
    away_mails: i64,
    /// The address whose owner asked for no more of these mails.
    #[serde(default)]
    stopped_email: Option<String>,
}

pub fn load(sql: &SqlStorage) -> Result<Owed> {
    let query = "SELECT from_seq, due_at, attempts, last_sent_at, away_mails, stopped_email
                 FROM visitor_mail WHERE id = 1";
    Ok(sql::first(sql, query, vec![])?.unwrap_or_default())
}

fn save(sql: &SqlStorage, owed: &Owed) -> Result<()> {
    let opt = |v: Option<i64>| v.map_or(V::Null, int);
    sql::run(
        sql,
        "INSERT OR REPLACE INTO visitor_mail (id, from_seq, due_at, attempts, last_sent_at,
           away_mails, stopped_email) VALUES (1, ?, ?, ?, ?, ?, ?)",
        vec![
            opt(owed.from_seq),
            opt(owed.due_at),
            int(owed.attempts),
            opt(owed.last_sent_at),
            int(owed.away_mails),
            opt_text(owed.stopped_email.clone()),
        ],
    )
}

/// How long replies are gathered before they are mailed (`VISITOR_MAIL_SECS`, two minutes
/// by default): a visitor who only reloaded is back long before.
fn window(env: &Env) -> Millis {
    crate::secs_var(env, "VISITOR_MAIL_SECS").unwrap_or(120_000)
}

/// [`window`] in seconds, as the console tells it.
pub fn gathered_secs(env: &Env) -> u32 {
    u32::try_from(window(env) / 1000).unwrap_or(u32::MAX)
}

/// The least time between two mails to one visitor: five windows (ten minutes by default).
fn gap(env: &Env) -> Millis {
    5 * window(env)
}

impl Owed {
    pub fn due_at(&self) -> Option<Millis> {
        self.from_seq.and(self.due_at)
    }
}

impl Core {
    /// A teammate's reply was stored: if the visitor is not on the site and gave an email
    /// (and did not stop these mails), a mail is owed, unless one already is, which will
    /// carry this reply too.
    pub(super) fn reply_stored(&self, seq: u64) {
        let wanted = {
            let inner = self.inner.borrow();
            let site_says =
                inner.config.as_ref().is_none_or(|(_, c)| c.config.takeover.email_replies);
            let owed = &inner.visitor_mail;
            let email = inner.profile.email.as_ref();
            // A channel's visitor gets every reply in their chat.
            let in_chat = inner.channel.peer.is_some();
            site_says
                && !in_chat
                && email.is_some_and(|e| owed.stopped_email.as_ref() != Some(e))
                && owed.from_seq.is_none()
                && owed.away_mails < MAX_AWAY_MAILS
        };
        // Whether the visitor is here is asked last: it reads every socket.
        if !wanted || self.visitor_online(None) {
            return;
        }
        let mut owed = self.inner.borrow().visitor_mail.clone();
        let at = now();
        let earliest = owed.last_sent_at.map_or(0, |last| last + gap(&self.env));
        owed.from_seq = Some(seq as i64);
        owed.due_at = Some((at + window(&self.env)).max(earliest));
        owed.attempts = 0;
        self.keep_owed(owed);
    }

    /// The visitor is back: they see every reply now, and nothing is owed.
    pub(super) fn visitor_back(&self) {
        let owed = self.inner.borrow().visitor_mail.clone();
        if owed.from_seq.is_some() || owed.away_mails > 0 {
            self.keep_owed(Owed {
                from_seq: None,
                due_at: None,
                attempts: 0,
                away_mails: 0,
                ..owed
            });
        }
    }

    /// Nothing more is owed now (a mail that cannot or need not go).
    fn owe_nothing(&self) {
        let owed = self.inner.borrow().visitor_mail.clone();
        self.keep_owed(Owed { from_seq: None, due_at: None, attempts: 0, ..owed });
    }

    fn keep_owed(&self, owed: Owed) {
        if let Err(e) = save(self.sql(), &owed) {
            console_error!("visitor mail: {e}");
            return;
        }
        self.inner.borrow_mut().visitor_mail = owed;
    }

    /// The visitor's link in the mail: no more of these mails to `email` about this
    /// conversation. `false` for a token that is not for that address.
    pub(super) fn stop_visitor_mail(&self, token: &str) -> bool {
        if !self.visitor_stop_valid(token) {
            return false;
        }
        let email = self.inner.borrow().profile.email.clone();
        let owed = self.inner.borrow().visitor_mail.clone();
        let stopped = Owed { from_seq: None, due_at: None, stopped_email: email, ..owed };
        self.keep_owed(stopped);
        true
    }

    /// Whether `token` stops the mail to the visitor's address as it is now.
    pub(super) fn visitor_stop_valid(&self, token: &str) -> bool {
        let inner = self.inner.borrow();
        let (Some(meta), Some(email)) = (inner.meta.as_ref(), inner.profile.email.as_ref()) else {
            return false;
        };
        mail::visitor_stop_token(&self.env, &meta.conversation_id, email)
            .is_some_and(|expected| crate::crypto::same(&expected, token))
    }

    /// At the alarm: mails the replies owed, if due and the visitor is still away.
    pub(super) async fn mail_visitor(&self) {
        let owed = self.inner.borrow().visitor_mail.clone();
        let (Some(from), Some(due)) = (owed.from_seq, owed.due_at) else { return };
        if due > now() || self.inner.borrow().mail_in_flight {
            return;
        }
        let setup = self.site_config().await;
        if self.inner.borrow().config.is_none() {
            // The site's settings are unknown (not "off"): try again later.
            let later = Owed { due_at: Some(now() + window(&self.env)), ..owed };
            return self.keep_owed(later);
        }
        // Checked after the await: the visitor may have come back meanwhile.
        if self.visitor_online(None) {
            return self.visitor_back();
        }
        let (meta, profile) = {
            let inner = self.inner.borrow();
            (inner.meta.clone(), inner.profile.clone())
        };
        let Some(meta) = meta else { return };
        let replies = match replies_from(self.sql(), from) {
            Ok(r) => r,
            Err(e) => return console_error!("visitor mail: reading the replies: {e}"),
        };
        let origin = setup.origin.as_deref().map(|o| o.trim_end_matches('/').to_owned());
        let (Some(to), true, Some(sender), Some(origin), Some((last_seq, _))) = (
            profile.email.clone().filter(|e| owed.stopped_email.as_ref() != Some(e)),
            setup.config.takeover.email_replies,
            mail::sender(&self.env),
            origin.filter(|o| mail::can_link(&self.env, Some(o))),
            replies.last(),
        ) else {
            if setup.origin.is_none() && mail::sender(&self.env).is_some() {
                console_warn!("visitor mail waits for the deployment's address (set PUBLIC_URL)");
            }
            return self.owe_nothing();
        };
        let last_seq = *last_seq;
        let site_key = &meta.site_key;
        let link = if profile.verified() {
            // A signed-in user's conversation opens where the site signs them in.
            meta.page_url.clone().unwrap_or_else(|| format!("{origin}/chat/{site_key}"))
        } else {
            let expires = now() + mail::RESUME_LINK_MS;
            let id = &meta.conversation_id;
            let Some(token) = mail::resume_link(&self.env, site_key, id, &to, expires) else {
                return self.owe_nothing();
            };
            format!("{origin}/chat/{site_key}#resume={token}")
        };
        let stop = mail::visitor_stop_token(&self.env, &meta.conversation_id, &to).map(|t| {
            format!("{origin}/api/unsubscribe?conversation={}&token={t}", meta.conversation_id)
        });
        let quoted: Vec<(String, String)> =
            replies.into_iter().rev().take(MAX_REPLIES).rev().map(|(_, r)| r).collect();
        let composed = shared::reply_mail::compose(&shared::reply_mail::Missed {
            site_title: &setup.title,
            replies: &quoted,
            link: &link,
            stop: stop.as_deref(),
            language: profile.language.as_deref(),
        });
        self.inner.borrow_mut().mail_in_flight = true;
        let out = mail::Outgoing { to: &to, mail: &composed, unsubscribe: stop.as_deref() };
        let sent = sender.send(&out).await;
        self.inner.borrow_mut().mail_in_flight = false;
        let mut owed = self.inner.borrow().visitor_mail.clone();
        match sent {
            Ok(()) => {
                owed.last_sent_at = Some(now());
                owed.attempts = 0;
                owed.away_mails += 1;
                // Replies written while this one was on its way are owed next, after the gap.
                let newer = replies_from(self.sql(), last_seq as i64 + 1).unwrap_or_default();
                match newer.first() {
                    Some((seq, _))
                        if !self.visitor_online(None) && owed.away_mails < MAX_AWAY_MAILS =>
                    {
                        owed.from_seq = Some(*seq as i64);
                        owed.due_at = Some(now() + gap(&self.env));
                    }
                    _ => (owed.from_seq, owed.due_at) = (None, None),
                }
            }
            Err(e) => {
                owed.attempts += 1;
                if owed.attempts >= MAX_ATTEMPTS {
                    console_error!("visitor mail: given up after {MAX_ATTEMPTS} tries: {e}");
                    (owed.from_seq, owed.due_at, owed.attempts) = (None, None, 0);
                } else {
                    console_warn!("visitor mail: {e}; trying again");
                    owed.due_at = Some(now() + window(&self.env) * (1 << owed.attempts));
                }
            }
        }
        self.keep_owed(owed);
    }
}

/// The teammates' replies from `from` on, oldest first: their sequence number, and who wrote
/// what.
fn replies_from(sql: &SqlStorage, from: i64) -> Result<Vec<(u64, (String, String))>> {
    let items = store::items_after(sql, from.saturating_sub(1).max(0) as u64)?;
    Ok(items
        .into_iter()
        .filter_map(|i| match i.body {
            ItemBody::Message(m) => match m.author {
                Author::Agent(a) => Some((i.seq, (a.name, m.text))),
                _ => None,
            },
            _ => None,
        })
        .collect())
}
