//! Messaging channels: what a platform sends us, read into what a conversation takes, and what
//! a visitor sees there of a conversation, written as the platform takes it. Telegram for now;
//! the shapes leave room for WhatsApp. Pure: the edge does the requests.

use serde::{Deserialize, Serialize};

use crate::protocol::{Author, EndedBy, Event, Item, ItemBody, limits};
use crate::texts::{self, Texts, english};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Telegram,
}

impl ChannelKind {
    /// The platform's name, as people read it.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "Telegram",
        }
    }

    /// The prefix of the ids this channel's messages are stored under: an update the platform
    /// sends again is the same `client_id`, stored once.
    fn id_prefix(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "tg",
        }
    }
}

/// Who a channel conversation is with: where replies go, and how the team recognises them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPeer {
    pub kind: ChannelKind,
    /// Where replies go: a Telegram chat id.
    pub address: String,
    /// Their handle on the platform: a Telegram `@username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The name their profile shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What the visitor did on the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Said {
    Text(String),
    /// `/human`, or the "Talk to a human" button.
    Human,
    /// The first contact (`/start`): greeted, nothing stored.
    Start,
    /// A photo, a sticker, a voice message…: what it was, for the team.
    Unsupported(String),
}

/// One thing a visitor sent on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub peer: ChannelPeer,
    /// The platform's id of the message, as the conversation stores it (`tg-…`).
    pub client_id: String,
    pub said: Said,
    /// A button press to acknowledge on the platform (Telegram's callback query id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
}

/// One call to make on the platform: the method and its JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub method: String,
    pub body: serde_json::Value,
}

/// The callback data of the "Talk to a human" button.
pub const HUMAN_BUTTON_DATA: &str = "human";
pub const HUMAN_BUTTON_LABEL: &str = "Talk to a human";
/// Told when the visitor sends what the channel does not carry to the team.
pub const UNSUPPORTED_REPLY: &str =
    "Sorry, I can only read text messages here. Please write your question in words.";
/// Told on a channel outside business hours: the next message is left for the team.
pub const OUT_OF_HOURS: &str = "We're away right now. Write your message here and the team will reply in this chat when we're back.";
/// Told when a message was left for the team.
pub const LEFT_FOR_TEAM: &str = "Thanks, your message is with the team. They will reply here.";
pub const AI_RESUMED: &str = "You're chatting with our assistant again.";
pub const ENDED: &str = "This conversation has ended. Write again any time.";

/// Telegram's Bot API.
pub mod telegram {
    use super::*;

    /// Telegram's own limit on a message's text.
    pub const MAX_TEXT_CHARS: usize = 4096;

    #[derive(Deserialize)]
    struct Update {
        #[serde(default)]
        message: Option<Msg>,
        #[serde(default)]
        callback_query: Option<Callback>,
    }

    #[derive(Deserialize)]
    struct Msg {
        message_id: i64,
        chat: Chat,
        #[serde(default)]
        from: Option<User>,
        #[serde(default)]
        text: Option<String>,
        #[serde(flatten)]
        rest: serde_json::Map<String, serde_json::Value>,
    }

    #[derive(Deserialize)]
    struct Chat {
        id: i64,
        #[serde(rename = "type")]
        kind: String,
    }

    #[derive(Deserialize)]
    struct User {
        #[serde(default)]
        is_bot: bool,
        #[serde(default)]
        first_name: String,
        #[serde(default)]
        last_name: Option<String>,
        #[serde(default)]
        username: Option<String>,
    }

    #[derive(Deserialize)]
    struct Callback {
        id: String,
        from: User,
        #[serde(default)]
        message: Option<CallbackMsg>,
        #[serde(default)]
        data: Option<String>,
    }

    #[derive(Deserialize)]
    struct CallbackMsg {
        chat: Chat,
    }

    /// What kinds of message we name when we cannot take them.
    const KINDS: &[(&str, &str)] = &[
        ("photo", "a photo"),
        ("sticker", "a sticker"),
        ("voice", "a voice message"),
        ("video", "a video"),
        ("video_note", "a video message"),
        ("audio", "an audio file"),
        ("document", "a file"),
        ("animation", "a GIF"),
        ("location", "a location"),
        ("contact", "a contact"),
        ("poll", "a poll"),
        ("dice", "a dice"),
    ];

    fn peer(chat: &Chat, from: Option<&User>) -> ChannelPeer {
        let name = from.map(|u| {
            let full = match &u.last_name {
                Some(last) => format!("{} {last}", u.first_name),
                None => u.first_name.clone(),
            };
            crate::clean::name(&full).chars().take(limits::MAX_NAME_CHARS).collect::<String>()
        });
        let handle = from.and_then(|u| u.username.as_deref()).and_then(|u| {
            let ok = (1..=32).contains(&u.len())
                && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            ok.then(|| format!("@{u}"))
        });
        ChannelPeer {
            kind: ChannelKind::Telegram,
            address: chat.id.to_string(),
            handle,
            name: name.filter(|n| !crate::clean::is_blank(n)),
        }
    }

    /// Reads an update. `Ok(None)`: nothing for a conversation (an edited message, a group
    /// chat, another bot); `Err`: not an update at all.
    pub fn read_update(body: &[u8]) -> Result<Option<Inbound>, String> {
        let update: Update =
            serde_json::from_slice(body).map_err(|e| format!("not a Telegram update: {e}"))?;
        let prefix = ChannelKind::Telegram.id_prefix();
        if let Some(q) = update.callback_query {
            let Some(chat) = q.message.as_ref().map(|m| &m.chat) else { return Ok(None) };
            if chat.kind != "private" || q.from.is_bot {
                return Ok(None);
            }
            let said = match q.data.as_deref() {
                Some(HUMAN_BUTTON_DATA) => Said::Human,
                _ => return Ok(None),
            };
            return Ok(Some(Inbound {
                peer: peer(chat, Some(&q.from)),
                client_id: format!("{prefix}-q{}", short(&q.id)),
                said,
                callback: Some(short(&q.id)),
            }));
        }
        let Some(m) = update.message else { return Ok(None) };
        if m.chat.kind != "private" || m.from.as_ref().is_some_and(|u| u.is_bot) {
            return Ok(None);
        }
        let said = match m.text.as_deref().map(str::trim) {
            Some(t) if command(t, "human") => Said::Human,
            Some(t) if command(t, "start") => Said::Start,
            Some(t) => Said::Text(t.to_owned()),
            None => {
                let what = KINDS.iter().find(|(k, _)| m.rest.contains_key(*k));
                Said::Unsupported(what.map_or("a message", |(_, w)| w).to_owned())
            }
        };
        Ok(Some(Inbound {
            peer: peer(&m.chat, m.from.as_ref()),
            client_id: format!("{prefix}-{}", m.message_id),
            said,
            callback: None,
        }))
    }

    /// `/name`, also as `/name@SomeBot` or followed by words.
    fn command(text: &str, name: &str) -> bool {
        let first = text.split_whitespace().next().unwrap_or("");
        let Some(rest) = first.strip_prefix('/') else { return false };
        rest.split('@').next() == Some(name)
    }

    /// Ids we echo back are cut short: they come from outside.
    fn short(id: &str) -> String {
        id.chars().filter(|c| c.is_ascii_alphanumeric()).take(40).collect()
    }

    /// A message to the chat, with the "Talk to a human" button when asked.
    pub fn send(chat: &str, text: &str, human_button: bool) -> Outgoing {
        let text: String = text.chars().take(MAX_TEXT_CHARS).collect();
        let mut body = serde_json::json!({ "chat_id": chat, "text": text });
        if human_button {
            body["reply_markup"] = serde_json::json!({
                "inline_keyboard": [[{ "text": HUMAN_BUTTON_LABEL, "callback_data": HUMAN_BUTTON_DATA }]]
            });
        }
        Outgoing { method: "sendMessage".into(), body }
    }

    /// Stops the spinner on a pressed button.
    pub fn answer_button(callback: &str) -> Outgoing {
        let body = serde_json::json!({ "callback_query_id": callback });
        Outgoing { method: "answerCallbackQuery".into(), body }
    }

    /// Points the bot's updates at us, signed with `secret` (Telegram sends it back in
    /// `X-Telegram-Bot-Api-Secret-Token`).
    pub fn set_webhook(url: &str, secret: &str) -> Outgoing {
        let body = serde_json::json!({
            "url": url,
            "secret_token": secret,
            "allowed_updates": ["message", "callback_query"],
        });
        Outgoing { method: "setWebhook".into(), body }
    }

    /// A bot token as BotFather gives it: `123456:ABC-…`.
    pub fn valid_token(token: &str) -> bool {
        let Some((id, key)) = token.split_once(':') else { return false };
        (1..=20).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_digit())
            && (20..=100).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// Telegram's answer to a call: `{"ok": true, "result": …}` or a description of why not.
    pub fn outcome(status: u16, body: &str) -> Result<serde_json::Value, String> {
        #[derive(Deserialize)]
        struct Answer {
            ok: bool,
            #[serde(default)]
            result: serde_json::Value,
            #[serde(default)]
            description: Option<String>,
        }
        match serde_json::from_str::<Answer>(body) {
            Ok(a) if a.ok => Ok(a.result),
            Ok(a) => Err(a
                .description
                .map(|d| crate::clean::name(&d).chars().take(200).collect())
                .unwrap_or_else(|| format!("Telegram answered {status}"))),
            Err(_) => Err(format!("Telegram answered {status} with no result")),
        }
    }
}

/// What the visitor sees on a channel of a stored item, or `None` for what they do not see
/// there (their own words, the team's notes, bookkeeping). `texts` are the owner's lines for
/// the conversation's language.
pub fn visitor_line(item: &Item, texts: &Texts) -> Option<String> {
    let line = |own: &Option<String>, default: &str| own.clone().unwrap_or_else(|| default.into());
    match &item.body {
        ItemBody::Note(_) => None,
        ItemBody::Message(m) => match &m.author {
            Author::Visitor => None,
            Author::Bot => Some(m.text.clone()),
            // The visitor sees who writes, as the widget's named bubbles show it.
            Author::Agent(a) => Some(format!("{}: {}", a.name, m.text)),
        },
        ItemBody::Event(e) => match e {
            Event::Escalated { offline: true, .. } => Some(LEFT_FOR_TEAM.into()),
            Event::Escalated { .. } => Some(line(&texts.handover, english::HANDOVER)),
            Event::OutOfHours { .. } => Some(OUT_OF_HOURS.into()),
            Event::Unclaimed => Some(line(&texts.unclaimed, english::UNCLAIMED)),
            Event::AgentJoined { agent, .. } | Event::Reassigned { to: agent, .. } => {
                Some(texts::fill(&line(&texts.joined, english::JOINED), &agent.name))
            }
            Event::AgentLeft { agent } => {
                Some(texts::fill(&line(&texts.left, english::LEFT), &agent.name))
            }
            Event::AiResumed { .. } => Some(AI_RESUMED.into()),
            Event::Ended { by: EndedBy::Agent(_) | EndedBy::Idle, spam: false } => {
                Some(ENDED.into())
            }
            Event::Ended { .. }
            | Event::Requeued { .. }
            | Event::RatingAsked { .. }
            | Event::Rated { .. }
            | Event::Reopened { .. }
            | Event::ChannelUndelivered { .. }
            | Event::ChannelUnsupported { .. } => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AgentRef, Message};

    fn update(message: serde_json::Value) -> Vec<u8> {
        serde_json::json!({ "update_id": 1, "message": message }).to_string().into_bytes()
    }

    fn private(extra: serde_json::Value) -> serde_json::Value {
        let mut m = serde_json::json!({
            "message_id": 7, "date": 0,
            "chat": { "id": -42, "type": "private" },
            "from": { "id": 42, "is_bot": false, "first_name": "Tara\u{202e}", "username": "tara_q" },
        });
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    }

    #[test]
    fn updates_are_read_into_what_the_visitor_did() {
        let read = |m| telegram::read_update(&update(m)).unwrap().unwrap();
        let text = read(private(serde_json::json!({ "text": "  Where is my order?  " })));
        assert_eq!(text.said, Said::Text("Where is my order?".into()));
        assert_eq!(text.client_id, "tg-7");
        assert_eq!(text.peer.address, "-42");
        assert_eq!(text.peer.handle.as_deref(), Some("@tara_q"));
        assert_eq!(text.peer.name.as_deref(), Some("Tara"), "reordering characters dropped");
        let said = |t: &str| read(private(serde_json::json!({ "text": t }))).said;
        assert_eq!(said("/human"), Said::Human);
        assert_eq!(said("/human@shop_bot please"), Said::Human);
        assert_eq!(said("/start"), Said::Start);
        assert_eq!(said("/humans"), Said::Text("/humans".into()));
        let photo = read(private(serde_json::json!({ "photo": [] })));
        assert_eq!(photo.said, Said::Unsupported("a photo".into()));
        let button = serde_json::json!({ "update_id": 2, "callback_query": {
            "id": "99\"x", "from": { "id": 42, "first_name": "Tara" }, "data": "human",
            "message": { "message_id": 8, "chat": { "id": -42, "type": "private" } } } });
        let pressed = telegram::read_update(button.to_string().as_bytes()).unwrap().unwrap();
        assert_eq!((pressed.said, pressed.callback.as_deref()), (Said::Human, Some("99x")));
    }

    #[test]
    fn what_is_not_for_a_conversation_is_left_and_garbage_refused() {
        let group =
            private(serde_json::json!({ "text": "hi", "chat": { "id": 1, "type": "group" } }));
        assert_eq!(telegram::read_update(&update(group)), Ok(None));
        let bot = private(serde_json::json!({ "text": "hi", "from": { "id": 1, "is_bot": true } }));
        assert_eq!(telegram::read_update(&update(bot)), Ok(None));
        let edited =
            serde_json::json!({ "update_id": 3, "edited_message": private(serde_json::json!({})) });
        assert_eq!(telegram::read_update(edited.to_string().as_bytes()), Ok(None));
        assert!(telegram::read_update(b"[1,2]").is_err());
        assert!(telegram::read_update(b"{\"message\": {\"message_id\": \"x\"}}").is_err());
    }

    #[test]
    fn tokens_and_answers() {
        assert!(telegram::valid_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!telegram::valid_token("123456789:short"));
        assert!(!telegram::valid_token("abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!telegram::valid_token("1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/../x"));
        assert_eq!(telegram::outcome(200, r#"{"ok":true,"result":true}"#), Ok(true.into()));
        let refused =
            telegram::outcome(403, r#"{"ok":false,"description":"Forbidden: bot was blocked"}"#);
        assert_eq!(refused, Err("Forbidden: bot was blocked".into()));
        assert!(telegram::outcome(502, "<html>").is_err());
    }

    #[test]
    fn the_visitor_sees_the_team_by_name_and_never_notes() {
        let ana = AgentRef { id: "a1".into(), name: "Ana".into() };
        let item = |body| Item { seq: 1, at: 0, body };
        let said = |author| {
            ItemBody::Message(Message { author, client_id: None, text: "Hi".into(), source: None })
        };
        let texts = Texts::default();
        assert_eq!(
            visitor_line(&item(said(Author::Agent(ana.clone()))), &texts).as_deref(),
            Some("Ana: Hi")
        );
        assert_eq!(visitor_line(&item(said(Author::Bot)), &texts).as_deref(), Some("Hi"));
        assert_eq!(visitor_line(&item(said(Author::Visitor)), &texts), None);
        let note = ItemBody::Note(Message {
            author: Author::Agent(ana.clone()),
            client_id: None,
            text: "secret".into(),
            source: None,
        });
        assert_eq!(visitor_line(&item(note), &texts), None);
        let joined = ItemBody::Event(Event::AgentJoined { agent: ana, ticket: 1 });
        let own = Texts { joined: Some("{name} is here".into()), ..Texts::default() };
        assert_eq!(visitor_line(&item(joined), &own).as_deref(), Some("Ana is here"));
        let sent = telegram::send("5", &"x".repeat(5000), true);
        assert_eq!(sent.body["text"].as_str().unwrap().chars().count(), telegram::MAX_TEXT_CHARS);
    }
}
