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
        /// A teammate's words before translation (`ClientFrame::Send`'s `original`).
        original: Option<String>,
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
        /// Ask the visitor to rate the chat.
        ask_rating: bool,
    },
    /// The visitor's rating of the chat they were asked about (the shell checks it is the
    /// visitor).
    Rate {
        ticket: u32,
        score: u8,
        comment: String,
    },
    /// `to` must already be known to be a teammate who can respond.
    Reassign {
        by: Actor,
        to: AgentRef,
    },
    End {
        by: Actor,
        /// Closed as spam: the inbox stops listing it.
        spam: bool,
    },
    /// A teammate opens an ended conversation again.
    Reopen {
        by: Actor,
    },
    /// What the AI answered to the visitor message `turn` (its sequence number).
    BotReplied {
        turn: Seq,
        reply: BotReply,
    },
    /// Outside business hours: the visitor's message for the team, which opens a pending
    /// ticket. The shell has already checked the name and email that come with it.
    LeaveMessage {
        client_id: String,
        text: String,
    },
    /// Time passed: apply the rules that depend on it (see [`Conversation::next_deadline`]).
    Tick,
    /// A channel's visitor sent what the team cannot read (a photo…), recorded for the team;
    /// the same `client_id` once.
    ChannelUnsupported {
        client_id: String,
        what: String,
    },
    /// What item `seq` told the visitor could not reach their channel.
    ChannelUndelivered {
        seq: Option<Seq>,
        error: String,
    },
    /// The site reports that agent `agent_id` has been offline since `offline_since`; after
    /// `after` of that, a conversation they hold goes back to Pending.
    AssigneeAway {
        agent_id: String,
        offline_since: Millis,
        after: Millis,
    },
}

/// The site's takeover rules, set by the shell from its settings. They decide what happens
/// next and are never replayed: stored items record what they decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Whether visitors and the AI may ask for a person at all.
    pub takeover: bool,
    /// Within business hours now; outside them, asking for a person offers the contact form.
    pub open: bool,
    /// Someone can answer now (or the site keeps visitors waiting regardless); otherwise
    /// asking for a person offers the contact form.
    pub staffed: bool,
    /// When business hours begin again, while closed.
    pub back_at: Option<Millis>,
    /// What a visitor asking for a person is told to expect, in seconds.
    pub expected_wait_secs: Option<u32>,
    /// Nobody claimed within this long: the visitor is told and the AI resumes.
    pub unclaimed_after: Option<Millis>,
    /// While a visitor waits for a person, the AI answers their messages meanwhile.
    pub answers_while_waiting: bool,
    /// A conversation with the AI or with a person that has had nothing new for this long
    /// closes; the visitor writing again opens it again.
    pub idle_close_after: Option<Millis>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            takeover: true,
            open: true,
            staffed: true,
            back_at: None,
            expected_wait_secs: None,
            unclaimed_after: None,
            answers_while_waiting: false,
            idle_close_after: None,
        }
    }
}

/// An engine's answer: text for the visitor, a decision to hand over, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BotReply {
    pub text: Option<String>,
    pub handover: Option<String>,
    /// What the answer cost, for the site's usage count; not part of the conversation.
    pub tokens: Option<u64>,
    /// The FAQ entry the answer came from.
    pub source: Option<crate::protocol::AnswerSource>,
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
    /// A takeover cycle's ticket begins: with its agent on a claim, or pending (no agent)
    /// when left through the out-of-hours form.
    OpenTicket {
        number: u32,
        agent: Option<AgentRef>,
        at: Millis,
        offline: bool,
        /// How long the visitor waited for this claim, from asking for a person.
        waited: Option<Millis>,
    },
    /// The ticket waits for an agent again.
    UnassignTicket {
        number: u32,
    },
    AssignTicket {
        number: u32,
        agent: AgentRef,
    },
    ResolveTicket {
        number: u32,
        at: Millis,
    },
    /// The visitor rated the ticket's chat.
    RateTicket {
        number: u32,
        score: u8,
        comment: String,
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
    /// When the current phase began: the wait for a person, or the assignee's turn.
    phase_since: Millis,
    /// Ticket `tickets` exists but waits for an agent: claiming takes it over.
    ticket_pending: bool,
    /// The ticket the visitor was last asked to rate, until they do.
    unrated: Option<u32>,
    /// When the newest item was stored: idleness counts from it.
    last_at: Millis,
    /// Ended for being idle (not by anyone): the visitor writing again reopens it.
    idle_closed: bool,
    rules: Rules,
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

    pub fn set_rules(&mut self, rules: Rules) {
        self.rules = rules;
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// When [`Input::Tick`] will next change something: the end of the wait for a claim, or
    /// of an idle chat with the AI or a person. A pending ticket (left out of hours, or
    /// requeued) waits for a person however long; so does any request for one.
    pub fn next_deadline(&self) -> Option<Millis> {
        match self.phase {
            PhaseState::Escalated if !self.ticket_pending => {
                self.rules.unclaimed_after.map(|after| self.phase_since + after)
            }
            PhaseState::Bot | PhaseState::Active(_) => {
                self.rules.idle_close_after.map(|after| self.last_at + after)
            }
            _ => None,
        }
    }

    pub fn view(&self) -> StateView {
        StateView {
            phase: self.phase(),
            assignee: self.assignee().cloned(),
            ticket: self.assignee().map(|_| self.tickets),
        }
    }

    /// The AI owes an answer: it is answering (with no person asked for, or while the visitor
    /// waits for one if the site says so) and the newest visitor message came after both the
    /// last phase change and the last AI message. The shell asks again after a restart lost a
    /// pending call.
    pub fn bot_turn_pending(&self) -> Option<Seq> {
        let answering = match self.phase {
            PhaseState::Bot => true,
            PhaseState::Escalated => self.rules.answers_while_waiting,
            _ => false,
        };
        let owed = answering
            && self.last_visitor_seq > self.phase_changed_at
            && self.last_visitor_seq > self.last_bot_seq;
        owed.then_some(self.last_visitor_seq)
    }

    pub fn handle(&mut self, now: Millis, input: Input) -> Outcome {
        match input {
            Input::Message { from, client_id, text, original } => {
                self.message(now, from, client_id, text, original)
            }
            Input::Note { from, client_id, text } => self.note(now, from, client_id, text),
            Input::RequestHuman => self.request_human(now),
            Input::Claim { by } => self.claim(now, by),
            Input::HandBack { by, ask_rating } => self.hand_back(now, by, ask_rating),
            Input::Rate { ticket, score, comment } => self.rate(now, ticket, score, comment),
            Input::Reassign { by, to } => self.reassign(now, by, to),
            Input::End { by, spam } => self.end(now, by, spam),
            Input::Reopen { by } => self.reopen(now, by),
            Input::BotReplied { turn, reply } => Ok(self.bot_replied(now, turn, reply)),
            Input::LeaveMessage { client_id, text } => self.leave_message(now, client_id, text),
            Input::Tick => Ok(self.tick(now)),
            Input::ChannelUnsupported { client_id, what } => {
                if let Some(ack) = self.resent(Sender::Visitor, &client_id)? {
                    return Ok(vec![ack]);
                }
                // Closed for good: the chat's next conversation takes it.
                if self.phase == PhaseState::Ended && !self.idle_closed {
                    return Err(ended());
                }
                let event = Event::ChannelUnsupported { client_id: client_id.clone(), what };
                Ok(vec![self.event(now, event), Effect::Ack { client_id, seq: self.last_seq }])
            }
            Input::ChannelUndelivered { seq, error } => {
                Ok(vec![self.event(now, Event::ChannelUndelivered { seq, error })])
            }
            Input::AssigneeAway { agent_id, offline_since, after } => {
                self.assignee_away(now, &agent_id, offline_since, after)
            }
        }
    }

    /// Advances the state by one stored item. Live handling and replay both come through here.
    pub fn apply(&mut self, item: &Item) {
        self.last_seq = item.seq;
        // A platform's report that something was not delivered is nobody's activity: it does
        // not put off the idle close.
        if !matches!(item.body, ItemBody::Event(Event::ChannelUndelivered { .. })) {
            self.last_at = item.at;
        }
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
                    Event::Escalated { offline, .. } => {
                        if *offline {
                            self.tickets += 1;
                            self.ticket_pending = true;
                        }
                        PhaseState::Escalated
                    }
                    Event::Requeued { .. } => {
                        self.ticket_pending = true;
                        PhaseState::Escalated
                    }
                    Event::AgentJoined { agent, ticket } => {
                        self.tickets = *ticket;
                        self.ticket_pending = false;
                        // A request for a rating not answered before the next chat with a
                        // person is dropped: a rating then would land on the old ticket.
                        self.unrated = None;
                        PhaseState::Active(agent.clone())
                    }
                    Event::Reassigned { to, .. } => PhaseState::Active(to.clone()),
                    Event::AgentLeft { .. } => return,
                    Event::RatingAsked { ticket } => {
                        self.unrated = Some(*ticket);
                        return;
                    }
                    Event::Rated { ticket, .. } => {
                        if self.unrated == Some(*ticket) {
                            self.unrated = None;
                        }
                        return;
                    }
                    // The offer of the contact form is the answer to the visitor's turn.
                    Event::OutOfHours { .. } => {
                        self.last_bot_seq = item.seq;
                        return;
                    }
                    Event::AiResumed { .. } | Event::Unclaimed => {
                        self.ticket_pending = false;
                        PhaseState::Bot
                    }
                    Event::Ended { by, .. } => {
                        self.idle_closed = *by == EndedBy::Idle;
                        PhaseState::Ended
                    }
                    Event::Reopened { .. } => {
                        self.idle_closed = false;
                        PhaseState::Bot
                    }
                    Event::ChannelUnsupported { client_id, .. } => {
                        self.seen.insert((Sender::Visitor, client_id.clone()), item.seq);
                        return;
                    }
                    Event::ChannelUndelivered { .. } => return,
                };
                self.phase = next;
                self.phase_changed_at = item.seq;
                self.phase_since = item.at;
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

    fn message(
        &mut self,
        now: Millis,
        from: Actor,
        client_id: String,
        text: String,
        original: Option<String>,
    ) -> Outcome {
        let (sender, author) = match &from {
            Actor::Visitor => (Sender::Visitor, Author::Visitor),
            Actor::Agent { agent, role } => {
                require_responder(*role)?;
                (Sender::Agent(agent.id.clone()), Author::Agent(agent.clone()))
            }
        };
        if let Some(ack) = self.resent(sender, &client_id)? {
            return Ok(vec![ack]);
        }
        let text = validate_text(&text)?;
        // Only a teammate translates; an original that cleans to nothing says nothing.
        let original = match original.map(|o| crate::clean::message(&o)) {
            Some(_) if author == Author::Visitor => {
                return Err(Refusal::new(
                    ErrorCode::Forbidden,
                    "Only a teammate's message has an original.",
                ));
            }
            Some(o) if o.chars().count() > limits::MAX_MESSAGE_CHARS => {
                return Err(Refusal::new(
                    ErrorCode::MessageTooLong,
                    format!(
                        "The words a translation was made from can be at most {} characters.",
                        limits::MAX_MESSAGE_CHARS
                    ),
                ));
            }
            Some(o) if !crate::clean::is_blank(&o) => Some(o),
            _ => None,
        };
        let mut effects = Vec::new();
        match (&self.phase, &author) {
            // Closed only for being quiet: the visitor picks it up again.
            (PhaseState::Ended, Author::Visitor) if self.idle_closed => {
                effects.push(self.event(now, Event::Reopened { by: None }));
                effects.push(Effect::StateChanged(self.view()));
            }
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
        let body = ItemBody::Message(Message {
            author,
            client_id: Some(client_id.clone()),
            text,
            source: None,
            original,
        });
        effects.extend(self.store_acked(now, body, client_id));
        if matches!(from, Actor::Visitor) && self.bot_turn_pending() == Some(self.last_seq) {
            effects.push(Effect::AskBot { turn: self.last_seq });
        }
        Ok(effects)
    }

    /// Checks a message id; for one already stored from this sender, the acknowledgement to
    /// send again instead of storing it twice.
    fn resent(&self, sender: Sender, client_id: &str) -> Result<Option<Effect>, Refusal> {
        validate_client_id(client_id)?;
        let seq = self.seen.get(&(sender, client_id.to_owned())).copied();
        Ok(seq.map(|seq| Effect::Ack { client_id: client_id.to_owned(), seq }))
    }

    /// Stores a message or note and acknowledges it to its sender.
    fn store_acked(&mut self, now: Millis, body: ItemBody, client_id: String) -> [Effect; 2] {
        let stored = self.append(now, body);
        [stored, Effect::Ack { client_id, seq: self.last_seq }]
    }

    /// Notes change no state; any teammate who can respond may write one, in any phase but
    /// the end.
    fn note(&mut self, now: Millis, from: Actor, client_id: String, text: String) -> Outcome {
        let (agent, role) = agent_of(from)?;
        require_responder(role)?;
        if let Some(ack) = self.resent(Sender::Agent(agent.id.clone()), &client_id)? {
            return Ok(vec![ack]);
        }
        let text = validate_text(&text)?;
        if self.phase == PhaseState::Ended {
            return Err(ended());
        }
        let note = Message {
            author: Author::Agent(agent),
            client_id: Some(client_id.clone()),
            text,
            source: None,
            original: None,
        };
        Ok(self.store_acked(now, ItemBody::Note(note), client_id).to_vec())
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
        if !self.rules.takeover {
            return Err(takeover_off());
        }
        Ok(self.ask_for_person(now, EscalatedBy::Visitor, None))
    }

    /// Escalates when someone can answer; out of hours or with nobody available, offers the
    /// contact form instead.
    fn ask_for_person(
        &mut self,
        now: Millis,
        by: EscalatedBy,
        reason: Option<String>,
    ) -> Vec<Effect> {
        if !self.rules.open {
            let closed = Event::OutOfHours { back_at: self.rules.back_at, unstaffed: false };
            return vec![self.event(now, closed)];
        }
        if !self.rules.staffed {
            return vec![self.event(now, Event::OutOfHours { back_at: None, unstaffed: true })];
        }
        let expected_wait_secs = self.rules.expected_wait_secs;
        let escalated = Event::Escalated { by, reason, offline: false, expected_wait_secs };
        let escalated = self.event(now, escalated);
        vec![escalated, Effect::StateChanged(self.view())]
    }

    /// The out-of-hours form: the visitor's message, then a pending ticket flagged offline.
    fn leave_message(&mut self, now: Millis, client_id: String, text: String) -> Outcome {
        if let Some(ack) = self.resent(Sender::Visitor, &client_id)? {
            return Ok(vec![ack]);
        }
        let text = validate_text(&text)?;
        match self.phase {
            PhaseState::Bot => {}
            PhaseState::Ended => return Err(ended()),
            _ => {
                return Err(Refusal::new(
                    ErrorCode::InvalidState,
                    "The team already has this conversation; just write here.",
                ));
            }
        }
        if !self.rules.takeover {
            return Err(takeover_off());
        }
        let body = ItemBody::Message(Message {
            author: Author::Visitor,
            client_id: Some(client_id.clone()),
            text,
            source: None,
            original: None,
        });
        let [stored, ack] = self.store_acked(now, body, client_id);
        let escalated = Event::Escalated {
            by: EscalatedBy::Visitor,
            reason: None,
            offline: true,
            expected_wait_secs: None,
        };
        let escalated = self.event(now, escalated);
        let number = self.tickets;
        Ok(vec![
            stored,
            escalated,
            Effect::OpenTicket { number, agent: None, at: now, offline: true, waited: None },
            ack,
            Effect::StateChanged(self.view()),
        ])
    }

    fn tick(&mut self, now: Millis) -> Vec<Effect> {
        match self.next_deadline() {
            Some(deadline) if now < deadline => Vec::new(),
            None => Vec::new(),
            Some(_) if self.phase == PhaseState::Escalated => {
                vec![self.event(now, Event::Unclaimed), Effect::StateChanged(self.view())]
            }
            Some(_) => {
                let open_ticket = self.assignee().is_some().then_some(self.tickets);
                let ended = Event::Ended { by: EndedBy::Idle, spam: false };
                let mut effects = vec![self.event(now, ended)];
                if let Some(number) = open_ticket {
                    effects.push(Effect::ResolveTicket { number, at: now });
                }
                effects.push(Effect::StateChanged(self.view()));
                effects
            }
        }
    }

    fn reopen(&mut self, now: Millis, by: Actor) -> Outcome {
        let (agent, role) = agent_of(by)?;
        require_responder(role)?;
        if self.phase != PhaseState::Ended {
            return Err(Refusal::new(ErrorCode::InvalidState, "The conversation is open."));
        }
        let reopened = self.event(now, Event::Reopened { by: Some(agent) });
        Ok(vec![reopened, Effect::StateChanged(self.view())])
    }

    fn assignee_away(
        &mut self,
        now: Millis,
        agent_id: &str,
        offline_since: Millis,
        after: Millis,
    ) -> Outcome {
        let holder = match &self.phase {
            PhaseState::Active(holder) if holder.id == agent_id => holder.clone(),
            _ => {
                return Err(Refusal::new(
                    ErrorCode::InvalidState,
                    "That agent holds nothing here.",
                ));
            }
        };
        // Offline before they took it counts from when they took it.
        if now < offline_since.max(self.phase_since) + after {
            return Err(Refusal::new(
                ErrorCode::InvalidState,
                "The assignee is not away long enough.",
            ));
        }
        let number = self.tickets;
        let requeued = self.event(now, Event::Requeued { agent: holder });
        Ok(vec![requeued, Effect::UnassignTicket { number }, Effect::StateChanged(self.view())])
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
        // A pending ticket becomes this agent's; otherwise the claim opens the next one.
        let pending = self.ticket_pending;
        let number = if pending { self.tickets } else { self.tickets + 1 };
        let waited = (self.phase == PhaseState::Escalated && !pending)
            .then(|| (now - self.phase_since).max(0));
        let joined = self.event(now, Event::AgentJoined { agent: agent.clone(), ticket: number });
        let ticket = if pending {
            Effect::AssignTicket { number, agent }
        } else {
            Effect::OpenTicket { number, agent: Some(agent), at: now, offline: false, waited }
        };
        Ok(vec![joined, ticket, Effect::StateChanged(self.view())])
    }

    fn hand_back(&mut self, now: Millis, by: Actor, ask_rating: bool) -> Outcome {
        let (agent, role) = agent_of(by)?;
        let holder = self.holder_for(&agent, role)?;
        let ticket = self.tickets;
        let mut effects = vec![
            self.event(now, Event::AgentLeft { agent: holder }),
            self.event(now, Event::AiResumed { by: agent }),
        ];
        if ask_rating {
            effects.push(self.event(now, Event::RatingAsked { ticket }));
        }
        effects.push(Effect::ResolveTicket { number: ticket, at: now });
        effects.push(Effect::StateChanged(self.view()));
        Ok(effects)
    }

    /// The visitor's rating: only of the chat they were asked about, once, 1 to 5.
    fn rate(&mut self, now: Millis, ticket: u32, score: u8, comment: String) -> Outcome {
        if self.phase == PhaseState::Ended {
            return Err(ended());
        }
        if self.unrated != Some(ticket) {
            return Err(Refusal::new(ErrorCode::InvalidState, "There is no chat to rate."));
        }
        if !(1..=5).contains(&score) {
            return Err(Refusal::new(ErrorCode::MalformedFrame, "A rating is 1 to 5."));
        }
        let comment = crate::clean::message(&comment).trim().to_owned();
        if comment.chars().count() > limits::MAX_RATING_COMMENT_CHARS {
            return Err(Refusal::new(
                ErrorCode::MessageTooLong,
                format!(
                    "A rating's comment can be at most {} characters.",
                    limits::MAX_RATING_COMMENT_CHARS
                ),
            ));
        }
        let rated = self.event(now, Event::Rated { ticket, score, comment: comment.clone() });
        Ok(vec![rated, Effect::RateTicket { number: ticket, score, comment }])
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

    /// Closing for good is a teammate's decision: the holder or an owner or admin while
    /// someone holds the conversation, any teammate who can respond otherwise. A visitor who
    /// is done simply leaves; the conversation stays open for them to come back to.
    fn end(&mut self, now: Millis, by: Actor, spam: bool) -> Outcome {
        let (agent, role) = agent_of(by)?;
        require_responder(role)?;
        match &self.phase {
            PhaseState::Ended => return Err(ended()),
            PhaseState::Active(_) => {
                self.holder_for(&agent, role)?;
            }
            PhaseState::Bot | PhaseState::Escalated => {}
        }
        let open_ticket =
            (self.assignee().is_some() || self.ticket_pending).then_some(self.tickets);
        let ended = Event::Ended { by: EndedBy::Agent(agent), spam };
        let mut effects = vec![self.event(now, ended)];
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
        // An engine is outside our control (a model server, the owner's bot): its words are
        // cleaned and held to the length of any message, like everyone else's.
        let text = reply.text.map(|t| {
            crate::clean::message(&t).chars().take(limits::MAX_MESSAGE_CHARS).collect::<String>()
        });
        let handover: Option<String> =
            reply.handover.map(|r| crate::clean::name(&r).chars().take(200).collect());
        if let Some(text) = text.filter(|t| !crate::clean::is_blank(t)) {
            let source = reply.source;
            let body = ItemBody::Message(Message {
                author: Author::Bot,
                client_id: None,
                text,
                source,
                original: None,
            });
            effects.push(self.append(now, body));
        }
        // Without takeover the AI's wish for a person goes unheard, and while the visitor
        // already waits for one it adds nothing; out of hours the visitor is offered the
        // contact form instead.
        let waiting = self.phase() != Phase::Bot;
        if let Some(reason) = handover.filter(|_| self.rules.takeover && !waiting) {
            let reason = Some(reason).filter(|r| !r.is_empty());
            effects.extend(self.ask_for_person(now, EscalatedBy::Bot, reason));
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

fn takeover_off() -> Refusal {
    Refusal::new(ErrorCode::TakeoverOff, "This site's assistant answers on its own.")
}

fn ended() -> Refusal {
    Refusal::new(ErrorCode::ConversationEnded, "This conversation has ended.")
}

/// 1 to `MAX_CLIENT_ID_BYTES` letters, digits, `-` or `_`.
pub fn is_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= limits::MAX_CLIENT_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn validate_client_id(id: &str) -> Result<(), Refusal> {
    if is_client_id(id) {
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
    let text = crate::clean::message(text);
    if crate::clean::is_blank(&text) {
        return Err(Refusal::new(ErrorCode::EmptyMessage, "A message needs some text."));
    }
    if text.chars().count() > limits::MAX_MESSAGE_CHARS {
        return Err(Refusal::new(
            ErrorCode::MessageTooLong,
            format!("A message can be at most {} characters.", limits::MAX_MESSAGE_CHARS),
        ));
    }
    Ok(text)
}
