//! Fuzzing every decoder of untrusted input the edge runs: client frames (then the state
//! machine they drive), HTTP bodies and the checks that follow them, a bot's answers and
//! replies with their signatures, a model's server-sent events, and the text cleaners. Inputs
//! are raw bytes, and JSON built from the field names and tags these types use (so the
//! decoders get past their first bytes). Nothing may panic; cleaned text keeps its promises.
//!
//! `FUZZ_CASES` sets the inputs per target (2,000 by default, as `cargo test` runs it);
//! `cargo xtask fuzz` runs them in release with far more and prints the total.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use shared::api::{
    LoginRequest, MemberChange, ModelKey, NewConversation, NewMember, SetupRequest, SiteSettings,
    WebhookReply,
};
use shared::machine::{Actor, Conversation, Input};
use shared::protocol::{AgentRef, ClientFrame, Role};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000)
}

fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value)) {
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    runner
        .run(&strategy, |value| {
            test(value);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("fuzz {name}: {} inputs", cases());
}

/// Field names, tags and values of the wire and HTTP types, and the strings that break
/// parsers and screens.
const WORDS: &[&str] = &[
    "type",
    "hello",
    "send",
    "note",
    "request_human",
    "claim",
    "hand_back",
    "reassign",
    "end",
    "typing",
    "leave_message",
    "identify",
    "version",
    "credential",
    "kind",
    "visitor",
    "agent",
    "token",
    "last_seq",
    "client_id",
    "text",
    "agent_id",
    "spam",
    "on",
    "name",
    "email",
    "title",
    "color",
    "human_button_after",
    "faq",
    "question",
    "answer",
    "engine",
    "llm",
    "webhook",
    "base_url",
    "model",
    "system_prompt",
    "timeout_ms",
    "url",
    "business_hours",
    "enabled",
    "time_zone",
    "weekly",
    "day",
    "start",
    "takeover",
    "show_button",
    "unclaimed_timeout_secs",
    "assignee_offline_secs",
    "texts",
    "allowed_origins",
    "site_key",
    "settings",
    "members",
    "role",
    "password",
    "current_password",
    "page_url",
    "language",
    "turn",
    "handover",
    "key",
    "choices",
    "delta",
    "content",
    "tool_calls",
    "function",
    "arguments",
    "usage",
    "total_tokens",
    "owner",
    "admin",
    "responder",
    "viewer",
    "mon",
    "09:00",
    "24:00",
    "Europe/Berlin",
    "#0f766e",
    "*",
    "https://x.example",
    "http://127.0.0.1:1/v1",
    "javascript:alert(1)",
    "whsec_AAAA",
    "=1+1",
    "\u{202E}",
    "\u{200B}",
    "\u{0000}",
    "\u{FEFF}",
    "\n",
    "💥",
    "a@b.co",
    "",
    " ",
    "-1",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => proptest::collection::vec(proptest::sample::select(WORDS), 1..4).prop_map(|w| w.concat()),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0u64..5000).prop_map(Value::from),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(word(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Raw bytes or JSON text, as a decoder would receive them.
fn input_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..256),
        3 => json().prop_map(|v| v.to_string().into_bytes()),
    ]
}

fn agent(i: u8) -> Actor {
    let role = [Role::Owner, Role::Admin, Role::Responder, Role::Viewer][usize::from(i % 4)];
    Actor::Agent { agent: AgentRef { id: format!("a{i}"), name: format!("A{i}") }, role }
}

/// What the conversation object would feed the machine for a decoded frame.
fn as_input(frame: ClientFrame, by: Actor) -> Option<Input> {
    Some(match frame {
        ClientFrame::Send { client_id, text, original } => {
            Input::Message { from: by, client_id, text, original }
        }
        ClientFrame::Note { client_id, text } => Input::Note { from: by, client_id, text },
        ClientFrame::RequestHuman => Input::RequestHuman,
        ClientFrame::Claim => Input::Claim { by },
        ClientFrame::HandBack { ask_rating } => Input::HandBack { by, ask_rating },
        ClientFrame::Rate { ticket, score, comment } => Input::Rate { ticket, score, comment },
        ClientFrame::Reassign { agent_id } => {
            Input::Reassign { by, to: AgentRef { id: agent_id, name: "X".into() } }
        }
        ClientFrame::End { spam } => Input::End { by, spam },
        ClientFrame::Reopen => Input::Reopen { by },
        ClientFrame::LeaveMessage { client_id, text, .. } => {
            Input::LeaveMessage { client_id, text }
        }
        ClientFrame::Hello(_)
        | ClientFrame::Ping
        | ClientFrame::Typing { .. }
        | ClientFrame::Identify { .. } => {
            return None;
        }
    })
}

#[test]
fn client_frames_and_the_machine_they_drive() {
    let frames = proptest::collection::vec((input_bytes(), 0u8..5), 1..8);
    run("client frames", frames, |frames| {
        let mut c = Conversation::new();
        for (i, (bytes, who)) in frames.into_iter().enumerate() {
            let Ok(text) = std::str::from_utf8(&bytes) else { continue };
            let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else { continue };
            let by = if who == 4 { Actor::Visitor } else { agent(who) };
            if let Some(input) = as_input(frame, by) {
                let before = c.clone();
                match c.handle(i as i64, input) {
                    Ok(_) => assert!(c.last_seq() >= before.last_seq()),
                    Err(_) => assert_eq!(c, before, "a refusal changes nothing"),
                }
            }
        }
    });
}

#[test]
fn http_bodies_and_their_checks() {
    run("http bodies", input_bytes(), |bytes| {
        if let Ok(s) = serde_json::from_slice::<SiteSettings>(&bytes) {
            let _ = shared::validate::settings(&s);
        }
        if let Ok(s) = serde_json::from_slice::<SetupRequest>(&bytes) {
            let _ = shared::validate::setup(&s);
        }
        if let Ok(m) = serde_json::from_slice::<NewMember>(&bytes) {
            let _ = shared::validate::email(&m.email);
            let _ = shared::validate::member_name(&m.name);
            let _ = shared::validate::password(&m.password);
        }
        if let Ok(c) = serde_json::from_slice::<MemberChange>(&bytes) {
            let _ = c.name.as_deref().map(shared::validate::new_member_name);
            let _ = c.email.as_deref().map(shared::validate::email);
        }
        if let Ok(n) = serde_json::from_slice::<NewConversation>(&bytes) {
            if let Some(url) = n.page_url.as_deref().and_then(shared::clean::page_url) {
                assert!(!url.contains('#') && url.chars().count() <= 2000, "{url}");
            }
            let _ = n.language.as_deref().and_then(shared::clean::language_tag);
        }
        let _ = serde_json::from_slice::<LoginRequest>(&bytes);
        let _ = serde_json::from_slice::<ModelKey>(&bytes);
    });
}

#[test]
fn a_bots_answers_and_signed_replies() {
    let strategy = (
        input_bytes(),
        word(),
        word(),
        any::<i64>(),
        proptest::collection::vec(any::<u8>(), 0..48),
    );
    run("bot answers and replies", strategy, |(body, timestamp, signature, now, key)| {
        let _ = serde_json::from_slice::<WebhookReply>(&body);
        let keys = [key];
        let path = "/api/bot/conversations/0123456789abcdef0123456789abcdef/reply";
        let verdict =
            shared::signing::verify_reply(&keys, "POST", path, &timestamp, &signature, &body, now);
        // Made-up signatures never verify.
        assert!(verdict.is_err() || signature.contains("v1,"));
        let _ = shared::signing::key(&signature);
    });
}

#[test]
fn a_models_event_stream() {
    let chunks = proptest::collection::vec(
        prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64),
                json().prop_map(|v| format!("data: {v}\n\n").into_bytes()),
                json().prop_map(
                    |v| format!("data: {{\"choices\":[{{\"delta\":{v}}}]}}\n\n").into_bytes()
                ),
                Just(b"data: [DONE]\n\n".to_vec()),
            ],
        0..12,
    );
    run("model stream", chunks, |chunks| {
        let mut decoder = shared::llm::SseDecoder::default();
        let mut draft = shared::llm::Draft::default();
        for chunk in chunks {
            for payload in decoder.push(&chunk) {
                let _ = draft.apply(&payload);
            }
        }
        let _ = draft.handover_reason();
    });
    run("ticket answer", json(), |answer| {
        let _ = shared::llm::parse_ticket(&answer);
    });
}

#[test]
fn cleaned_text_keeps_its_promises() {
    run("text cleaners", any::<String>(), |raw| {
        let name = shared::clean::name(&raw);
        assert!(
            !name.chars().any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)),
            "{name:?}"
        );
        assert_eq!(shared::clean::name(&name), name, "cleaning is idempotent");
        let message = shared::clean::message(&raw);
        assert!(!message.chars().any(|c| ('\u{2066}'..='\u{2069}').contains(&c)), "{message:?}");
        assert_eq!(shared::clean::message(&message), message);
        let cell = shared::clean::csv_cell(&raw);
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?}");
    });
}
