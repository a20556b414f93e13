//! The OpenAI-compatible engine against a local model server: a streamed answer, a handover
//! decided through the tool call, and the polite fallback on timeouts and broken answers.

use integration::llm_mock::MockLlm;
use integration::{Agent, Edge, Visitor, bot_text, demo_settings, event};
use shared::protocol::{ClientFrame, EscalatedBy, Event, ItemBody, Phase, ServerFrame};

fn settings(base_url: &str, timeout_ms: u32) -> String {
    demo_settings(|s| {
        s["engine"] = serde_json::json!({
            "kind": "llm", "base_url": base_url, "model": "test-model",
            "system_prompt": "You are the shop's assistant.", "timeout_ms": timeout_ms
        })
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_answer_is_drafted_then_stored() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let site = edge.site_with(
        "llm",
        &settings(&model.base_url, 10_000),
        &[("own@t.test", "Olga", "owner")],
    );
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("q1", "When do you open?").await;
    let mut drafts = Vec::new();
    let answer = loop {
        let f = visitor.socket.next().await;
        if let ServerFrame::BotDraft { text, .. } = &f {
            drafts.push(text.clone());
        }
        if let Some(text) = bot_text(&f).map(str::to_owned) {
            break text;
        }
    };
    assert_eq!(answer, "Our store opens at 9 every day.");
    assert!(drafts.len() >= 2, "the answer streamed: {drafts:?}");
    assert!(drafts.windows(2).all(|w| w[1].starts_with(&w[0])), "drafts grow: {drafts:?}");

    let body = model.seen.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are the shop's assistant."));
    assert!(system.contains("Standard shipping takes 3 to 5 business days"), "grounded in the FAQ");
    assert_eq!(
        body["messages"].as_array().unwrap().last().unwrap()["content"],
        "When do you open?"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_hands_over_through_its_tool() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let site = edge.site_with("llm-handover", &settings(&model.base_url, 10_000), &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("q1", "Please, I need a real person for this").await;
    let f = visitor
        .socket
        .until("the handover", |f| matches!(event(f), Some(Event::Escalated { .. })))
        .await;
    let ServerFrame::Item(item) = f else { unreachable!() };
    assert_eq!(
        item.body,
        ItemBody::Event(Event::Escalated {
            by: EscalatedBy::Bot,
            reason: Some("The visitor wants a person".into()),
            offline: false,
            expected_wait_secs: None,
        })
    );
    let again = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    assert_eq!(again.welcome.state.phase, Phase::Escalated);
}

#[tokio::test(flavor = "multi_thread")]
async fn timeouts_errors_and_garbage_get_the_polite_fallback() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let site = edge.site_with("llm-fallback", &settings(&model.base_url, 1_000), &[]);
    for (i, question) in
        ["This one is slow", "Send me garbage", "Cause an error"].iter().enumerate()
    {
        let mut visitor = Visitor::join(&edge, &site).await;
        visitor.say(&format!("q{i}"), question).await;
        let f = visitor.socket.until("the fallback", |f| bot_text(f).is_some()).await;
        let text = bot_text(&f).map(str::to_owned).unwrap();
        assert!(text.contains("talk to a person"), "{question}: {text}");
        let again = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
        assert_eq!(again.welcome.state.phase, Phase::Bot, "{question}: no handover by itself");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_writes_the_ticket_in_the_visitors_language() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let site = edge.site_with(
        "llm-ticket",
        &settings(&model.base_url, 10_000),
        &[("ana@t.test", "Ana", "responder")],
    );
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor
        .say("q1", "Meine Bestellung ist kaputt angekommen und ich möchte mein Geld zurück")
        .await;
    visitor.socket.until("the answer", |f| bot_text(f).is_some()).await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut inbox = ana.inbox().await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    let frame = inbox
        .until_json("the model's ticket", |v| {
            v["type"] == "ticket" && v["subject"] == "Subject (de)"
        })
        .await;
    assert_eq!(frame["summary"], "Summary by the model.");
    assert_eq!(frame["language"], "de");
    let asked = model
        .seen
        .lock()
        .unwrap()
        .iter()
        .any(|b| b["tools"][0]["function"]["name"] == shared::llm::TICKET_TOOL);
    assert!(asked);
}
