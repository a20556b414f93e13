//! What the site object hears from a conversation: its summary for the inbox, its tickets,
//! the teammates its notes mention, and the AI's usage.

use std::time::Duration;

use shared::api::ConversationSummary;
use worker::{Method, console_error};

use super::{Conversation, FollowUp, now, tickets};
use crate::internal::{self, Mention};

/// How often, at most, new messages alone are reported to the site's index: the inbox's
/// previews may lag by this much, never the conversation itself.
const MESSAGE_REPORT_MS: i64 = 1000;

impl Conversation {
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
            preview: inner.preview.clone(),
            unanswered: inner.unanswered,
            visitor_name: inner.profile.name.clone(),
            tickets: inner.machine.tickets(),
            visitor_online: self.visitor_online(closing),
            activity_at: inner.activity_at,
            spam: inner.spam,
        };
        Some((meta.site_key.clone(), summary))
    }

    /// Whether a visitor's widget is connected, not counting `closing` (a socket whose close
    /// is being handled may still be listed).
    fn visitor_online(&self, closing: Option<&worker::WebSocket>) -> bool {
        self.ready_sockets()
            .any(|(ws, att)| att.is_visitor() && crate::sockets::open_besides(&ws, closing))
    }

    /// Tells the site's index that the visitor came or went, so settings reach open widgets.
    pub(super) async fn report_presence(&self, closing: Option<&worker::WebSocket>) {
        let Some((site_key, summary)) = self.summary(closing) else { return };
        self.tell_site(&site_key, "/conversation", &summary).await;
    }

    /// Reports to the site object. Failures are logged, not fatal: the next change reports
    /// the whole state again.
    pub(super) async fn tell_site<T: serde::Serialize>(
        &self,
        site_key: &str,
        path: &str,
        body: &T,
    ) {
        let sent = match internal::site(&self.env, site_key) {
            Ok(stub) => internal::send(&stub, Method::Post, path, Some(body)).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            console_error!("report to the site ({path}) failed: {e}");
        }
    }

    pub(super) async fn report(&self, follow: &FollowUp) {
        let Some(site_key) = self.inner.borrow().meta.as_ref().map(|m| m.site_key.clone()) else {
            return;
        };
        let summary = async {
            if follow.report {
                self.report_summary(&site_key, follow.state_changed).await;
            }
        };
        futures_util::future::join(summary, self.report_records(&site_key, follow)).await;
    }

    /// The summary for the inbox: at once when the state changed; for new messages at most
    /// once per [`MESSAGE_REPORT_MS`], the last one carrying everything since. A report costs
    /// the site object more than storing and relaying a message costs this one, so a busy
    /// conversation would otherwise be held back by its site's index.
    async fn report_summary(&self, site_key: &str, urgent: bool) {
        let wait = {
            let mut inner = self.inner.borrow_mut();
            if urgent {
                None
            } else if inner.report_waiting {
                return;
            } else {
                inner.report_waiting = true;
                Some(inner.reported_at + MESSAGE_REPORT_MS - now())
            }
        };
        if let Some(wait) = wait {
            if wait > 0 {
                worker::Delay::from(Duration::from_millis(wait.unsigned_abs())).await;
            }
            self.inner.borrow_mut().report_waiting = false;
        }
        self.inner.borrow_mut().reported_at = now();
        if let Some((_, summary)) = self.summary(None) {
            self.tell_site(site_key, "/conversation", &summary).await;
        }
    }

    /// Tickets and mentions: records the site keeps, sent as they happen.
    async fn report_records(&self, site_key: &str, follow: &FollowUp) {
        for number in &follow.tickets {
            let ticket = {
                let inner = self.inner.borrow();
                let Some(meta) = &inner.meta else { return };
                tickets::one(&self.sql(), *number, meta, &inner.profile)
            };
            match ticket {
                Ok(Some(ticket)) => self.tell_site(site_key, "/ticket", &ticket).await,
                Ok(None) => {}
                Err(e) => console_error!("ticket {number}: {e}"),
            }
        }
        if let Some((by, text)) = &follow.note {
            let Some(id) = self.inner.borrow().meta.as_ref().map(|m| m.conversation_id.clone())
            else {
                return;
            };
            let mention = Mention { conversation_id: id, by: by.clone(), text: text.clone() };
            self.tell_site(site_key, "/mention", &mention).await;
        }
    }
}
