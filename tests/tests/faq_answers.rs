//! What the FAQ engine's answers tell the team, and what the chat offers when it opens: an
//! answer names the entry it came from and how sure the engine was; a handover for want of an
//! answer says so; the chat suggests the owner's questions, else those answered most.

use std::time::{Duration, Instant};

use integration::{Agent, Edge, Visitor, event};
use reqwest::Method;
use serde_json::{Value, json};
use shared::protocol::{AnswerSource, Author, EscalatedBy, Event, ItemBody, ServerFrame};

const OWNER: &str = "own@faq.test";

async fn config(edge: &Edge, site: &str) -> Value {
    reqwest::get(format!("{}/api/sites/{site}/config", edge.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn suggestions(config: &Value) -> Vec<String> {
    serde_json::from_value(config["suggestions"].clone()).unwrap()
}

/// Asks `question` as a new visitor; the source of the AI's answer, as the team sees it (the
/// visitor's chat shows the text alone, and its frames carry nothing else).
async fn answer_source(edge: &Edge, site: &str, question: &str) -> Option<AnswerSource> {
    let mut visitor = Visitor::join(edge, site).await;
    visitor.say("q1", question).await;
    let reply = visitor
        .socket
        .until("the AI's answer", |f| {
            matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.author == Author::Bot))
        })
        .await;
    let ServerFrame::Item(answer) = reply else { unreachable!() };
    let ItemBody::Message(seen) = &answer.body else { unreachable!() };
    assert_eq!(seen.source, None, "the visitor's frame keeps the team's notes out");
    let owner = Agent::login(edge, site, OWNER).await;
    let (_, welcome) = owner.open(&visitor.conversation_id).await;
    welcome.backlog.into_iter().find(|i| i.seq == answer.seq).and_then(|i| match i.body {
        ItemBody::Message(m) => m.source,
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_names_its_entry_and_the_most_answered_are_suggested() {
    let edge = Edge::start();
    let site = edge.site("suggest", &[(OWNER, "Olga", "owner")]);
    let faq: Vec<String> = serde_json::from_str::<Value>(integration::DEMO_SITE).unwrap()["faq"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["question"].as_str().unwrap().to_owned())
        .collect();
    // Nothing asked yet: the FAQ's first questions.
    assert_eq!(suggestions(&config(&edge, &site).await), faq[..3]);

    let reset = "How do I reset my password?";
    let source = answer_source(&edge, &site, "I forgot my password, how do I reset it?").await;
    let source = source.expect("an FAQ answer names its entry");
    assert_eq!(source.faq_question, reset);
    assert!((50..=100).contains(&source.confidence), "{source:?}");
    assert_eq!(answer_source(&edge, &site, "password reset").await.unwrap().faq_question, reset);

    // The site counts answers as conversations report them: soon, not at once.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = suggestions(&config(&edge, &site).await);
        if now.first().map(String::as_str) == Some(reset) {
            assert_eq!(now.len(), 3);
            assert_eq!(now[1..], faq[..2], "filled up in the FAQ's order");
            break;
        }
        assert!(Instant::now() < deadline, "the most answered is not suggested: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The owner's pick wins.
    let owner = Agent::login(&edge, &site, OWNER).await;
    let mut settings: Value = owner.get("/api/admin/settings").await.json().await.unwrap();
    settings["suggestions"] = json!(["Do you ship internationally?"]);
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings.clone())).await;
    assert_eq!(res.status(), 200);
    assert_eq!(suggestions(&config(&edge, &site).await), ["Do you ship internationally?"]);

    // Too many, too long, or blank: refused, nothing stored.
    for bad in [
        json!(["a?", "b?", "c?", "d?"]),
        json!(["x".repeat(121)]),
        json!(["  "]),
        json!(["Do you ship internationally?", "Do you ship internationally?"]),
        json!("not a list"),
    ] {
        let mut s = settings.clone();
        s["suggestions"] = bad.clone();
        let res = owner.request(Method::PUT, "/api/admin/settings", Some(s)).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    assert_eq!(suggestions(&config(&edge, &site).await), ["Do you ship internationally?"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handover_for_want_of_an_answer_says_so_and_a_greeting_can_be_reworded() {
    let edge = Edge::start();
    let site = edge.site("unsure", &[(OWNER, "Olga", "owner")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("q1", "Do you rent kayaks by the hour?").await;
    let escalated = visitor
        .socket
        .until("the handover", |f| matches!(event(f), Some(Event::Escalated { .. })))
        .await;
    match event(&escalated) {
        Some(Event::Escalated { by: EscalatedBy::Bot, reason, .. }) => {
            assert_eq!(reason.as_deref(), Some(shared::faq::NO_CONFIDENT_ANSWER));
        }
        other => panic!("not the AI's handover: {other:?}"),
    }

    let owner = Agent::login(&edge, &site, OWNER).await;
    let mut settings: Value = owner.get("/api/admin/settings").await.json().await.unwrap();
    settings["texts"] = json!({ "*": { "greeting": "Welcome to Northwind!" } });
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings.clone())).await;
    assert_eq!(res.status(), 200);
    assert_eq!(config(&edge, &site).await["texts"]["*"]["greeting"], "Welcome to Northwind!");
    settings["texts"] = json!({ "*": { "greeting": " " } });
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings)).await;
    assert_eq!(res.status(), 400, "a blank greeting is left out, not stored");
}
