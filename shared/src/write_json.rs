//! The JSON the browser apps write, field by field rather than through serde's derive and
//! serde_json's serializer: those were 6 KB of the widget's wasm (every type's `Serialize`,
//! the tagged-enum machinery, the serializer's error type and its I/O messages), which every
//! visitor downloads to send a handful of small frames.
//!
//! The text is serde_json's, byte for byte: the tests write every frame and body both ways
//! (every struct built field by field, so a field added to a type fails to compile there
//! until it is given) and compare the strings, over generated text of every kind.

use crate::api::{ContinueConversation, ConversationCreated, NewConversation, ResumeConversation};
use crate::protocol::{ClientFrame, Credential, Hello, SignedIn};

/// An object being written; [`Object::end`] closes it.
pub struct Object {
    out: String,
    empty: bool,
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

impl Object {
    pub fn new() -> Object {
        Object { out: String::from("{"), empty: true }
    }

    /// Keys are written as given, unescaped: every caller's are the types' own field names.
    fn key(&mut self, key: &str) -> &mut String {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{key}");
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        &mut self.out
    }

    pub fn str(mut self, key: &str, value: &str) -> Object {
        string(self.key(key), value);
        self
    }

    /// An `Option` serde writes as `null` when empty.
    pub fn str_or_null(mut self, key: &str, value: Option<&str>) -> Object {
        match value {
            Some(value) => string(self.key(key), value),
            None => self.key(key).push_str("null"),
        }
        self
    }

    /// An `Option` serde leaves out when empty (`skip_serializing_if = "Option::is_none"`).
    pub fn str_if(self, key: &str, value: Option<&str>) -> Object {
        match value {
            Some(value) => self.str(key, value),
            None => self,
        }
    }

    pub fn uint(mut self, key: &str, value: u64) -> Object {
        self.key(key).push_str(&value.to_string());
        self
    }

    pub fn bool(mut self, key: &str, value: bool) -> Object {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    /// A value already written as JSON.
    pub fn raw(mut self, key: &str, json: &str) -> Object {
        self.key(key).push_str(json);
        self
    }

    pub fn end(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// `value` as a JSON string, escaped as serde_json escapes it: `"` and `\`, the short forms
/// of five control characters and `\u00XX` for the others; everything else as it is.
pub fn string(out: &mut String, value: &str) {
    out.push('"');
    let mut plain = 0;
    for (at, byte) in value.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(&value[plain..at]);
        plain = at + 1;
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xf)] as char);
        } else {
            out.push_str(short);
        }
    }
    out.push_str(&value[plain..]);
    out.push('"');
}

/// A list of objects, each written by `write`.
pub fn list<T>(items: &[T], write: impl Fn(&T) -> String) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&write(item));
    }
    out.push(']');
    out
}

pub fn client_frame(frame: &ClientFrame) -> String {
    let typed = |kind: &str| Object::new().str("type", kind);
    match frame {
        ClientFrame::Hello(hello) => hello_fields(typed("hello"), hello).end(),
        ClientFrame::Ping => typed("ping").end(),
        ClientFrame::Send { client_id, text, original } => typed("send")
            .str("client_id", client_id)
            .str("text", text)
            .str_if("original", original.as_deref())
            .end(),
        ClientFrame::Note { client_id, text } => {
            typed("note").str("client_id", client_id).str("text", text).end()
        }
        ClientFrame::RequestHuman => typed("request_human").end(),
        ClientFrame::Claim => typed("claim").end(),
        ClientFrame::HandBack { ask_rating } => {
            typed("hand_back").bool("ask_rating", *ask_rating).end()
        }
        ClientFrame::Rate { ticket, score, comment } => typed("rate")
            .uint("ticket", u64::from(*ticket))
            .uint("score", u64::from(*score))
            .str("comment", comment)
            .end(),
        ClientFrame::Reassign { agent_id } => typed("reassign").str("agent_id", agent_id).end(),
        ClientFrame::End { spam } => typed("end").bool("spam", *spam).end(),
        ClientFrame::Reopen => typed("reopen").end(),
        ClientFrame::Typing { on, text } => {
            typed("typing").bool("on", *on).str_if("text", text.as_deref()).end()
        }
        ClientFrame::LeaveMessage { client_id, name, email, text } => typed("leave_message")
            .str("client_id", client_id)
            .str("name", name)
            .str("email", email)
            .str("text", text)
            .end(),
        ClientFrame::Identify { name, email, user_id, token } => typed("identify")
            .str_or_null("name", name.as_deref())
            .str_or_null("email", email.as_deref())
            .str_if("user_id", user_id.as_deref())
            .str_if("token", token.as_deref())
            .end(),
    }
}

// Every struct below is taken apart whole: a field added to one stops this compiling until it
// is written.

/// A hello's fields after its tag (serde writes a tagged newtype's fields in the tag's object).
fn hello_fields(object: Object, hello: &Hello) -> Object {
    let Hello { version, credential, last_seq, identity, beats, item_acks } = hello;
    let credential = match credential {
        Credential::Visitor { token } => Object::new().str("kind", "visitor").str("token", token),
        Credential::Agent => Object::new().str("kind", "agent"),
    };
    let object = object
        .uint("version", u64::from(*version))
        .raw("credential", &credential.end())
        .uint("last_seq", *last_seq);
    let object = match identity {
        Some(SignedIn { user_id, token }) => {
            let user = Object::new().str("user_id", user_id).str("token", token);
            object.raw("identity", &user.end())
        }
        None => object,
    };
    let object = if *beats { object.bool("beats", true) } else { object };
    if *item_acks { object.bool("item_acks", true) } else { object }
}

pub fn new_conversation(body: &NewConversation) -> String {
    let NewConversation { page_url, language } = body;
    Object::new()
        .str_or_null("page_url", page_url.as_deref())
        .str_or_null("language", language.as_deref())
        .end()
}

pub fn resume_conversation(body: &ResumeConversation) -> String {
    let ResumeConversation { link } = body;
    Object::new().str("link", link).end()
}

pub fn continue_conversation(body: &ContinueConversation) -> String {
    let ContinueConversation { user_id, token } = body;
    Object::new().str("user_id", user_id).str("token", token).end()
}

pub fn conversation_created(created: &ConversationCreated) -> String {
    let ConversationCreated { conversation_id, token } = created;
    Object::new().str("conversation_id", conversation_id).str("token", token).end()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn same<T: serde::Serialize>(value: &T, written: &str) {
        assert_eq!(written, serde_json::to_string(value).unwrap());
    }

    /// Every kind of frame, every optional field both ways, from the generated strings.
    fn frames(s: &[String; 4], n: u64, flag: bool) -> Vec<ClientFrame> {
        let [a, b, c, d] = s.clone();
        let maybe = |s: &String| flag.then(|| s.clone());
        let hello = |credential, identity| {
            let (version, beats, item_acks) = (n as u32, flag, !flag);
            ClientFrame::Hello(Hello {
                version,
                credential,
                last_seq: n,
                identity,
                beats,
                item_acks,
            })
        };
        vec![
            hello(Credential::Visitor { token: a.clone() }, None),
            hello(Credential::Agent, Some(SignedIn { user_id: b.clone(), token: c.clone() })),
            ClientFrame::Ping,
            ClientFrame::Send { client_id: a.clone(), text: b.clone(), original: maybe(&c) },
            ClientFrame::Note { client_id: a.clone(), text: d.clone() },
            ClientFrame::RequestHuman,
            ClientFrame::Claim,
            ClientFrame::HandBack { ask_rating: flag },
            ClientFrame::Rate { ticket: n as u32, score: n as u8, comment: c.clone() },
            ClientFrame::Reassign { agent_id: d.clone() },
            ClientFrame::End { spam: flag },
            ClientFrame::Reopen,
            ClientFrame::Typing { on: flag, text: maybe(&a) },
            ClientFrame::LeaveMessage { client_id: a.clone(), name: b, email: c.clone(), text: d },
            ClientFrame::Identify {
                name: maybe(&a),
                email: maybe(&c),
                user_id: maybe(&a),
                token: (!flag).then(|| c.clone()),
            },
        ]
    }

    /// Text of every kind: quotes, backslashes, every control character, DEL, non-ASCII.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[\\x00-\\x7f]{0,12}", "[\"\\\\\\x00-\\x1f\\x7fé€𝄞a]{0,12}", any::<String>(),]
    }

    proptest! {
        #[test]
        fn every_frame_is_written_as_serde_writes_it(
            s in [text(), text(), text(), text()],
            n in any::<u64>(),
            flag in any::<bool>(),
        ) {
            for frame in frames(&s, n, flag) {
                same(&frame, &client_frame(&frame));
            }
        }

        #[test]
        fn every_body_is_written_as_serde_writes_it(a in text(), b in text(), flag in any::<bool>()) {
            let new = NewConversation {
                page_url: flag.then(|| a.clone()),
                language: (!flag).then(|| b.clone()),
            };
            same(&new, &new_conversation(&new));
            let resume = ResumeConversation { link: a.clone() };
            same(&resume, &resume_conversation(&resume));
            let cont = ContinueConversation { user_id: a.clone(), token: b.clone() };
            same(&cont, &continue_conversation(&cont));
            let created = ConversationCreated { conversation_id: a.clone(), token: b.clone() };
            same(&created, &conversation_created(&created));
            let mut escaped = String::new();
            string(&mut escaped, &a);
            same(&a, &escaped);
        }
    }

    /// Which kind a frame is: a kind added to `ClientFrame` stops this compiling, and the test
    /// below then asks `frames` for one.
    fn frame_kind(frame: &ClientFrame) -> usize {
        match frame {
            ClientFrame::Hello(_) => 0,
            ClientFrame::Ping => 1,
            ClientFrame::Send { .. } => 2,
            ClientFrame::Note { .. } => 3,
            ClientFrame::RequestHuman => 4,
            ClientFrame::Claim => 5,
            ClientFrame::HandBack { .. } => 6,
            ClientFrame::Rate { .. } => 7,
            ClientFrame::Reassign { .. } => 8,
            ClientFrame::End { .. } => 9,
            ClientFrame::Reopen => 10,
            ClientFrame::Typing { .. } => 11,
            ClientFrame::LeaveMessage { .. } => 12,
            ClientFrame::Identify { .. } => 13,
        }
    }
    const FRAME_KINDS: usize = 14;

    #[test]
    fn the_tests_write_every_kind_of_frame() {
        let s = [(); 4].map(|()| String::new());
        let mut seen: Vec<usize> = frames(&s, 0, false).iter().map(frame_kind).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..FRAME_KINDS).collect::<Vec<_>>());
    }

    #[test]
    fn a_list_is_its_items_in_brackets() {
        let items = ["a", "b\""];
        let write = |s: &&str| Object::new().str("s", s).end();
        assert_eq!(list(&items, write), r#"[{"s":"a"},{"s":"b\""}]"#);
        assert_eq!(list(&[] as &[&str], write), "[]");
    }
}
