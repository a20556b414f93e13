//! The inbox's preview of a conversation is the visitor's need, not their latest words: the
//! first message of the takeover cycle that says what they want, held until the cycle ends.

use std::time::Duration;

use integration::{Agent, Edge, Visitor, event};
use shared::protocol::{ClientFrame, Event};

/// The conversation's preview in the inbox list once it equals `want` (the index hears of
/// changes within the report interval).
async fn preview_becomes(agent: &Agent, id: &str, want: &str) {
    let mut seen = String::new();
    for _ in 0..50 {
        let rows: serde_json::Value =
            agent.get("/api/admin/conversations").await.json().await.expect("the inbox list");
        let row = rows.as_array().and_then(|r| r.iter().find(|r| r["id"] == id).cloned());
        seen = row.and_then(|r| r["preview"].as_str().map(str::to_owned)).unwrap_or_default();
        if seen == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the preview stayed {seen:?}, expected {want:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_preview_is_the_need_until_the_cycle_ends() {
    let edge = Edge::start();
    let site = edge.site("preview", &[("ana@t.test", "Ana", "responder")]);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    let id = visitor.conversation_id.clone();

    visitor.say("v1", "hi").await;
    preview_becomes(&ana, &id, "hi").await;
    let need = "My order 1234 never arrived at my door";
    visitor.say("v2", need).await;
    preview_becomes(&ana, &id, need).await;
    visitor.say("v3", "human please").await;
    // Still the need once "human please" has reached the index (a report later).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    preview_becomes(&ana, &id, need).await;

    // The cycle ends; the next need is the next preview.
    let (mut desk, _) = ana.open(&id).await;
    desk.send(&ClientFrame::Claim).await;
    visitor.socket.until("joined", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    desk.send(&ClientFrame::HandBack { ask_rating: false }).await;
    visitor.socket.until("AI back", |f| matches!(event(f), Some(Event::AiResumed { .. }))).await;
    let next = "Do you ship to Canada and how long does it take";
    visitor.say("v4", next).await;
    preview_becomes(&ana, &id, next).await;
}
