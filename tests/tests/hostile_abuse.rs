//! Abuse without credentials, and floods that would bury real requests: per-client limits
//! with `429` and `Retry-After`, sockets that never speak, too many sockets on one token,
//! a visitor typing faster than the AI answers, made-up site keys, and an inbox that keeps
//! every pending request in view however many visitors come and go.

use std::path::Path;
use std::time::Duration;

use integration::llm_mock::MockLlm;
use integration::{
    Agent, Edge, Socket, Visitor, bot_text, demo_settings, hello_visitor, visitor_url,
};
use shared::api::InboxFrame;
use shared::protocol::{ClientFrame, ServerFrame};

/// Sends requests from one client (one IPv6 /64) until one is refused with 429; returns how many
/// went through first and the refusal. Fixed windows can split a burst, so the limit is
/// proven if a refusal comes within twice the limit.
async fn until_limited(
    limit: usize,
    send: impl Fn(usize) -> reqwest::RequestBuilder,
) -> (usize, reqwest::Response) {
    for i in 0..=(2 * limit) {
        // Every request from another address of one IPv6 /64, as one host can: one client.
        let ip = format!("2001:db8:7:7::{:x}", i + 1);
        let res = send(i).header("CF-Connecting-IP", ip).send().await.unwrap();
        if res.status() == 429 {
            return (i, res);
        }
        assert!(res.status().as_u16() < 500, "request {i}: {}", res.status());
    }
    panic!("no 429 after {} requests from one address", 2 * limit + 1);
}

async fn assert_limited(name: &str, limit: usize, send: impl Fn(usize) -> reqwest::RequestBuilder) {
    let (passed, res) = until_limited(limit, &send).await;
    assert!(passed >= limit, "{name}: only {passed} of {limit} allowed before the refusal");
    assert_eq!(res.headers()["retry-after"], "60", "{name}: Retry-After");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{name}");
    // Someone else, behind another address, is not held back.
    let other = send(10_000).header("CF-Connecting-IP", "198.51.100.9").send().await.unwrap();
    assert_ne!(other.status(), 429, "{name}: another client");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_client_is_limited_on_what_needs_no_credentials() {
    let edge = Edge::start();
    let site = edge.site("limits", &[("own@t.test", "Olga", "owner")]);
    let http = reqwest::Client::new();
    let base = edge.base.clone();

    assert_limited("conversations", 60, |_| {
        http.post(format!("{base}/api/sites/{site}/conversations")).json(&serde_json::json!({}))
    })
    .await;
    assert_limited("widget settings", 600, |_| http.get(format!("{base}/api/sites/{site}/config")))
        .await;
    // (Failed sign-ins into a real site lock the address sooner, after 20: see
    // hostile_accounts. The limit here holds for any sign-in request at all.)
    assert_limited("sign-ins", 30, |i| {
        http.post(format!("{base}/api/admin/login")).json(&serde_json::json!({
            "site_key": "no-such-site", "email": format!("guess{i}@t.test"), "password": "wrong-wrong"
        }))
    })
    .await;
    assert_limited("sockets", 600, |_| {
        http.get(format!("{base}/api/conversations/{}/ws", "0".repeat(32)))
            .header("Upgrade", "websocket")
    })
    .await;
}

/// The Site objects' storage files, and whether our schema is in each. (Local workerd makes a
/// file for every object it starts, with a table of its own naming it; what matters is that
/// nothing of ours is written.)
fn site_files(state: &Path) -> Vec<(std::path::PathBuf, bool)> {
    fn walk(dir: &Path, out: &mut Vec<(std::path::PathBuf, bool)>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = path.to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, out);
            } else if name.contains("takeover-Site") && !name.contains("metadata") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let ours = bytes.windows(13).any(|w| w == b"password_hash");
                out.push((path, ours));
            }
        }
    }
    let mut out = Vec::new();
    walk(state, &mut out);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn made_up_site_keys_answer_404_and_leave_nothing_behind() {
    let edge = Edge::start();
    edge.site("real", &[]);
    let before = site_files(edge.state_dir());
    assert!(before.iter().any(|(_, ours)| *ours), "the real site's schema is on disk: {before:?}");
    for i in 0..20 {
        let key = format!("nosuch-{i}");
        let config = reqwest::get(format!("{}/api/sites/{key}/config", edge.base)).await.unwrap();
        assert_eq!(config.status(), 404);
        let created = reqwest::Client::new()
            .post(format!("{}/api/sites/{key}/conversations", edge.base))
            .header("CF-Connecting-IP", integration::client_ip())
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 404);
        let login = reqwest::Client::new()
            .post(format!("{}/api/admin/login", edge.base))
            .header("CF-Connecting-IP", integration::client_ip())
            .json(&serde_json::json!({ "site_key": key, "email": "a@b.c", "password": "whatever-123" }))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 401);
        let chat = reqwest::get(format!("{}/chat/{key}", edge.base)).await.unwrap();
        assert_eq!(chat.status(), 404);
    }
    let after = site_files(edge.state_dir());
    let written: Vec<_> = after.iter().filter(|f| f.1 && !before.contains(f)).collect();
    assert!(written.is_empty(), "made-up sites got storage of ours: {written:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_and_surplus_sockets_are_closed() {
    let edge = Edge::start();
    let site = edge.site("sockets", &[]);
    let visitor = Visitor::join(&edge, &site).await;
    let url = visitor_url(&edge, &visitor.conversation_id);

    // A socket that never says hello is closed after ten seconds.
    let mut silent = Socket::connect(&url, None).await;
    // Ten more, each saying hello: the oldest (the first visitor's) gives way to the
    // eleventh, so one token cannot pile up connections.
    let mut first = visitor.socket;
    let mut others = Vec::new();
    for _ in 0..10 {
        let mut s = Socket::connect(&url, None).await;
        s.send(&hello_visitor(&visitor.token, 0)).await;
        s.welcome().await;
        others.push(s);
    }
    assert_eq!(
        silent.close_code_within(Duration::from_secs(15)).await.map(|c| c == 4008 || c == 4009),
        Some(true)
    );
    assert_eq!(first.close_code_within(Duration::from_secs(5)).await, Some(4009));
    let newest = others.last_mut().unwrap();
    newest.send(&integration::say("still-here", "hello")).await;
    newest.until("the ack", |f| matches!(f, ServerFrame::Ack { .. })).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_typing_fast_costs_one_answer_not_one_per_message() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let settings = demo_settings(|s| {
        s["engine"] = serde_json::json!({
            "kind": "llm", "base_url": model.base_url, "model": "m", "timeout_ms": 10_000
        })
    });
    let site = edge.site_with("fast", &settings, &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    // The first question keeps the model busy for five seconds; four more follow at once.
    visitor.socket.send(&integration::say("q0", "a slow question")).await;
    for i in 1..=4 {
        visitor
            .socket
            .send(&integration::say(&format!("q{i}"), &format!("and another thing {i}")))
            .await;
    }
    let answer = visitor.socket.until("the answer", |f| bot_text(f).is_some()).await;
    let ServerFrame::Item(item) = answer else { unreachable!() };
    assert_eq!(item.seq, 6, "one answer, after the five questions");
    let asked: Vec<String> = model
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|b| {
            b["messages"].as_array().unwrap().last().unwrap()["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // The questions reach the object at once (the engine call runs after the frame's event),
    // so the first call may be aborted before it even reached the model.
    assert!(
        (1..=2).contains(&asked.len()),
        "at most the first call, then one for the newest message: {asked:?}"
    );
    assert_eq!(asked.last().map(String::as_str), Some("and another thing 4"));
    assert!(
        visitor
            .socket
            .try_next(Duration::from_secs(6))
            .await
            .is_none_or(|f| bot_text(&f).is_none()),
        "no second answer"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_visitors_never_pushes_a_pending_request_out_of_the_inbox() {
    let edge = Edge::start();
    let site =
        edge.site("flood", &[("own@t.test", "Olga", "owner"), ("res@t.test", "Rita", "responder")]);
    let mut waiting = Visitor::join(&edge, &site).await;
    waiting.socket.send(&ClientFrame::RequestHuman).await;
    waiting.socket.until("escalated", |f| matches!(f, ServerFrame::State(_))).await;
    let spammer = Visitor::join(&edge, &site).await;

    // 1,050 visitors open the chat after the pending one (more than the inbox ever listed).
    let mut set = tokio::task::JoinSet::new();
    let base = std::sync::Arc::new(edge.base.clone());
    for batch in 0..35 {
        let (base, site) = (base.clone(), site.clone());
        set.spawn(async move {
            for _ in 0..30 {
                flood_one(&base, &site).await;
            }
            batch
        });
    }
    while set.join_next().await.is_some() {}

    // A responder closes the spammer's conversation as spam.
    let rita = Agent::login(&edge, &site, "res@t.test").await;
    let (mut desk, _) = rita.open(&spammer.conversation_id).await;
    desk.send(&ClientFrame::End { spam: true }).await;
    desk.until("closed", |f| matches!(f, ServerFrame::State(_))).await;

    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let mut inbox = owner.inbox().await;
    let snapshot = inbox.until_json("the snapshot", |v| v["type"] == "snapshot").await;
    let InboxFrame::Snapshot { conversations } = serde_json::from_value(snapshot).unwrap() else {
        unreachable!()
    };
    assert!(
        conversations.iter().any(|c| c.id == waiting.conversation_id),
        "the pending request is listed"
    );
    assert!(conversations.iter().all(|c| c.id != spammer.conversation_id), "spam is not");
    assert!(conversations.len() <= 600, "the rest is bounded: {}", conversations.len());
}

/// One visitor opening the chat: a conversation, a socket, a hello.
async fn flood_one(base: &str, site: &str) {
    let created =
        integration::start_conversation(base, site, &serde_json::json!({})).await.unwrap();
    let id = &created.conversation_id;
    let url = format!("{}/api/conversations/{id}/ws", base.replacen("http", "ws", 1));
    let mut s = Socket::connect(&url, None).await;
    s.send(&hello_visitor(&created.token, 0)).await;
    s.welcome().await;
}
