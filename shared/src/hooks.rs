//! Lifecycle webhooks: a site's endpoints hear what happens to its conversations
//! (`conversation.started`, `.escalated`, `.claimed`, `.released`, `.ended`, `message.created`,
//! `ticket.created`, `ticket.resolved`), signed as the Standard Webhooks specification says
//! (see [`crate::signing`]), retried on its schedule with the same event id each time.

use serde::{Deserialize, Serialize};

use crate::protocol::{AgentRef, Author, EndedBy, EscalatedBy, Event, Item, ItemBody, Millis};

/// Every event an endpoint can choose.
pub const EVENTS: [&str; 8] = [
    "conversation.started",
    "conversation.escalated",
    "conversation.claimed",
    "conversation.released",
    "conversation.ended",
    "message.created",
    "ticket.created",
    "ticket.resolved",
];

/// What "Send test event" sends.
pub const TEST_EVENT: &str = "webhook.test";

/// Endpoints a site may have.
pub const MAX_ENDPOINTS: usize = 10;

/// When each attempt goes, after the one before (the first at once): the specification's
/// schedule, 8 attempts over about 41 hours.
pub const SCHEDULE_MS: [Millis; 8] = [
    0,
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    24 * 3_600_000,
];

/// How long an endpoint has to answer.
pub const TIMEOUT_MS: u64 = 15_000;

/// How long the secret a rotation replaced still signs (beside the new one).
pub const ROTATION_OVERLAP_MS: Millis = 24 * 3_600_000;

/// Who did what an event reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    Visitor,
    Ai,
    Agent {
        id: String,
        name: String,
    },
    /// A rule of the site (a timeout, idle close) rather than a person.
    System,
}

/// One lifecycle event as a conversation reports it to its site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub at: Millis,
    pub conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<u32>,
    pub actor: Actor,
    /// What else the event carries: a message's text, an escalation's reason.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
    /// The messaging channel the conversation's visitor writes from; `None`: the website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<crate::channel::ChannelKind>,
}

/// The lifecycle event a stored item is, if any; messages only when `messages` (some endpoint
/// takes `message.created`, so no conversation reports every message for nothing).
pub fn from_item(conversation_id: &str, item: &Item, messages: bool) -> Option<HookEvent> {
    let agent = |a: &AgentRef| Actor::Agent { id: a.id.clone(), name: a.name.clone() };
    let (kind, actor, ticket, data) = match &item.body {
        ItemBody::Message(m) if messages => {
            let (actor, author) = match &m.author {
                Author::Visitor => (Actor::Visitor, "visitor"),
                Author::Bot => (Actor::Ai, "ai"),
                Author::Agent(a) => (agent(a), "agent"),
            };
            let data = serde_json::json!({ "seq": item.seq, "author": author, "text": m.text });
            ("message.created", actor, None, data)
        }
        ItemBody::Event(Event::Escalated { by, reason, offline, .. }) => {
            let actor = match by {
                EscalatedBy::Visitor => Actor::Visitor,
                EscalatedBy::Bot => Actor::Ai,
            };
            let data = serde_json::json!({ "reason": reason, "left_message": offline });
            ("conversation.escalated", actor, None, data)
        }
        ItemBody::Event(Event::AgentJoined { agent: a, ticket }) => {
            ("conversation.claimed", agent(a), Some(*ticket), serde_json::Value::Null)
        }
        ItemBody::Event(Event::AiResumed { by }) => {
            ("conversation.released", agent(by), None, serde_json::Value::Null)
        }
        ItemBody::Event(Event::Ended { by, spam }) => {
            let actor = match by {
                EndedBy::Visitor => Actor::Visitor,
                EndedBy::Agent(a) => agent(a),
                EndedBy::Idle => Actor::System,
            };
            ("conversation.ended", actor, None, serde_json::json!({ "spam": spam }))
        }
        _ => return None,
    };
    Some(HookEvent {
        kind: kind.into(),
        at: item.at,
        conversation_id: conversation_id.into(),
        ticket,
        actor,
        data,
        channel: None,
    })
}

/// The body an endpoint receives.
pub fn payload(id: &str, site_key: &str, time_iso: &str, e: &HookEvent) -> serde_json::Value {
    let mut body = serde_json::json!({
        "id": id,
        "type": e.kind,
        "time": time_iso,
        "site": site_key,
        "conversation": { "id": e.conversation_id },
        "actor": e.actor,
    });
    if !e.conversation_id.is_empty() {
        body["conversation"]["channel"] = match e.channel {
            Some(kind) => serde_json::to_value(kind).unwrap_or_default(),
            None => "website".into(),
        };
    }
    if let Some(n) = e.ticket {
        body["ticket"] =
            serde_json::json!({ "id": format!("{}-{n}", e.conversation_id), "number": n });
    }
    if !e.data.is_null() {
        body["data"] = e.data.clone();
    }
    body
}

/// What an attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Try again on the schedule (a server error, a timeout, a refused connection, 408, 429).
    Retry,
    /// Refused for good (another 4xx): not tried again.
    Refused,
    /// 410 Gone: the endpoint is disabled.
    Gone,
}

/// The outcome of an HTTP status; `None` (no answer) is retried.
pub fn outcome(status: Option<u16>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        Some(410) => Outcome::Gone,
        Some(408 | 429) | None => Outcome::Retry,
        Some(400..=499) => Outcome::Refused,
        Some(_) => Outcome::Retry,
    }
}

/// When attempt `done + 1` goes after `done` attempts failed at `at`; `None` when the
/// schedule is spent.
pub fn next_attempt(done: usize, at: Millis) -> Option<Millis> {
    SCHEDULE_MS.get(done).map(|wait| at + wait)
}

/// An endpoint as the console shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// The secret's last characters, to tell secrets apart.
    pub hint: String,
    /// While a rotation's overlap runs: when the replaced secret stops signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_until: Option<Millis>,
    pub created_at: Millis,
}

/// `POST /api/admin/hooks` and `PATCH /api/admin/hooks/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A new endpoint, or a rotated secret: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// One delivery of an event to an endpoint, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<Millis>,
}

/// Checks an endpoint's URL and events.
pub fn validate(url: &str, events: &[String]) -> Result<(), String> {
    crate::validate::outbound_url(url, "The endpoint")?;
    if events.is_empty() || events.len() > EVENTS.len() * 2 {
        return Err("Choose at least one event.".into());
    }
    match events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        Some(e) => Err(format!("\"{}\" is not an event we send.", crate::clean::name(e))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_the_specification() {
        assert_eq!(outcome(Some(204)), Outcome::Delivered);
        assert_eq!(outcome(Some(410)), Outcome::Gone);
        assert_eq!(outcome(Some(404)), Outcome::Refused);
        assert_eq!(outcome(Some(429)), Outcome::Retry);
        assert_eq!(outcome(Some(503)), Outcome::Retry);
        assert_eq!(outcome(None), Outcome::Retry);
    }

    #[test]
    fn the_schedule_ends_after_eight_attempts() {
        assert_eq!(next_attempt(0, 100), Some(100));
        assert_eq!(next_attempt(1, 100), Some(5_100));
        assert_eq!(next_attempt(7, 0), Some(24 * 3_600_000));
        assert_eq!(next_attempt(8, 0), None);
    }

    #[test]
    fn endpoints_need_https_and_known_events() {
        let events = vec!["conversation.claimed".to_owned()];
        assert!(validate("https://crm.example/hooks", &events).is_ok());
        assert!(validate("http://crm.example/hooks", &events).is_err());
        assert!(validate("http://127.0.0.1:9/x", &events).is_ok());
        assert!(validate("https://crm.example/hooks", &[]).is_err());
        assert!(validate("https://crm.example/hooks", &["conversation.deleted".into()]).is_err());
    }

    #[test]
    fn items_become_events_and_messages_only_when_wanted() {
        use crate::protocol::{AgentRef, Message};
        let ana = AgentRef { id: "a1".into(), name: "Ana".into() };
        let joined = Item {
            seq: 3,
            at: 9,
            body: ItemBody::Event(Event::AgentJoined { agent: ana.clone(), ticket: 1 }),
        };
        let e = from_item("c1", &joined, false).unwrap();
        assert_eq!((e.kind.as_str(), e.ticket), ("conversation.claimed", Some(1)));
        assert_eq!(e.actor, Actor::Agent { id: "a1".into(), name: "Ana".into() });
        let said = Item {
            seq: 4,
            at: 10,
            body: ItemBody::Message(Message {
                author: Author::Visitor,
                client_id: None,
                text: "hi".into(),
                source: None,
                original: None,
            }),
        };
        assert!(from_item("c1", &said, false).is_none());
        assert_eq!(from_item("c1", &said, true).unwrap().data["text"], "hi");
    }

    #[test]
    fn payloads_carry_the_ticket_where_there_is_one() {
        let e = HookEvent {
            kind: "ticket.created".into(),
            at: 0,
            conversation_id: "c1".into(),
            ticket: Some(2),
            actor: Actor::Agent { id: "a".into(), name: "Ana".into() },
            data: serde_json::Value::Null,
            channel: None,
        };
        let p = payload("msg_1", "shop", "2026-12-03T00:00:00.000Z", &e);
        assert_eq!(p["ticket"]["id"], "c1-2");
        assert_eq!(p["actor"]["type"], "agent");
        assert_eq!(p["conversation"]["channel"], "website");
        assert!(p.get("data").is_none());
        let on = HookEvent { channel: Some(crate::channel::ChannelKind::WhatsApp), ..e };
        let p = payload("msg_2", "shop", "2026-12-03T00:00:00.000Z", &on);
        assert_eq!(p["conversation"]["channel"], "whatsapp");
    }
}
