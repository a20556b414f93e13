//! The live inbox: every conversation and ticket of the site, kept current by the inbox
//! socket, and the mentions addressed to this agent.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ConversationSummary, InboxFrame, Ticket};
use shared::protocol::{AgentRef, Phase};

use takeover_client::{Handlers, Link};

#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    pub conversation_id: String,
    pub by: AgentRef,
    pub text: String,
}

/// When a conversation last had something new (older servers sent no `activity_at`).
fn activity(c: &ConversationSummary) -> i64 {
    if c.activity_at > 0 { c.activity_at } else { c.updated_at }
}

#[derive(Clone, Copy)]
pub struct Inbox {
    pub conversations: RwSignal<HashMap<String, ConversationSummary>>,
    pub tickets: RwSignal<HashMap<String, Ticket>>,
    pub mentions: RwSignal<Vec<Mention>>,
    pub link: RwSignal<LinkState>,
}

/// The inbox socket as the top bar tells it: a first connection is not a reconnection.
#[derive(Clone, Copy, PartialEq)]
pub enum LinkState {
    Connecting,
    Online,
    Reconnecting,
}

impl LinkState {
    pub fn label(self) -> &'static str {
        match self {
            LinkState::Connecting => "Connecting…",
            LinkState::Online => "",
            LinkState::Reconnecting => "Reconnecting…",
        }
    }
}

impl Inbox {
    pub fn new() -> Self {
        Inbox {
            conversations: RwSignal::new(HashMap::new()),
            tickets: RwSignal::new(HashMap::new()),
            mentions: RwSignal::new(Vec::new()),
            link: RwSignal::new(LinkState::Connecting),
        }
    }

    /// Connects and keeps the lists current; `escalated` hears of each new escalation,
    /// `dropped` of each drop with its close code.
    pub fn connect(
        self,
        escalated: impl Fn(&ConversationSummary) + 'static,
        dropped: impl Fn(u16) + 'static,
    ) -> Link {
        spawn_local(async move {
            if let Ok(list) = crate::api::tickets().await {
                self.tickets.update(|t| t.extend(list.into_iter().map(|x| (x.id.clone(), x))));
            }
        });
        let on_text = move |link: &Link, text: String| {
            let Ok(frame) = serde_json::from_str::<InboxFrame>(&text) else { return };
            match frame {
                InboxFrame::Snapshot { conversations } => {
                    link.welcomed();
                    self.conversations
                        .set(conversations.into_iter().map(|c| (c.id.clone(), c)).collect());
                }
                InboxFrame::Upsert(c) => {
                    let was =
                        self.conversations.with_untracked(|all| all.get(&c.id).map(|o| o.phase));
                    if c.phase == Phase::Escalated && was != Some(Phase::Escalated) {
                        escalated(&c);
                    }
                    self.conversations.update(|all| {
                        if c.spam {
                            all.remove(&c.id);
                        } else if all.get(&c.id).is_none_or(|old| old.last_seq <= c.last_seq) {
                            all.insert(c.id.clone(), c);
                        }
                    });
                }
                InboxFrame::Ticket(t) => self.tickets.update(|all| {
                    all.insert(t.id.clone(), t);
                }),
                InboxFrame::Mention { conversation_id, by, text } => {
                    self.mentions.update(|m| m.insert(0, Mention { conversation_id, by, text }));
                }
            }
        };
        let handlers = Handlers {
            open: Box::new(move |_| self.link.set(LinkState::Online)),
            text: Box::new(on_text),
            down: Box::new(move |code| {
                self.link.set(LinkState::Reconnecting);
                dropped(code);
                true
            }),
        };
        let link = Link::open(crate::app::ws_url("/api/admin/inbox/ws"), handlers);
        link.keep_saying(shared::protocol::PRESENT);
        link
    }

    /// Pending: escalated, the longest wait first.
    pub fn pending(&self) -> Vec<ConversationSummary> {
        let mut list = self.by_phase(Phase::Escalated);
        list.sort_by_key(|c| c.waiting_since.unwrap_or(c.updated_at));
        list
    }

    /// The conversations in `phase`, the most recently active first.
    pub fn by_phase(&self, phase: Phase) -> Vec<ConversationSummary> {
        let mut list: Vec<ConversationSummary> = self
            .conversations
            .with(|all| all.values().filter(|c| c.phase == phase).cloned().collect());
        list.sort_by_key(|c| std::cmp::Reverse(activity(c)));
        list
    }

    /// How many conversations are in `phase`.
    pub fn count(&self, phase: Phase) -> usize {
        self.conversations.with(|all| all.values().filter(|c| c.phase == phase).count())
    }

    /// How many takeover cycles are resolved.
    pub fn resolved_count(&self) -> usize {
        self.tickets.with(|all| {
            all.values().filter(|t| t.status == shared::api::TicketStatus::Resolved).count()
        })
    }

    /// Resolved takeover cycles, newest first.
    pub fn resolved(&self) -> Vec<Ticket> {
        let mut list: Vec<Ticket> = self.tickets.with(|all| {
            all.values()
                .filter(|t| t.status == shared::api::TicketStatus::Resolved)
                .cloned()
                .collect()
        });
        list.sort_by_key(|t| std::cmp::Reverse(t.resolved_at));
        list
    }
}
