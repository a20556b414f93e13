//! The conversation state machine: every rule of the takeover cycle, with no I/O.
//!
//! The shell (the Durable Object) feeds [`Input`]s with the current time and carries out the
//! returned [`Effect`]s in order. State changes only through [`Conversation::apply`] of an
//! appended item, so replaying the stored items rebuilds exactly the live state. A refusal
//! returns `Err` and leaves the state untouched.

use std::collections::HashMap;

use crate::protocol::{
    AgentRef, Author, EndedBy, ErrorCode, EscalatedBy, Event, Item, ItemBody, Message, Millis,
    Phase, Role, Seq, StateView, limits,
};

/// Who is acting. Agents carry the role their session was checked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Visitor,
    Agent { agent: AgentRef, role: Role },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Message {
        from: Actor,
        client_id: String,
        text: String,
    },
    Note {
        from: Actor,
        client_id: String,
        text: String,
    },
    RequestHuman,
    Claim {
        by: Actor,
    },
    HandBack {
        by: Actor,
    },
    /// `to` must already be known to be a teammate who can respond.
    Reassign {
        by: Actor,
        to: AgentRef,
    },
    End {
        by: Actor,
    },
    /// What the AI answered to the visitor message `turn` (its sequence number).
    BotReplied {
        turn: Seq,
        reply: BotReply,
    },
}

/// An engine's answer: text for the visitor, a decision to hand over, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BotReply {
    pub text: Option<String>,
    pub handover: Option<String>,
    /// What the answer cost, for the site's usage count; not part of the conversation.
    pub tokens: Option<u64>,
}

/// What the shell must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Store the item, then send it to the visitor and every agent.
    Append(Item),
    /// Tell the sender its message is stored under `seq`.
    Ack {
        client_id: String,
        seq: Seq,
    },
    /// Ask the AI to answer the visitor message `turn`, then feed back `Input::BotReplied`.
    AskBot {
        turn: Seq,
    },
    /// The phase or assignee changed: broadcast it and update the site's index.
    StateChanged(StateView),
    OpenTicket {
        number: u32,
        agent: AgentRef,
        at: Millis,
    },
    AssignTicket {
        number: u32,
        agent: AgentRef,
    },
    ResolveTicket {
        number: u32,
        at: Millis,
    },
}

/// Why an input was refused; maps one-to-one onto an error frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub agent: Option<AgentRef>,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal { code, message: message.into(), agent: None }
    }
}

type Outcome = Result<Vec<Effect>, Refusal>;

/// Who sent a message, for deduplication: ids are scoped to their author.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Sender {
    Visitor,
    Agent(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conversation {
    phase: PhaseState,
    last_seq: Seq,
    /// Tickets opened so far; the open one, if any, is this number.
    tickets: u32,
    /// Sequence number of the last phase change: bot work begun before it is stale.
    phase_changed_at: Seq,
    last_visitor_seq: Seq,
    last_bot_seq: Seq,
    visitor_messages: u32,
    seen: HashMap<(Sender, String), Seq>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum PhaseState {
    #[default]
    Bot,
    Escalated,
    Active(AgentRef),
    Ended,
}

impl Conversation {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the state from stored items, oldest first.
    pub fn replay<'a>(items: impl IntoIterator<Item = &'a Item>) -> Self {
        let mut c = Self::new();
        for item in items {
            c.apply(item);
        }
        c
    }

    pub fn phase(&self) -> Phase {
        match self.phase {
            PhaseState::Bot => Phase::Bot,
            PhaseState::Escalated => Phase::Escalated,
            PhaseState::Active(_) => Phase::Active,
            PhaseState::Ended => Phase::Ended,
        }
    }

    pub fn assignee(&self) -> Option<&AgentRef> {
        match &self.phase {
            PhaseState::Active(a) => Some(a),
            _ => None,
        }
    }

    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }

    /// Tickets opened so far: one per takeover cycle.
    pub fn tickets(&self) -> u32 {
        self.tickets
    }

    pub fn visitor_messages(&self) -> u32 {
        self.visitor_messages
    }

    pub fn view(&self) -> StateView {
        StateView {
            phase: self.phase(),
            assignee: self.assignee().cloned(),
            ticket: self.assignee().map(|_| self.tickets),
        }
    }

    /// The AI owes an answer: the newest visitor message came after both the last phase change
    /// and the last AI message. The shell asks again after a restart lost a pending call.
    pub fn bot_turn_pending(&self) -> Option<Seq> {
        let owed = self.phase() == Phase::Bot
            && self.last_visitor_seq > self.phase_changed_at
            && self.last_visitor_seq > self.last_bot_seq;
        owed.then_some(self.last_visitor_seq)
    }

    pub fn handle(&mut self, now: Millis, input: Input) -> Outcome {
        match input {
            Input::Message { from, client_id, text } => self.message(now, from, client_id, text),
            Input::Note { from, client_id, text } => self.note(now, from, client_id, text),
            Input::RequestHuman => self.request_human(now),
            Input::Claim { by } => self.claim(now, by),
            Input::HandBack { by } => self.hand_back(now, by),
            Input::Reassign { by, to } => self.reassign(now, by, to),
            Input::End { by } => self.end(now, by),
            Input::BotReplied { turn, reply } => Ok(self.bot_replied(now, turn, reply)),
        }
    }

    /// Advances the state by one stored item. Live handling and replay both come through here.
    pub fn apply(&mut self, item: &Item) {
        self.last_seq = item.seq;
        match &item.body {
            ItemBody::Message(m) => {
                let sender = match &m.author {
                    Author::Visitor => {
                        self.last_visitor_seq = item.seq;
                        self.visitor_messages += 1;
                        Some(Sender::Visitor)
                    }
                    Author::Bot => {
                        self.last_bot_seq = item.seq;
                        None
                    }
                    Author::Agent(a) => Some(Sender::Agent(a.id.clone())),
                };
                if let (Some(sender), Some(id)) = (sender, &m.client_id) {
                    self.seen.insert((sender, id.clone()), item.seq);
                }
            }
            ItemBody::Note(m) => {
                if let (Author::Agent(a), Some(id)) = (&m.author, &m.client_id) {
                    self.seen.insert((Sender::Agent(a.id.clone()), id.clone()), item.seq);
                }
            }
            ItemBody::Event(e) => {
                let next = match e {
                    Event::Escalated { .. } => PhaseState::Escalated,
                    Event::AgentJoined { agent, ticket } => {
                        self.tickets = *ticket;
                        PhaseState::Active(agent.clone())
                    }
                    Event::Reassigned { to, .. } => PhaseState::Active(to.clone()),
                    Event::AgentLeft { .. } => return,
                    Event::AiResumed { .. } => PhaseState::Bot,
                    Event::Ended { .. } => PhaseState::Ended,
                };
                self.phase = next;
                self.phase_changed_at = item.seq;
            }
        }
    }

    /// Assigns the next sequence number, applies the item and returns the effect storing it.
    fn append(&mut self, now: Millis, body: ItemBody) -> Effect {
        let item = Item { seq: self.last_seq + 1, at: now, body };
        self.apply(&item);
        Effect::Append(item)
    }

    fn event(&mut self, now: Millis, event: Event) -> Effect {
        self.append(now, ItemBody::Event(event))
    }

    fn message(&mut self, now: Millis, from: Actor, client_id: String, text: String) -> Outcome {
        let (sender, author) = match &from {
            Actor::Visitor => (Sender::Visitor, Author::Visitor),
            Actor::Agent { agent, role } => {
                require_responder(*role)?;
                (Sender::Agent(agent.id.clone()), Author::Agent(agent.clone()))
            }
        };
        validate_client_id(&client_id)?;
        if let Some(&seq) = self.seen.get(&(sender, client_id.clone())) {
            return Ok(vec![Effect::Ack { client_id, seq }]);
        }
        let text = validate_text(&text)?;
        match (&self.phase, &author) {
            (PhaseState::Ended, _) => return Err(ended()),
            (PhaseState::Active(holder), Author::Agent(me)) if holder.id == me.id => {}
            (PhaseState::Active(holder), Author::Agent(_)) => {
                return Err(Refusal {
                    agent: Some(holder.clone()),
                    ..Refusal::new(
                        ErrorCode::NotAssignee,
                        format!("{} is handling this conversation.", holder.name),
                    )
                });
            }
            (_, Author::Agent(_)) => {
                return Err(Refusal::new(
                    ErrorCode::NotAssignee,
                    "Claim the conversation before replying.",
                ));
            }
            _ => {}
        }
        let body = ItemBody::Message(Message { author, client_id: Some(client_id.clone()), text });
        let stored = self.append(now, body);
        let seq = self.last_seq;
        let mut effects = vec![stored, Effect::Ack { client_id, seq }];
        if self.phase() == Phase::Bot && matches!(from, Actor::Visitor) {
            effects.push(Effect::AskBot { turn: seq });
        }
        Ok(effects)
    }

    /// Notes change no state; any teammate who can respond may write one, in any phase but
    /// the end.
    fn note(&mut self, now: Millis, from: Actor, client_id: String, text: String) -> Outcome {
        let (agent, role) = agent_of(from)?;
        require_responder(role)?;
        validate_client_id(&client_id)?;
        if let Some(&seq) = self.seen.get(&(Sender::Agent(agent.id.clone()), client_id.clone())) {
            return Ok(vec![Effect::Ack { client_id, seq }]);
        }
        let text = validate_text(&text)?;
        if self.phase == PhaseState::Ended {
            return Err(ended());
        }
        let note =
            Message { author: Author::Agent(agent), client_id: Some(client_id.clone()), text };
        let stored = self.append(now, ItemBody::Note(note));
        Ok(vec![stored, Effect::Ack { client_id, seq: self.last_seq }])
    }

    fn request_human(&mut self, now: Millis) -> Outcome {
        match self.phase {
            PhaseState::Bot => {}
            PhaseState::Escalated => {
                return Err(Refusal::new(ErrorCode::InvalidState, "A person is on the way."));
            }
            PhaseState::Active(_) => {
                return Err(Refusal::new(
                    ErrorCode::InvalidState,
                    "You are already chatting with a person.",
                ));
            }
            PhaseState::Ended => return Err(ended()),
        }
        let escalated = Event::Escalated { by: EscalatedBy::Visitor, reason: None };
        Ok(vec![self.event(now, escalated), Effect::StateChanged(self.view())])
    }

    /// Compare-and-set: only a conversation that nobody holds can be claimed. The shell calls
    /// this with no await between reading and writing, so the first claim wins.
    fn claim(&mut self, now: Millis, by: Actor) -> Outcome {
        let (agent, role) = agent_of(by)?;
        require_responder(role)?;
        match &self.phase {
            PhaseState::Bot | PhaseState::Escalated => {}
            PhaseState::Active(holder) => return Err(already_claimed(holder)),
            PhaseState::Ended => return Err(ended()),
        }
        let number = self.tickets + 1;
        let joined = self.event(now, Event::AgentJoined { agent: agent.clone(), ticket: number });
        Ok(vec![
            joined,
            Effect::OpenTicket { number, agent, at: now },
            Effect::StateChanged(self.view()),
        ])
    }

    fn hand_back(&mut self, now: Millis, by: Actor) -> Outcome {
        let (agent, role) = agent_of(by)?;
        let holder = self.holder_for(&agent, role)?;
        let ticket = self.tickets;
        let left = self.event(now, Event::AgentLeft { agent: holder });
        let resumed = self.event(now, Event::AiResumed { by: agent });
        Ok(vec![
            left,
            resumed,
            Effect::ResolveTicket { number: ticket, at: now },
            Effect::StateChanged(self.view()),
        ])
    }

    fn reassign(&mut self, now: Millis, by: Actor, to: AgentRef) -> Outcome {
        let (agent, role) = agent_of(by)?;
        let holder = self.holder_for(&agent, role)?;
        if holder.id == to.id {
            return Err(Refusal::new(
                ErrorCode::InvalidState,
                format!("{} already holds this conversation.", to.name),
            ));
        }
        let number = self.tickets;
        let moved = self.event(now, Event::Reassigned { from: holder, to: to.clone() });
        Ok(vec![
            moved,
            Effect::AssignTicket { number, agent: to },
            Effect::StateChanged(self.view()),
        ])
    }

    fn end(&mut self, now: Millis, by: Actor) -> Outcome {
        let ended_by = match by {
            Actor::Visitor => EndedBy::Visitor,
            Actor::Agent { agent, role } => {
                require_responder(role)?;
                EndedBy::Agent(agent)
            }
        };
        if self.phase == PhaseState::Ended {
            return Err(ended());
        }
        let open_ticket = self.assignee().map(|_| self.tickets);
        let mut effects = vec![self.event(now, Event::Ended { by: ended_by })];
        if let Some(number) = open_ticket {
            effects.push(Effect::ResolveTicket { number, at: now });
        }
        effects.push(Effect::StateChanged(self.view()));
        Ok(effects)
    }

    /// A reply computed for an older turn, or before a takeover, is dropped: the check runs
    /// when the engine returns, not only when it was asked.
    fn bot_replied(&mut self, now: Millis, turn: Seq, reply: BotReply) -> Vec<Effect> {
        if self.bot_turn_pending() != Some(turn) {
            return Vec::new();
        }
        let mut effects = Vec::new();
        if let Some(text) = reply.text.filter(|t| !t.trim().is_empty()) {
            let body = ItemBody::Message(Message { author: Author::Bot, client_id: None, text });
            effects.push(self.append(now, body));
        }
        if let Some(reason) = reply.handover {
            let reason = Some(reason).filter(|r| !r.is_empty());
            effects.push(self.event(now, Event::Escalated { by: EscalatedBy::Bot, reason }));
            effects.push(Effect::StateChanged(self.view()));
        }
        effects
    }

    /// The agent currently holding the conversation, if `agent` may act on it: the holder
    /// themselves, or an owner or admin.
    fn holder_for(&self, agent: &AgentRef, role: Role) -> Result<AgentRef, Refusal> {
        require_responder(role)?;
        match &self.phase {
            PhaseState::Active(holder) if holder.id == agent.id || role.can_manage() => {
                Ok(holder.clone())
            }
            PhaseState::Active(holder) => Err(Refusal {
                agent: Some(holder.clone()),
                ..Refusal::new(
                    ErrorCode::NotAssignee,
                    format!("Only {} or an admin can do that.", holder.name),
                )
            }),
            PhaseState::Ended => Err(ended()),
            _ => Err(Refusal::new(ErrorCode::InvalidState, "Nobody has taken this conversation.")),
        }
    }
}

fn agent_of(actor: Actor) -> Result<(AgentRef, Role), Refusal> {
    match actor {
        Actor::Agent { agent, role } => Ok((agent, role)),
        Actor::Visitor => Err(Refusal::new(ErrorCode::Forbidden, "Only agents can do that.")),
    }
}

fn require_responder(role: Role) -> Result<(), Refusal> {
    if role.can_respond() {
        Ok(())
    } else {
        Err(Refusal::new(
            ErrorCode::Forbidden,
            "Viewers can read conversations but not act on them.",
        ))
    }
}

fn already_claimed(holder: &AgentRef) -> Refusal {
    Refusal {
        agent: Some(holder.clone()),
        ..Refusal::new(ErrorCode::AlreadyClaimed, format!("Already claimed by {}.", holder.name))
    }
}

fn ended() -> Refusal {
    Refusal::new(ErrorCode::ConversationEnded, "This conversation has ended.")
}

fn validate_client_id(id: &str) -> Result<(), Refusal> {
    let ok = !id.is_empty()
        && id.len() <= limits::MAX_CLIENT_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Refusal::new(
            ErrorCode::InvalidClientId,
            format!(
                "A message id is 1 to {} letters, digits, '-' or '_'.",
                limits::MAX_CLIENT_ID_BYTES
            ),
        ))
    }
}

fn validate_text(text: &str) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::new(ErrorCode::EmptyMessage, "A message needs some text."));
    }
    if text.chars().count() > limits::MAX_MESSAGE_CHARS {
        return Err(Refusal::new(
            ErrorCode::MessageTooLong,
            format!("A message can be at most {} characters.", limits::MAX_MESSAGE_CHARS),
        ));
    }
    Ok(text.to_owned())
}
