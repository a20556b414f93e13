//! Replies a visitor did not see because they had left, mailed to the email they gave:
//! gathered for a short while (a teammate often writes two or three lines), at most one mail
//! per [`gap`], never while the visitor is on the site, with a link that opens the chat again
//! on any device.

use serde::Deserialize;
use shared::protocol::{Author, ItemBody, Millis};
use worker::{Env, Result, SqlStorage, console_error, console_warn};

use super::{Core, now, store};
use crate::mail::{self, Sender};
use crate::sql::{self, V, int};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS visitor_mail (
  id INTEGER PRIMARY KEY CHECK (id = 1), from_seq INTEGER, due_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0, last_sent_at INTEGER);
";

/// Replies quoted in one mail: the newest.
const MAX_REPLIES: usize = 10;
/// A failed send is tried again this many times, waiting twice as long each time.
const MAX_ATTEMPTS: i64 = 5;

/// The mail owed to the visitor, as stored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Owed {
    /// The first reply not mailed yet; `None`: nothing owed.
    from_seq: Option<i64>,
    due_at: Option<i64>,
    attempts: i64,
    last_sent_at: Option<i64>,
}

pub fn load(sql: &SqlStorage) -> Owed {
    let query = "SELECT from_seq, due_at, attempts, last_sent_at FROM visitor_mail WHERE id = 1";
    sql::first(sql, query, vec![]).ok().flatten().unwrap_or_default()
}

fn save(sql: &SqlStorage, owed: &Owed) -> Result<()> {
    let opt = |v: Option<i64>| v.map_or(V::Null, int);
    sql::run(
        sql,
        "INSERT OR REPLACE INTO visitor_mail (id, from_seq, due_at, attempts, last_sent_at)
         VALUES (1, ?, ?, ?, ?)",
        vec![opt(owed.from_seq), opt(owed.due_at), int(owed.attempts), opt(owed.last_sent_at)],
    )
}

/// How long replies are gathered before they are mailed (`VISITOR_MAIL_SECS`, two minutes
/// by default): a visitor who only reloaded is back long before.
fn window(env: &Env) -> Millis {
    let secs = env.var("VISITOR_MAIL_SECS").ok().and_then(|v| v.to_string().parse::<i64>().ok());
    secs.filter(|s| *s > 0).unwrap_or(120) * 1000
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
    /// A teammate's reply was stored while the visitor was not on the site: if they gave an
    /// email, a mail is owed (unless one already is, which will carry this reply too).
    pub(super) fn reply_unseen(&self, seq: u64) {
        let wanted = {
            let inner = self.inner.borrow();
            let site_says =
                inner.config.as_ref().is_none_or(|(_, c)| c.config.takeover.email_replies);
            site_says && inner.profile.email.is_some() && inner.visitor_mail.from_seq.is_none()
        };
        if !wanted {
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
        if owed.from_seq.is_some() {
            self.keep_owed(Owed { from_seq: None, due_at: None, attempts: 0, ..owed });
        }
    }

    fn keep_owed(&self, owed: Owed) {
        if let Err(e) = save(self.sql(), &owed) {
            console_error!("visitor mail: {e}");
            return;
        }
        self.inner.borrow_mut().visitor_mail = owed;
    }

    /// At the alarm: mails the replies owed, if due and the visitor is still away.
    pub(super) async fn mail_visitor(&self) {
        let owed = self.inner.borrow().visitor_mail.clone();
        let (Some(from), Some(due)) = (owed.from_seq, owed.due_at) else { return };
        if due > now() || self.inner.borrow().mail_in_flight {
            return;
        }
        if self.visitor_online(None) {
            return self.visitor_back();
        }
        let setup = self.site_config().await;
        let (site_key, conversation_id) = match self.inner.borrow().meta.as_ref() {
            Some(m) => (m.site_key.clone(), m.conversation_id.clone()),
            None => return,
        };
        let profile = self.inner.borrow().profile.clone();
        let replies = match replies_from(self.sql(), from) {
            Ok(r) => r,
            Err(e) => return console_error!("visitor mail: reading the replies: {e}"),
        };
        let sender = mail::sender(&self.env);
        let (Some(to), true, Some(sender), Some(origin), Some((last_seq, _))) = (
            profile.email.clone(),
            setup.config.takeover.email_replies,
            sender,
            setup.origin.clone(),
            replies.last(),
        ) else {
            // Nothing to send, or no way to: nothing stays owed.
            if setup.origin.is_none() && mail::sender(&self.env).is_some() {
                console_warn!("visitor mail waits for the deployment's address (set PUBLIC_URL)");
            }
            return self.visitor_back();
        };
        let last_seq = *last_seq;
        let expires = now() + mail::RESUME_LINK_MS;
        let Some(token) = mail::resume_link(&self.env, &site_key, &conversation_id, expires) else {
            console_error!("visitor mail: no SECRETS_KEY to sign the link with");
            return self.visitor_back();
        };
        let link = format!("{}/chat/{site_key}#resume={token}", origin.trim_end_matches('/'));
        let quoted: Vec<(String, String)> =
            replies.into_iter().rev().take(MAX_REPLIES).rev().map(|(_, r)| r).collect();
        let composed = shared::reply_mail::compose(&shared::reply_mail::Missed {
            site_title: &setup.title,
            replies: &quoted,
            link: &link,
            language: profile.language.as_deref(),
        });
        self.inner.borrow_mut().mail_in_flight = true;
        let out = mail::Outgoing { to: &to, mail: &composed, unsubscribe: None };
        let sent = sender.send(&out).await;
        self.inner.borrow_mut().mail_in_flight = false;
        let mut owed = self.inner.borrow().visitor_mail.clone();
        match sent {
            Ok(()) => {
                owed.last_sent_at = Some(now());
                owed.attempts = 0;
                // Replies written while this one was on its way are owed next, after the gap.
                let newer = replies_from(self.sql(), last_seq as i64 + 1).unwrap_or_default();
                match newer.first() {
                    Some((seq, _)) if !self.visitor_online(None) => {
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
