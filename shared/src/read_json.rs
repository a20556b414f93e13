//! The JSON the browser apps read, by hand from a parsed [`Json`] rather than
//! through serde's derive. serde reads an internally or adjacently tagged enum by first
//! buffering the whole object into its private `Content` tree, and every derived reader
//! brings serde's error text (floats formatted among it): for the widget, whose every byte
//! each visitor downloads, that was the largest part of its wasm. Here the text is parsed once
//! and each tag picks its reader.
//!
//! The shapes are serde's, as the types declare them: the tests write every kind of frame
//! with serde (every struct built field by field, so a field added to a type fails to compile
//! there until it is given) and read it back here, and check that every field removed or
//! given another JSON type is kept or refused exactly as serde does.

use crate::json::Json;

use crate::api::{ApiError, ConversationCreated, WidgetConfig};
use crate::channel::{ChannelKind, ChannelPeer};
use crate::protocol::{
    AgentRef, AnswerSource, Author, EndedBy, ErrorCode, ErrorFrame, EscalatedBy, Event, Item,
    ItemBody, Message, Participant, Phase, Role, ServerFrame, StateView, Visit, VisitorProfile,
    Welcome,
};
use crate::texts::{Texts, WidgetTexts};

/// A frame as the server wrote it; none for anything else (not JSON, an unknown kind, a field
/// missing or of the wrong type), which the client ignores as it did serde's errors.
pub fn server_frame(text: &str) -> Option<ServerFrame> {
    frame(parse(text)?)
}

/// [`server_frame`] of JSON already parsed (the browser apps let the browser parse it).
pub fn frame(value: Json) -> Option<ServerFrame> {
    let mut f = Fields::of(value)?;
    Some(match f.string("type")?.as_str() {
        "welcome" => ServerFrame::Welcome(Welcome {
            version: f.number("version")?,
            conversation_id: f.string("conversation_id")?,
            you: participant(f.take("you"))?,
            state: state(f.take("state"))?,
            last_seq: f.number("last_seq")?,
            backlog: list(f.take("backlog"), item)?,
            visitor: f.or("visitor", VisitorProfile::default(), visitor)?,
            visit: f.maybe("visit", visit)?,
        }),
        "item" => ServerFrame::Item(item(f.rest())?),
        "ack" => ServerFrame::Ack { client_id: f.string("client_id")?, seq: f.number("seq")? },
        "state" => ServerFrame::State(state(f.rest())?),
        "typing" => ServerFrame::Typing {
            author: author(f.take("author"))?,
            on: f.bool("on")?,
            text: f.maybe_string("text")?,
        },
        "visitor" => ServerFrame::Visitor(visitor(f.rest())?),
        "bot_draft" => ServerFrame::BotDraft { turn: f.number("turn")?, text: f.string("text")? },
        "config" => ServerFrame::Config(widget_config(f.rest())?),
        "error" => ServerFrame::Error(error_frame(f.rest())?),
        "pong" => ServerFrame::Pong,
        "backlog" => ServerFrame::Backlog { items: list(f.take("items"), item)? },
        _ => return None,
    })
}

/// JSON text as a value; none when it is not JSON. The browser apps use the browser's own
/// parser instead (`takeover_client::json`), and so download none of serde_json's.
pub fn parse(text: &str) -> Option<Json> {
    serde_json::from_str::<serde_json::Value>(text).ok().map(Json::from)
}

/// `GET /api/sites/{key}/config`'s answer, as the `config` frame carries it.
pub fn widget_config(value: Json) -> Option<WidgetConfig> {
    let mut f = Fields::of(value)?;
    Some(WidgetConfig {
        site_key: f.string("site_key")?,
        title: f.string("title")?,
        color: f.string("color")?,
        human_button_after: f.number("human_button_after")?,
        open_now: f.or("open_now", true, |v| v.as_bool())?,
        takeover: f.or("takeover", true, |v| v.as_bool())?,
        show_human_button: f.or("show_human_button", true, |v| v.as_bool())?,
        ask_email: f.flag("ask_email")?,
        texts: f.or("texts", WidgetTexts::default(), |v| match v {
            Json::Object(map) => map.into_iter().map(|(k, v)| Some((k, texts(v)?))).collect(),
            _ => None,
        })?,
        suggestions: f.or("suggestions", Vec::new(), |v| list(v, string))?,
    })
}

/// A refusal's body (`{"code", "message"}`).
pub fn api_error(value: Json) -> Option<ApiError> {
    let mut f = Fields::of(value)?;
    Some(ApiError { code: f.string("code")?, message: f.string("message")? })
}

pub fn conversation_created(value: Json) -> Option<ConversationCreated> {
    let mut f = Fields::of(value)?;
    Some(ConversationCreated {
        conversation_id: f.string("conversation_id")?,
        token: f.string("token")?,
    })
}

/// An object's fields, each taken out once as it is read (no copies of the strings). Absent
/// and null are the same for optional fields, as for serde; a defaulted field may be absent
/// but not null, as for serde. A list, not the map: a frame has a dozen fields at most, and
/// the map's removal (its rebalancing) would be code every visitor downloads.
pub struct Fields(Vec<(String, Json)>);

impl Fields {
    pub fn of(value: Json) -> Option<Fields> {
        match value {
            Json::Object(fields) => Some(Fields(fields)),
            _ => None,
        }
    }

    fn remove(&mut self, key: &str) -> Option<Json> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.swap_remove(at).1)
    }

    /// The field, or null when absent.
    pub fn take(&mut self, key: &str) -> Json {
        self.remove(key).unwrap_or(Json::Null)
    }

    /// The fields not yet taken, as the object of a struct a variant holds inline.
    pub fn rest(self) -> Json {
        Json::Object(self.0)
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        string(self.take(key))
    }

    pub fn number<T: TryFrom<i64> + TryFrom<u64>>(&mut self, key: &str) -> Option<T> {
        number(self.take(key))
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        self.take(key).as_bool()
    }

    /// Some(None) when absent or null, None when not what `read` reads.
    pub fn maybe<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(Json) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.take(key) {
            Json::Null => Some(None),
            v => read(v).map(Some),
        }
    }

    pub fn maybe_string(&mut self, key: &str) -> Option<Option<String>> {
        self.maybe(key, string)
    }

    pub fn maybe_number<T: TryFrom<i64> + TryFrom<u64>>(&mut self, key: &str) -> Option<Option<T>> {
        self.maybe(key, number)
    }

    /// `default` when absent; what `read` reads when present (null included).
    pub fn or<T>(
        &mut self,
        key: &str,
        default: T,
        read: impl FnOnce(Json) -> Option<T>,
    ) -> Option<T> {
        self.remove(key).map_or(Some(default), read)
    }

    /// A flag serde defaults to false.
    pub fn flag(&mut self, key: &str) -> Option<bool> {
        self.or(key, false, |v| v.as_bool())
    }
}

pub fn string(value: Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s),
        _ => None,
    }
}

/// A whole number that fits `T`, as serde reads it (no fractions, no strings).
pub fn number<T: TryFrom<i64> + TryFrom<u64>>(value: Json) -> Option<T> {
    match value {
        Json::Unsigned(u) => T::try_from(u).ok(),
        Json::Negative(i) => T::try_from(i).ok(),
        _ => None,
    }
}

pub fn list<T>(value: Json, read: impl Fn(Json) -> Option<T>) -> Option<Vec<T>> {
    match value {
        Json::Array(all) => all.into_iter().map(read).collect(),
        _ => None,
    }
}

/// The names serde gives these types' variants (a test holds each table to the declaration).
const CHANNEL_KINDS: [(&str, ChannelKind); 2] =
    [("telegram", ChannelKind::Telegram), ("whatsapp", ChannelKind::WhatsApp)];
const ESCALATORS: [(&str, EscalatedBy); 2] =
    [("visitor", EscalatedBy::Visitor), ("bot", EscalatedBy::Bot)];

/// The unit variant serde writes as the name paired with it in `all`.
fn named<T: Copy>(value: Json, all: &[(&str, T)]) -> Option<T> {
    let name = string(value)?;
    all.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn item(value: Json) -> Option<Item> {
    let mut f = Fields::of(value)?;
    Some(Item { seq: f.number("seq")?, at: f.number("at")?, body: body(f.take("body"))? })
}

fn body(value: Json) -> Option<ItemBody> {
    let mut f = Fields::of(value)?;
    Some(match f.string("kind")?.as_str() {
        "message" => ItemBody::Message(message(f.take("data"))?),
        "note" => ItemBody::Note(message(f.take("data"))?),
        "event" => ItemBody::Event(event(f.take("data"))?),
        _ => return None,
    })
}

fn message(value: Json) -> Option<Message> {
    let mut f = Fields::of(value)?;
    Some(Message {
        author: author(f.take("author"))?,
        client_id: f.maybe_string("client_id")?,
        text: f.string("text")?,
        source: f.maybe("source", |v| {
            let mut s = Fields::of(v)?;
            Some(AnswerSource {
                faq_question: s.string("faq_question")?,
                confidence: s.number("confidence")?,
            })
        })?,
        original: f.maybe_string("original")?,
    })
}

fn agent(value: Json) -> Option<AgentRef> {
    let mut f = Fields::of(value)?;
    Some(AgentRef { id: f.string("id")?, name: f.string("name")? })
}

fn author(value: Json) -> Option<Author> {
    let mut f = Fields::of(value)?;
    Some(match f.string("kind")?.as_str() {
        "visitor" => Author::Visitor,
        "bot" => Author::Bot,
        "agent" => Author::Agent(agent(f.rest())?),
        _ => return None,
    })
}

fn participant(value: Json) -> Option<Participant> {
    let mut f = Fields::of(value)?;
    Some(match f.string("kind")?.as_str() {
        "visitor" => Participant::Visitor,
        "agent" => Participant::Agent {
            agent: agent(f.take("agent"))?,
            role: Role::parse(&f.string("role")?)?,
        },
        _ => return None,
    })
}

fn state(value: Json) -> Option<StateView> {
    let mut f = Fields::of(value)?;
    Some(StateView {
        phase: Phase::parse(&f.string("phase")?)?,
        assignee: f.maybe("assignee", agent)?,
        ticket: f.maybe_number("ticket")?,
    })
}

fn visitor(value: Json) -> Option<VisitorProfile> {
    let mut f = Fields::of(value)?;
    Some(VisitorProfile {
        name: f.maybe_string("name")?,
        email: f.maybe_string("email")?,
        language: f.maybe_string("language")?,
        user_id: f.maybe_string("user_id")?,
    })
}

fn visit(value: Json) -> Option<Visit> {
    let mut f = Fields::of(value)?;
    Some(Visit {
        page_url: f.maybe_string("page_url")?,
        user_agent: f.maybe_string("user_agent")?,
        replies_mailed: f.flag("replies_mailed")?,
        mailed_after_secs: f.or("mailed_after_secs", 0, number)?,
        channel: f.maybe("channel", |v| {
            let mut c = Fields::of(v)?;
            Some(ChannelPeer {
                kind: named(c.take("kind"), &CHANNEL_KINDS)?,
                address: c.string("address")?,
                handle: c.maybe_string("handle")?,
                name: c.maybe_string("name")?,
            })
        })?,
        reply_window_ms: f.maybe_number("reply_window_ms")?,
    })
}

fn error_frame(value: Json) -> Option<ErrorFrame> {
    let mut f = Fields::of(value)?;
    Some(ErrorFrame {
        code: named(f.take("code"), &ErrorCode::ALL.map(|c| (c.as_str(), c)))?,
        message: f.string("message")?,
        client_id: f.maybe_string("client_id")?,
        agent: f.maybe("agent", agent)?,
        retryable: f.flag("retryable")?,
    })
}

fn texts(value: Json) -> Option<Texts> {
    let mut f = Fields::of(value)?;
    Some(Texts {
        greeting: f.maybe_string("greeting")?,
        handover: f.maybe_string("handover")?,
        out_of_hours: f.maybe_string("out_of_hours")?,
        joined: f.maybe_string("joined")?,
        left: f.maybe_string("left")?,
        unclaimed: f.maybe_string("unclaimed")?,
    })
}

fn event(value: Json) -> Option<Event> {
    let mut f = Fields::of(value)?;
    Some(match f.string("event")?.as_str() {
        "escalated" => Event::Escalated {
            by: named(f.take("by"), &ESCALATORS)?,
            reason: f.maybe_string("reason")?,
            offline: f.flag("offline")?,
            expected_wait_secs: f.maybe_number("expected_wait_secs")?,
        },
        "out_of_hours" => Event::OutOfHours {
            back_at: f.maybe_number("back_at")?,
            unstaffed: f.flag("unstaffed")?,
        },
        "unclaimed" => Event::Unclaimed,
        "requeued" => Event::Requeued { agent: agent(f.take("agent"))? },
        "agent_joined" => {
            Event::AgentJoined { agent: agent(f.take("agent"))?, ticket: f.number("ticket")? }
        }
        "agent_left" => Event::AgentLeft { agent: agent(f.take("agent"))? },
        "rating_asked" => Event::RatingAsked { ticket: f.number("ticket")? },
        "rated" => Event::Rated {
            ticket: f.number("ticket")?,
            score: f.number("score")?,
            comment: f.or("comment", String::new(), string)?,
        },
        "ai_resumed" => Event::AiResumed { by: agent(f.take("by"))? },
        "reassigned" => {
            Event::Reassigned { from: agent(f.take("from"))?, to: agent(f.take("to"))? }
        }
        "ended" => Event::Ended {
            by: {
                let mut by = Fields::of(f.take("by"))?;
                match by.string("kind")?.as_str() {
                    "visitor" => EndedBy::Visitor,
                    "agent" => EndedBy::Agent(agent(by.rest())?),
                    "idle" => EndedBy::Idle,
                    _ => return None,
                }
            },
            spam: f.flag("spam")?,
        },
        "reopened" => Event::Reopened { by: f.maybe("by", agent)? },
        "channel_unsupported" => {
            Event::ChannelUnsupported { client_id: f.string("client_id")?, what: f.string("what")? }
        }
        "channel_undelivered" => {
            Event::ChannelUndelivered { seq: f.maybe_number("seq")?, error: f.string("error")? }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PROTOCOL_VERSION;
    use serde::{Serialize, de::DeserializeOwned};
    use serde_json::Value;
    use std::fmt::Debug;

    fn maria() -> AgentRef {
        AgentRef { id: "a1".into(), name: "María \"M\" ✓".into() }
    }

    /// Every event, with its optional fields both absent and present.
    fn events() -> Vec<Event> {
        let m = maria;
        vec![
            Event::Escalated {
                by: EscalatedBy::Visitor,
                reason: None,
                offline: false,
                expected_wait_secs: None,
            },
            Event::Escalated {
                by: EscalatedBy::Bot,
                reason: Some("no answer".into()),
                offline: true,
                expected_wait_secs: Some(180),
            },
            Event::OutOfHours { back_at: None, unstaffed: false },
            Event::OutOfHours { back_at: Some(1_700_000_000_000), unstaffed: true },
            Event::Unclaimed,
            Event::Requeued { agent: m() },
            Event::AgentJoined { agent: m(), ticket: 3 },
            Event::AgentLeft { agent: m() },
            Event::RatingAsked { ticket: 3 },
            Event::Rated { ticket: 3, score: 5, comment: String::new() },
            Event::Rated { ticket: 3, score: 1, comment: "slow".into() },
            Event::AiResumed { by: m() },
            Event::Reassigned { from: m(), to: AgentRef { id: "a2".into(), name: "Li".into() } },
            Event::Ended { by: EndedBy::Visitor, spam: false },
            Event::Ended { by: EndedBy::Agent(m()), spam: true },
            Event::Ended { by: EndedBy::Idle, spam: false },
            Event::Reopened { by: None },
            Event::Reopened { by: Some(m()) },
            Event::ChannelUnsupported { client_id: "tg:9".into(), what: "sticker".into() },
            Event::ChannelUndelivered { seq: None, error: "blocked".into() },
            Event::ChannelUndelivered { seq: Some(12), error: "blocked".into() },
        ]
    }

    fn bodies() -> Vec<ItemBody> {
        let plain = |author| Message {
            author,
            client_id: None,
            text: "Hello\n<b>there</b>".into(),
            source: None,
            original: None,
        };
        let full = Message {
            author: Author::Agent(maria()),
            client_id: Some("m123".into()),
            text: "Bonjour".into(),
            source: Some(AnswerSource { faq_question: "Returns?".into(), confidence: 87 }),
            original: Some("Hello".into()),
        };
        let mut all = vec![
            ItemBody::Message(plain(Author::Visitor)),
            ItemBody::Message(plain(Author::Bot)),
            ItemBody::Message(full.clone()),
            ItemBody::Note(full),
        ];
        all.extend(events().into_iter().map(ItemBody::Event));
        all
    }

    fn items() -> Vec<Item> {
        let at = |seq: u64| 1_700_000_000_000 + seq as i64;
        bodies()
            .into_iter()
            .zip(1u64..)
            .map(|(body, seq)| Item { seq, at: at(seq), body })
            .collect()
    }

    fn states() -> Vec<StateView> {
        vec![
            StateView { phase: Phase::Bot, assignee: None, ticket: None },
            StateView { phase: Phase::Escalated, assignee: None, ticket: Some(2) },
            StateView { phase: Phase::Active, assignee: Some(maria()), ticket: Some(2) },
            StateView { phase: Phase::Ended, assignee: None, ticket: None },
        ]
    }

    fn frames() -> Vec<ServerFrame> {
        let profile = VisitorProfile {
            name: Some("Ana".into()),
            email: Some("ana@example.com".into()),
            language: Some("pt".into()),
            user_id: Some("u-1".into()),
        };
        let visit = Visit {
            page_url: Some("https://shop.example/a?b=c".into()),
            user_agent: Some("Firefox".into()),
            replies_mailed: true,
            mailed_after_secs: 300,
            channel: Some(ChannelPeer {
                kind: ChannelKind::WhatsApp,
                address: "4915".into(),
                handle: Some("+4915".into()),
                name: None,
            }),
            reply_window_ms: Some(86_400_000),
        };
        let config = widget_configs().remove(0);
        let mut all = vec![
            ServerFrame::Welcome(Welcome {
                version: PROTOCOL_VERSION,
                conversation_id: "c1".into(),
                you: Participant::Visitor,
                state: states()[0].clone(),
                last_seq: 0,
                backlog: Vec::new(),
                visitor: VisitorProfile::default(),
                visit: None,
            }),
            ServerFrame::Welcome(Welcome {
                version: PROTOCOL_VERSION,
                conversation_id: "c1".into(),
                you: Participant::Agent { agent: maria(), role: Role::Owner },
                state: states()[2].clone(),
                last_seq: u64::from(u32::MAX) + 7,
                backlog: items(),
                visitor: profile.clone(),
                visit: Some(visit),
            }),
            ServerFrame::Ack { client_id: "m1".into(), seq: 9 },
            ServerFrame::Ack { client_id: "m1".into(), seq: u64::MAX },
            ServerFrame::BotDraft { turn: u64::MAX, text: String::new() },
            ServerFrame::Typing { author: Author::Bot, on: true, text: None },
            ServerFrame::Typing { author: Author::Visitor, on: false, text: Some("hel".into()) },
            ServerFrame::Typing { author: Author::Agent(maria()), on: true, text: None },
            ServerFrame::Visitor(profile),
            ServerFrame::Visitor(VisitorProfile::default()),
            ServerFrame::BotDraft { turn: 4, text: "Our returns".into() },
            ServerFrame::Config(config),
            ServerFrame::Error(ErrorFrame {
                code: ErrorCode::AlreadyClaimed,
                message: "Taken".into(),
                client_id: Some("c9".into()),
                agent: Some(maria()),
                retryable: true,
            }),
            ServerFrame::Pong,
            ServerFrame::Backlog { items: items() },
            ServerFrame::Backlog { items: Vec::new() },
        ];
        for role in [Role::Admin, Role::Responder, Role::Viewer] {
            all.push(ServerFrame::Welcome(Welcome {
                version: PROTOCOL_VERSION,
                conversation_id: "c2".into(),
                you: Participant::Agent { agent: maria(), role },
                state: states()[1].clone(),
                last_seq: 1,
                backlog: Vec::new(),
                visitor: VisitorProfile { language: Some("de".into()), ..Default::default() },
                // Each channel kind, by name.
                visit: Some(Visit {
                    channel: (role == Role::Admin).then(|| ChannelPeer {
                        kind: ChannelKind::Telegram,
                        address: "77".into(),
                        handle: None,
                        name: Some("Ana".into()),
                    }),
                    ..Visit::default()
                }),
            }));
        }
        all.extend(items().into_iter().map(ServerFrame::Item));
        all.extend(states().into_iter().map(ServerFrame::State));
        all.extend(
            ErrorCode::ALL
                .into_iter()
                .map(|code| ServerFrame::Error(ErrorFrame::new(code, "Refused", None))),
        );
        all.extend(widget_configs().into_iter().map(ServerFrame::Config));
        // Numbers at their types' ends, and optional fields one at a time.
        let edges = [
            Event::OutOfHours { back_at: Some(-1), unstaffed: false },
            Event::AgentJoined { agent: maria(), ticket: u32::MAX },
            Event::Rated { ticket: 0, score: u8::MAX, comment: String::new() },
            Event::ChannelUndelivered { seq: Some(u64::MAX), error: String::new() },
            Event::Escalated {
                by: EscalatedBy::Visitor,
                reason: None,
                offline: true,
                expected_wait_secs: Some(0),
            },
        ];
        let message = Message {
            author: Author::Visitor,
            client_id: Some("m9".into()),
            text: "hi".into(),
            source: None,
            original: None,
        };
        let mut bodies: Vec<ItemBody> = edges.into_iter().map(ItemBody::Event).collect();
        bodies.push(ItemBody::Message(message.clone()));
        bodies.push(ItemBody::Message(Message {
            author: Author::Bot,
            client_id: None,
            source: Some(AnswerSource { faq_question: "Q".into(), confidence: 0 }),
            ..message.clone()
        }));
        bodies.push(ItemBody::Note(Message { original: Some("o".into()), ..message }));
        all.extend(
            bodies
                .into_iter()
                .map(|body| ServerFrame::Item(Item { seq: u64::MAX, at: i64::MIN, body })),
        );
        all
    }

    /// Each variant's place, without a wildcard: a variant added to the protocol does not
    /// compile here until it is counted, and then fails the test until `frames()` has it.
    fn frame_kind(f: &ServerFrame) -> usize {
        match f {
            ServerFrame::Welcome(_) => 0,
            ServerFrame::Item(_) => 1,
            ServerFrame::Ack { .. } => 2,
            ServerFrame::State(_) => 3,
            ServerFrame::Typing { .. } => 4,
            ServerFrame::Visitor(_) => 5,
            ServerFrame::BotDraft { .. } => 6,
            ServerFrame::Config(_) => 7,
            ServerFrame::Error(_) => 8,
            ServerFrame::Pong => 9,
            ServerFrame::Backlog { .. } => 10,
        }
    }
    const FRAME_KINDS: usize = 11;

    fn event_kind(e: &Event) -> usize {
        match e {
            Event::Escalated { .. } => 0,
            Event::OutOfHours { .. } => 1,
            Event::Unclaimed => 2,
            Event::Requeued { .. } => 3,
            Event::AgentJoined { .. } => 4,
            Event::AgentLeft { .. } => 5,
            Event::RatingAsked { .. } => 6,
            Event::Rated { .. } => 7,
            Event::AiResumed { .. } => 8,
            Event::Reassigned { .. } => 9,
            Event::Ended { by: EndedBy::Visitor, .. } => 10,
            Event::Ended { by: EndedBy::Agent(_), .. } => 11,
            Event::Ended { by: EndedBy::Idle, .. } => 12,
            Event::Reopened { .. } => 13,
            Event::ChannelUnsupported { .. } => 14,
            Event::ChannelUndelivered { .. } => 15,
        }
    }
    const EVENT_KINDS: usize = 16;

    #[test]
    fn the_tests_hold_every_kind_of_frame_and_event() {
        let frames = frames();
        let mut seen: Vec<usize> = frames.iter().map(frame_kind).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..FRAME_KINDS).collect::<Vec<_>>());
        let mut seen: Vec<usize> = events().iter().map(event_kind).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..EVENT_KINDS).collect::<Vec<_>>());
        let mut authors: Vec<usize> = bodies()
            .iter()
            .filter_map(|b| match b {
                ItemBody::Message(m) | ItemBody::Note(m) => Some(match m.author {
                    Author::Visitor => 0,
                    Author::Bot => 1,
                    Author::Agent(_) => 2,
                }),
                ItemBody::Event(_) => None,
            })
            .collect();
        authors.sort_unstable();
        authors.dedup();
        assert_eq!(authors, [0, 1, 2]);
        let roles: Vec<Role> = frames
            .iter()
            .filter_map(|f| match f {
                ServerFrame::Welcome(Welcome { you: Participant::Agent { role, .. }, .. }) => {
                    Some(*role)
                }
                _ => None,
            })
            .collect();
        for role in [Role::Owner, Role::Admin, Role::Responder, Role::Viewer] {
            assert!(roles.contains(&role), "{role:?}");
        }
    }

    /// Every field of every sample, at any depth, taken out or replaced by a value of each
    /// JSON type: `read` keeps or refuses it exactly as serde does. Returns the cases tried.
    fn same_as_serde<T>(samples: &[T], read: impl Fn(&str) -> Option<T>) -> usize
    where
        T: Serialize + DeserializeOwned + PartialEq + Debug,
    {
        fn fields(value: &Value, at: String, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (key, inner) in map {
                        let path = format!("{at}/{key}");
                        out.push(path.clone());
                        fields(inner, path, out);
                    }
                }
                Value::Array(list) => {
                    for (i, inner) in list.iter().enumerate() {
                        fields(inner, format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
        let replacements = [
            Value::Null,
            Value::from("x"),
            Value::from(-1),
            Value::from(1.5),
            Value::from(u64::MAX),
            Value::from(true),
            Value::Array(Vec::new()),
            Value::Object(serde_json::Map::new()),
        ];
        let mut cases = 0;
        for sample in samples {
            let whole = serde_json::to_value(sample).unwrap();
            assert_eq!(read(&whole.to_string()).as_ref(), Some(sample), "{whole}");
            let mut paths = Vec::new();
            fields(&whole, String::new(), &mut paths);
            for path in paths {
                let (parent, key) = path.rsplit_once('/').unwrap();
                let mut removed = whole.clone();
                removed.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
                let mut variants = vec![(removed, false)];
                for r in &replacements {
                    let mut changed = whole.clone();
                    *changed.pointer_mut(&path).unwrap() = r.clone();
                    variants.push((changed, r.is_array()));
                }
                for (v, array) in variants {
                    let json = v.to_string();
                    let serde = serde_json::from_str::<T>(&json).ok();
                    let read = read(&json);
                    // serde also reads a struct from an array of its fields in order, which
                    // the server never writes: the reader refuses it.
                    if !(array && read.is_none()) {
                        assert_eq!(read, serde, "{path} in {json}");
                    }
                    cases += 1;
                }
            }
        }
        cases
    }

    #[test]
    fn every_field_removed_or_retyped_is_read_as_serde_reads_it() {
        assert!(same_as_serde(&frames(), server_frame) > 1000);
        let config = |t: &str| widget_config(parse(t)?);
        assert!(same_as_serde(&widget_configs(), config) > 50);
        let error = ApiError { code: "origin_not_allowed".into(), message: "No.".into() };
        same_as_serde(&[error], |t| api_error(parse(t)?));
        let created = ConversationCreated { conversation_id: "c1".into(), token: "t".into() };
        same_as_serde(&[created], |t| conversation_created(parse(t)?));
    }

    /// Every field given, then every defaulted one left out.
    fn widget_configs() -> Vec<WidgetConfig> {
        let texts = Texts {
            greeting: Some("Hallo".into()),
            handover: Some("Warten".into()),
            out_of_hours: Some("Zu".into()),
            joined: Some("{name} ist da".into()),
            left: Some("{name} ist weg".into()),
            unclaimed: Some("Niemand".into()),
        };
        let full = WidgetConfig {
            site_key: "s".into(),
            title: "Shop".into(),
            color: "#123456".into(),
            human_button_after: 2,
            open_now: false,
            takeover: false,
            show_human_button: false,
            ask_email: true,
            texts: [("de".into(), texts), ("*".into(), Texts::default())].into_iter().collect(),
            suggestions: vec!["Returns?".into(), "Sizes?".into()],
        };
        let bare: WidgetConfig = serde_json::from_str(
            r#"{"site_key":"s","title":"Shop","color":"red","human_button_after":0}"#,
        )
        .unwrap();
        vec![full, bare]
    }

    /// Each name table lists every variant, each under the name serde writes for it.
    #[test]
    fn every_name_table_is_the_declarations() {
        fn check<T>(table: &[(&str, T)])
        where
            T: serde::Serialize + serde::de::DeserializeOwned + Copy,
        {
            // serde's refusal of an unknown name quotes every variant's: the declaration.
            let refusal = serde_json::from_str::<T>(r#""no_such_name""#).err().unwrap().to_string();
            let expected = refusal.split("expected").nth(1).unwrap();
            assert_eq!(expected.matches('`').count() / 2, table.len(), "{refusal}");
            for (name, variant) in table {
                assert_eq!(serde_json::to_string(variant).unwrap(), format!("\"{name}\""));
            }
        }
        check(&CHANNEL_KINDS);
        check(&ESCALATORS);
        check(&ErrorCode::ALL.map(|c| (c.as_str(), c)));
    }

    #[test]
    fn every_frame_serde_writes_reads_back_the_same() {
        for frame in frames() {
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(server_frame(&json), Some(frame), "{json}");
        }
    }

    #[test]
    fn what_serde_refuses_is_refused() {
        let refused = [
            "",
            "null",
            "[]",
            r#"{"type":"delete_everything"}"#,
            r#"{"seq":1}"#,
            r#"{"type":"ack","client_id":"m1"}"#,
            r#"{"type":"ack","client_id":"m1","seq":-1}"#,
            r#"{"type":"ack","client_id":"m1","seq":1.5}"#,
            r#"{"type":"ack","client_id":"m1","seq":"1"}"#,
            r#"{"type":"ack","client_id":7,"seq":1}"#,
            r#"{"type":"typing","author":{"kind":"ghost"},"on":true}"#,
            r#"{"type":"typing","author":{"kind":"bot"},"on":"yes"}"#,
            r#"{"type":"state","phase":"limbo","assignee":null,"ticket":null}"#,
            r#"{"type":"state","phase":"bot","assignee":null,"ticket":4294967296}"#,
            r#"{"type":"item","seq":1,"at":0,"body":{"kind":"event","data":{"event":"x"}}}"#,
            r#"{"type":"item","seq":1,"at":0,"body":{"kind":"message","data":{"text":"a"}}}"#,
            r#"{"type":"item","seq":1,"at":0,"body":{"kind":"event","data":{"event":"rated","ticket":1,"score":300}}}"#,
            r#"{"type":"backlog","items":{}}"#,
            r#"{"type":"error","code":"no_such_code","message":"m"}"#,
        ];
        for json in refused {
            let serde = serde_json::from_str::<ServerFrame>(json).ok();
            assert_eq!(serde, None, "serde reads {json}");
            assert_eq!(server_frame(json), None, "{json}");
        }
    }

    #[test]
    fn fields_unknown_to_this_build_are_ignored_as_serde_does() {
        let json = r#"{"type":"ack","client_id":"m1","seq":2,"later":{"x":[1]}}"#;
        let expected = ServerFrame::Ack { client_id: "m1".into(), seq: 2 };
        assert_eq!(serde_json::from_str::<ServerFrame>(json).unwrap(), expected);
        assert_eq!(server_frame(json), Some(expected));
    }
}
