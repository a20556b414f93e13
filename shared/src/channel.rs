//! Messaging channels: what a platform sends us, read into what a conversation takes, and what
//! a visitor sees there of a conversation, written as the platform takes it: Telegram's Bot
//! API and WhatsApp's Cloud API. Pure: the edge does the requests.

use serde::{Deserialize, Serialize};

use crate::protocol::{Author, EndedBy, Event, Item, ItemBody, Millis, limits};
use crate::texts::{self, Texts, english};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Telegram,
    #[serde(rename = "whatsapp")]
    WhatsApp,
}

impl ChannelKind {
    /// The platform's name, as people read it.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "Telegram",
            ChannelKind::WhatsApp => "WhatsApp",
        }
    }

    /// How long after the visitor's last message the team may still write freely: WhatsApp's
    /// customer service window. `None`: always.
    pub fn reply_window(self) -> Option<Millis> {
        match self {
            ChannelKind::Telegram => None,
            ChannelKind::WhatsApp => Some(whatsapp::WINDOW_MS),
        }
    }

    /// What the visitor should see of `line`, written as the platform takes it.
    pub fn send(self, address: &str, line: &str, human_button: bool) -> Outgoing {
        match self {
            ChannelKind::Telegram => telegram::send(address, line, human_button),
            ChannelKind::WhatsApp => whatsapp::send(address, line, human_button),
        }
    }

    /// The prefix of the ids this channel's messages are stored under: an update the platform
    /// sends again is the same `client_id`, stored once.
    fn id_prefix(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "tg",
            ChannelKind::WhatsApp => "wa",
        }
    }
}

/// Who a channel conversation is with: where replies go, and how the team recognises them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPeer {
    pub kind: ChannelKind,
    /// Where replies go: a Telegram chat id, a WhatsApp number (`wa_id`).
    pub address: String,
    /// Their handle on the platform: a Telegram `@username`, a WhatsApp `+number`.
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
    /// Not the visitor's doing: the platform reports that a message it had accepted could not
    /// be delivered to them (WhatsApp's `failed` status), and why.
    Undelivered(String),
}

impl Said {
    /// Whether the visitor wrote this (and so the platform's reply window opens again).
    pub fn from_visitor(&self) -> bool {
        !matches!(self, Said::Undelivered(_))
    }
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
/// Told on a channel when nobody can answer now: a message is left for the team in two steps,
/// an email address (or "skip"), then the message.
pub const OUT_OF_HOURS: &str = "We're away right now, so let's leave the team a message: they will reply here. First, an email address they can also write to, or “skip”.";
pub const ASK_MESSAGE: &str = "Thanks. Now your message for the team, in one message.";
pub const NOT_AN_EMAIL: &str = "That doesn't look like an email address. Send it again, or “skip”.";
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
        /// Required: what has none is not an update.
        #[allow(dead_code)]
        update_id: i64,
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

/// WhatsApp's Cloud API.
pub mod whatsapp {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    use super::*;

    /// WhatsApp's customer service window: free-form replies within 24 hours of the
    /// customer's last message.
    pub const WINDOW_MS: Millis = 24 * 3600 * 1000;
    /// WhatsApp's limits: a text message's body, an interactive message's body, a button's
    /// title.
    pub const MAX_TEXT_CHARS: usize = 4096;
    const MAX_INTERACTIVE_CHARS: usize = 1024;

    #[derive(Deserialize)]
    struct Payload {
        object: String,
        #[serde(default)]
        entry: Vec<Entry>,
    }

    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        changes: Vec<Change>,
    }

    #[derive(Deserialize)]
    struct Change {
        #[serde(default)]
        field: String,
        #[serde(default)]
        value: Value,
    }

    #[derive(Default, Deserialize)]
    struct Value {
        #[serde(default)]
        metadata: Option<Metadata>,
        #[serde(default)]
        contacts: Vec<Contact>,
        #[serde(default)]
        messages: Vec<Msg>,
        #[serde(default)]
        statuses: Vec<Status>,
    }

    /// What became of a message we sent: only `failed` matters to the team.
    #[derive(Deserialize)]
    struct Status {
        id: String,
        status: String,
        recipient_id: String,
        #[serde(default)]
        errors: Vec<StatusError>,
    }

    #[derive(Deserialize)]
    struct StatusError {
        #[serde(default)]
        code: i64,
        #[serde(default)]
        title: String,
    }

    #[derive(Deserialize)]
    struct Metadata {
        phone_number_id: String,
    }

    #[derive(Deserialize)]
    struct Contact {
        wa_id: String,
        #[serde(default)]
        profile: Option<Profile>,
    }

    #[derive(Deserialize)]
    struct Profile {
        #[serde(default)]
        name: String,
    }

    #[derive(Deserialize)]
    struct Msg {
        from: String,
        id: String,
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        text: Option<Text>,
        #[serde(default)]
        interactive: Option<Interactive>,
    }

    #[derive(Deserialize)]
    struct Text {
        body: String,
    }

    #[derive(Deserialize)]
    struct Interactive {
        #[serde(default)]
        button_reply: Option<Reply>,
    }

    #[derive(Deserialize)]
    struct Reply {
        id: String,
    }

    const KINDS: &[(&str, &str)] = &[
        ("image", "a photo"),
        ("sticker", "a sticker"),
        ("audio", "a voice message"),
        ("video", "a video"),
        ("document", "a file"),
        ("location", "a location"),
        ("contacts", "a contact"),
    ];

    /// Checks `X-Hub-Signature-256` (`sha256=` and the hex HMAC-SHA256 of the raw body under
    /// the app secret), in constant time.
    pub fn signed(app_secret: &str, body: &[u8], header: &str) -> bool {
        let Some(hex) = header.trim().strip_prefix("sha256=") else { return false };
        let Some(given) = unhex(hex) else { return false };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    }

    fn unhex(s: &str) -> Option<Vec<u8>> {
        if s.len() != 64 {
            return None;
        }
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
    }

    /// Reads a webhook's messages for the number `phone_number_id` (statuses and other
    /// numbers' messages are left); `Err`: not a webhook payload at all.
    pub fn read_webhook(body: &[u8], phone_number_id: &str) -> Result<Vec<Inbound>, String> {
        let payload: Payload =
            serde_json::from_slice(body).map_err(|e| format!("not a WhatsApp webhook: {e}"))?;
        if payload.object != "whatsapp_business_account" {
            return Err(format!("not a WhatsApp webhook: object {:?}", payload.object));
        }
        let mut out = Vec::new();
        for change in payload.entry.into_iter().flat_map(|e| e.changes) {
            let ours = change
                .value
                .metadata
                .as_ref()
                .is_some_and(|m| m.phone_number_id == phone_number_id);
            if change.field != "messages" || !ours {
                continue;
            }
            for s in change.value.statuses.iter().filter(|s| s.status == "failed") {
                let number: String =
                    s.recipient_id.chars().filter(char::is_ascii_digit).take(20).collect();
                if number.is_empty() {
                    continue;
                }
                let why = s.errors.first().map_or_else(
                    || "WhatsApp could not deliver it".to_owned(),
                    |e| format!("WhatsApp could not deliver it ({}: {})", e.code, e.title),
                );
                out.push(Inbound {
                    peer: ChannelPeer {
                        kind: ChannelKind::WhatsApp,
                        address: number.clone(),
                        handle: Some(format!("+{number}")),
                        name: None,
                    },
                    client_id: message_id(&format!("{}/failed", s.id)),
                    said: Said::Undelivered(crate::clean::name(&why).chars().take(300).collect()),
                    callback: None,
                });
            }
            let contacts = &change.value.contacts;
            for m in change.value.messages {
                let number: String = m.from.chars().filter(char::is_ascii_digit).take(20).collect();
                if number.is_empty() {
                    continue;
                }
                let name = contacts
                    .iter()
                    .find(|c| c.wa_id == m.from)
                    .and_then(|c| c.profile.as_ref())
                    .map(|p| {
                        crate::clean::name(&p.name)
                            .chars()
                            .take(limits::MAX_NAME_CHARS)
                            .collect::<String>()
                    })
                    .filter(|n| !crate::clean::is_blank(n));
                let said = match (m.kind.as_str(), m.text, m.interactive) {
                    ("text", Some(t), _) => {
                        let t = t.body.trim();
                        if t.eq_ignore_ascii_case("/human") {
                            Said::Human
                        } else {
                            Said::Text(t.to_owned())
                        }
                    }
                    ("interactive", _, Some(i))
                        if i.button_reply.as_ref().is_some_and(|r| r.id == HUMAN_BUTTON_DATA) =>
                    {
                        Said::Human
                    }
                    // A reaction to a message, or a notice from WhatsApp itself: nothing said.
                    ("reaction" | "system" | "unsupported", _, _) => continue,
                    (kind, _, _) => {
                        let what = KINDS.iter().find(|(k, _)| *k == kind);
                        Said::Unsupported(what.map_or("a message", |(_, w)| w).to_owned())
                    }
                };
                out.push(Inbound {
                    peer: ChannelPeer {
                        kind: ChannelKind::WhatsApp,
                        address: number.clone(),
                        handle: Some(format!("+{number}")),
                        name,
                    },
                    client_id: message_id(&m.id),
                    said,
                    callback: None,
                });
            }
        }
        Ok(out)
    }

    /// WhatsApp's ids are long and not of the characters a client id takes: a digest.
    fn message_id(id: &str) -> String {
        let digest = Sha256::digest(id.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", ChannelKind::WhatsApp.id_prefix())
    }

    /// A message to the number, with the "Talk to a human" reply button when asked (and the
    /// text fits an interactive message).
    pub fn send(to: &str, text: &str, human_button: bool) -> Outgoing {
        let fits = text.chars().count() <= MAX_INTERACTIVE_CHARS;
        let body = if human_button && fits {
            serde_json::json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": { "text": text },
                    "action": { "buttons": [{ "type": "reply",
                        "reply": { "id": HUMAN_BUTTON_DATA, "title": HUMAN_BUTTON_LABEL } }] },
                },
            })
        } else {
            let text: String = text.chars().take(MAX_TEXT_CHARS).collect();
            serde_json::json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                "type": "text", "text": { "body": text, "preview_url": false },
            })
        };
        Outgoing { method: "messages".into(), body }
    }

    /// Whether a refusal of the Graph API passes (a rate limit, a service hiccup) and the same
    /// message sent later can go through, by its error code.
    pub fn transient(body: &str) -> bool {
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let code = value["error"]["code"].as_i64().unwrap_or(0);
        matches!(code, 1 | 2 | 4 | 17 | 341 | 80007 | 130429 | 131000 | 131016 | 131056)
    }

    /// The Graph API's answer: its body on success, else its error message.
    pub fn outcome(status: u16, body: &str) -> Result<serde_json::Value, String> {
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let message = value["error"]["message"]
            .as_str()
            .map(|m| crate::clean::name(m).chars().take(200).collect());
        Err(message.unwrap_or_else(|| format!("WhatsApp answered {status}")))
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
        assert!(telegram::read_update(b"{}").is_err());
        assert!(
            telegram::read_update(b"{\"update_id\": 1, \"message\": {\"message_id\": \"x\"}}")
                .is_err()
        );
    }

    #[test]
    fn whatsapp_webhooks_are_signed_and_read_for_our_number_only() {
        use hmac::{Hmac, Mac};
        let body = serde_json::json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [
            { "field": "messages", "value": {
                "metadata": { "phone_number_id": "42" },
                "contacts": [{ "wa_id": "15551234567", "profile": { "name": "Wanda" } }],
                "messages": [
                    { "from": "15551234567", "id": "wamid.X==", "type": "text", "text": { "body": " hi " } },
                    { "from": "15551234567", "id": "wamid.Y", "type": "interactive",
                      "interactive": { "type": "button_reply", "button_reply": { "id": "human", "title": "Talk to a human" } } },
                    { "from": "15551234567", "id": "wamid.Z", "type": "image", "image": { "id": "1" } }
                ] } },
            { "field": "messages", "value": { "metadata": { "phone_number_id": "43" },
                "messages": [{ "from": "1", "id": "w", "type": "text", "text": { "body": "not ours" } }] } }
        ] }] })
        .to_string();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"app-secret").unwrap();
        mac.update(body.as_bytes());
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert!(whatsapp::signed("app-secret", body.as_bytes(), &format!("sha256={hex}")));
        assert!(!whatsapp::signed("other", body.as_bytes(), &format!("sha256={hex}")));
        assert!(!whatsapp::signed("app-secret", body.as_bytes(), &hex), "the prefix is required");
        assert!(!whatsapp::signed("app-secret", b"{}", &format!("sha256={hex}")));
        let read = whatsapp::read_webhook(body.as_bytes(), "42").unwrap();
        let said: Vec<_> = read.iter().map(|i| i.said.clone()).collect();
        assert_eq!(
            said,
            [Said::Text("hi".into()), Said::Human, Said::Unsupported("a photo".into())]
        );
        assert_eq!(read[0].peer.name.as_deref(), Some("Wanda"));
        assert_eq!(read[0].peer.handle.as_deref(), Some("+15551234567"));
        assert!(read.iter().all(|i| crate::machine::is_client_id(&i.client_id)), "{read:?}");
        assert_ne!(read[0].client_id, read[1].client_id);
        assert!(whatsapp::read_webhook(b"[]", "42").is_err());
        let long = whatsapp::send("1", &"x".repeat(2000), true);
        assert_eq!(long.body["type"], "text", "too long for a button message");
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
            ItemBody::Message(Message {
                author,
                client_id: None,
                text: "Hi".into(),
                source: None,
                original: None,
            })
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
            original: None,
        });
        assert_eq!(visitor_line(&item(note), &texts), None);
        let joined = ItemBody::Event(Event::AgentJoined { agent: ana, ticket: 1 });
        let own = Texts { joined: Some("{name} is here".into()), ..Texts::default() };
        assert_eq!(visitor_line(&item(joined), &own).as_deref(), Some("Ana is here"));
        let sent = telegram::send("5", &"x".repeat(5000), true);
        assert_eq!(sent.body["text"].as_str().unwrap().chars().count(), telegram::MAX_TEXT_CHARS);
    }
}
