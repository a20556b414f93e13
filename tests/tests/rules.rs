//! The site's takeover rules through a real worker: out-of-hours contact form and its offline
//! ticket, takeover switched off, the unclaimed timeout, the offline assignee, allowed origins.

use std::time::Duration;

use integration::{Agent, Edge, Visitor, bot_text, demo_settings as with, event, history};
use reqwest::Method;
use shared::api::{Ticket, TicketStatus};
use shared::protocol::{ClientFrame, ErrorCode, Event, ItemBody, Phase, ServerFrame};

fn leave(client_id: &str, email: &str) -> ClientFrame {
    ClientFrame::LeaveMessage {
        client_id: client_id.into(),
        name: "Mara Visitor".into(),
        email: email.into(),
        text: "My order 1234 never arrived, please write back".into(),
    }
}

/// The visitor asks for a person and hears that they wait.
async fn ask_for_a_person(visitor: &mut Visitor) {
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    visitor.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
}

/// A new visitor who said hello and waits for a person.
async fn waiting(edge: &Edge, site: &str) -> Visitor {
    let mut visitor = Visitor::join(edge, site).await;
    visitor.say("v1", "hello").await;
    ask_for_a_person(&mut visitor).await;
    visitor
}

const TEAM: &[(&str, &str, &str)] =
    &[("own@t.test", "Olga", "owner"), ("ana@t.test", "Ana", "responder")];

#[tokio::test(flavor = "multi_thread")]
async fn out_of_hours_the_contact_form_leaves_a_pending_offline_ticket() {
    let edge = Edge::start();
    // A schedule with no openings: the team is never in.
    let closed = with(|s| {
        s["business_hours"] =
            serde_json::json!({ "enabled": true, "time_zone": "UTC", "weekly": [] })
    });
    let site = edge.site_with("closed", &closed, TEAM);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;

    visitor.socket.send(&ClientFrame::RequestHuman).await;
    visitor
        .socket
        .until("the contact form offer", |f| {
            event(f) == Some(&Event::OutOfHours { back_at: None, unstaffed: false })
        })
        .await;
    let before = history(&edge, &visitor).await;
    assert!(before.iter().all(|i| !matches!(i.body, ItemBody::Event(Event::Escalated { .. }))));

    // A bad email is refused and stores nothing.
    visitor.socket.send(&leave("f1", "not-an-email")).await;
    let refused = visitor.socket.error().await;
    assert_eq!(refused.code, ErrorCode::InvalidProfile);
    assert_eq!(history(&edge, &visitor).await, before);

    visitor.socket.send(&leave("f2", "mara@example.com")).await;
    visitor
        .socket
        .until("the offline escalation", |f| {
            matches!(event(f), Some(Event::Escalated { offline: true, .. }))
        })
        .await;
    visitor
        .socket
        .until("the ack", |f| matches!(f, ServerFrame::Ack { client_id, .. } if client_id == "f2"))
        .await;
    let resumed = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    assert_eq!(resumed.welcome.state.phase, Phase::Escalated);
    assert_eq!(resumed.welcome.visitor.email.as_deref(), Some("mara@example.com"));

    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let pending = || async {
        let tickets: Vec<Ticket> = ana.get("/api/admin/tickets").await.json().await.unwrap();
        tickets
    };
    let mut tickets = pending().await;
    for _ in 0..50 {
        if !tickets.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        tickets = pending().await;
    }
    let t = &tickets[0];
    assert_eq!((t.status, t.offline, t.number), (TicketStatus::Pending, true, 1));
    assert_eq!(t.assignee, None);
    assert_eq!(t.customer_name.as_deref(), Some("Mara Visitor"));
    assert_eq!(t.customer_email.as_deref(), Some("mara@example.com"));
    assert!(t.subject.contains("1234"), "{}", t.subject);

    // The next morning someone claims it: the same ticket becomes theirs.
    let mut inbox = ana.inbox().await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    socket
        .until("the join", |f| matches!(event(f), Some(Event::AgentJoined { ticket: 1, .. })))
        .await;
    inbox
        .until_json("the assigned ticket", |v| {
            v["type"] == "ticket" && v["status"] == "open" && v["assignee"]["name"] == "Ana"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_takeover_off_the_ai_answers_alone() {
    let edge = Edge::start();
    let off = with(|s| s["takeover"] = serde_json::json!({ "enabled": false }));
    let site = edge.site_with("alone", &off, TEAM);
    let config: serde_json::Value = reqwest::get(format!("{}/api/sites/{site}/config", edge.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["takeover"], false);

    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::TakeoverOff);

    visitor.say("v1", "Can I talk to a real person please?").await;
    let text = visitor.socket.until("the AI's answer", |f| bot_text(f).is_some()).await;
    assert!(bot_text(&text).unwrap().contains("can't bring in a person"), "{text:?}");
    let after = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    assert_eq!(after.welcome.state.phase, Phase::Bot, "the AI's wish for a person went unheard");
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_claiming_in_time_tells_the_visitor_and_the_ai_resumes() {
    let edge = Edge::start();
    let quick = with(|s| {
        s["takeover"] =
            serde_json::json!({ "unclaimed_timeout_secs": 2, "when_nobody_available": "wait" })
    });
    let site = edge.site_with("unclaimed", &quick, TEAM);
    let mut visitor = waiting(&edge, &site).await;
    visitor.socket.until("the timeout", |f| event(f) == Some(&Event::Unclaimed)).await;
    visitor
        .socket
        .until("the AI back", |f| matches!(f, ServerFrame::State(v) if v.phase == Phase::Bot))
        .await;
    visitor.say("v2", "How long does shipping take?").await;
    let answer = visitor.socket.until("the AI answering again", |f| bot_text(f).is_some()).await;
    assert!(bot_text(&answer).unwrap().contains("3 to 5 business days"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assignee_offline_too_long_sends_the_conversation_back_to_pending() {
    let edge = Edge::start();
    let quick = with(|s| s["takeover"] = serde_json::json!({ "assignee_offline_secs": 2 }));
    let site = edge.site_with("away", &quick, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let inbox = ana.inbox().await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    visitor.socket.until("the join", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    // Online, nothing happens however long it takes.
    let quiet = visitor.socket.try_next(Duration::from_secs(4)).await;
    assert!(!matches!(quiet.as_ref().and_then(event), Some(Event::Requeued { .. })));

    // Ana closes her console: two seconds later the conversation is back in the queue.
    drop(inbox);
    drop(socket);
    visitor.socket.until("the requeue", |f| matches!(event(f), Some(Event::Requeued { .. }))).await;
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let (mut socket, welcome) = olga.open(&visitor.conversation_id).await;
    assert_eq!(welcome.state.phase, Phase::Escalated);
    socket.send(&ClientFrame::Claim).await;
    socket
        .until("the new join, same ticket", |f| {
            matches!(event(f), Some(Event::AgentJoined { ticket: 1, agent }) if agent.name == "Olga")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_allowed_origins_may_embed_the_widget() {
    let edge = Edge::start();
    let strict = with(|s| {
        s["allowed_origins"] =
            serde_json::json!(["https://shop.example", "https://*.brand.example"])
    });
    let site = edge.site_with("strict", &strict, TEAM);
    let client = reqwest::Client::new();
    let config = |origin: Option<&'static str>| {
        let mut req = client.get(format!("{}/api/sites/{site}/config", edge.base));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.send()
    };
    let refused = config(Some("https://evil.example")).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["access-control-allow-origin"], "*", "the widget can read why");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "origin_not_allowed");
    assert!(body["message"].as_str().unwrap().contains("https://evil.example"));
    assert_eq!(config(Some("https://shop.example")).await.unwrap().status(), 200);
    assert_eq!(config(Some("https://eu.brand.example")).await.unwrap().status(), 200);
    assert_eq!(config(None).await.unwrap().status(), 200, "not a browser page");

    let create = client
        .post(format!("{}/api/sites/{site}/conversations", edge.base))
        .header("Origin", "https://evil.example")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 403);

    // A malformed entry is refused when saved.
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let mut settings: serde_json::Value =
        olga.get("/api/admin/settings").await.json().await.unwrap();
    settings["allowed_origins"] = serde_json::json!(["shop.example/path"]);
    let res = olga.request(Method::PUT, "/api/admin/settings", Some(settings)).await;
    assert_eq!(res.status(), 400);
    let message =
        res.json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("not an origin"), "{message}");
}

/// The AI's messages stored after the request for a person.
fn bot_lines_after_escalation(items: &[shared::protocol::Item]) -> Vec<String> {
    let from = items
        .iter()
        .position(|i| matches!(i.body, ItemBody::Event(Event::Escalated { .. })))
        .expect("an escalation");
    items[from..]
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) if m.author == shared::protocol::Author::Bot => {
                Some(m.text.clone())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ai_answers_what_it_knows_while_the_visitor_waits_and_stops_at_the_claim() {
    let edge = Edge::start();
    let answering = with(|s| s["takeover"]["ai_answers_while_waiting"] = true.into());
    let site = edge.site_with("answering", &answering, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut visitor = waiting(&edge, &site).await;

    // Something the FAQ does not know gets no "let me bring someone" again; a known question
    // is answered, and the visitor still waits.
    visitor.say("v2", "my cat ate the invoice and the printer is on fire").await;
    visitor.say("v3", "How long does shipping take?").await;
    visitor
        .socket
        .until("the answer while waiting", |f| {
            bot_text(f).is_some_and(|t| t.contains("3 to 5 business days"))
        })
        .await;
    let items = history(&edge, &visitor).await;
    let said = bot_lines_after_escalation(&items);
    assert_eq!(said.len(), 1, "only the known answer: {said:?}");
    assert!(items.iter().all(|i| !matches!(i.body, ItemBody::Event(Event::AgentJoined { .. }))));

    // After the claim the person answers, not the AI.
    let (mut desk, _) = ana.open(&visitor.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    visitor.socket.until("joined", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    visitor.say("v4", "Do you ship internationally?").await;
    desk.send(&ClientFrame::Send {
        client_id: "a1".into(),
        text: "Let me check.".into(),
        original: None,
    })
    .await;
    visitor
        .socket
        .until("the agent's reply", |f| {
            matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.text == "Let me check."))
        })
        .await;
    let said = bot_lines_after_escalation(&history(&edge, &visitor).await);
    assert_eq!(said.len(), 1, "nothing from the AI after the claim: {said:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_a_waiting_visitors_questions_wait_for_the_person() {
    let edge = Edge::start();
    let site = edge.site_with("waiting", &with(|_| {}), TEAM);
    let mut visitor = waiting(&edge, &site).await;
    visitor.say("v2", "How long does shipping take?").await;
    // The FAQ answers in milliseconds when it answers at all.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(bot_lines_after_escalation(&history(&edge, &visitor).await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quiet_chat_closes_by_itself_and_reopens_when_the_visitor_writes_again() {
    let edge = Edge::start();
    let quick = with(|s| s["takeover"]["idle_close_secs"] = 2.into());
    let site = edge.site_with("idle", &quick, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "How long does shipping take?").await;
    visitor.socket.until("the answer", |f| bot_text(f).is_some()).await;
    let closed = Event::Ended { by: shared::protocol::EndedBy::Idle, spam: false };
    visitor.socket.until("the idle close", |f| event(f) == Some(&closed)).await;
    visitor
        .socket
        .until("ended", |f| matches!(f, ServerFrame::State(v) if v.phase == Phase::Ended))
        .await;

    // Writing again picks it up where it was: same conversation, the AI answers.
    visitor.say("v2", "Do you ship internationally?").await;
    visitor
        .socket
        .until("the answer after reopening", |f| {
            bot_text(f).is_some_and(|t| t.contains("40 countries"))
        })
        .await;
    let items = history(&edge, &visitor).await;
    let reopened = items
        .iter()
        .position(|i| i.body == ItemBody::Event(Event::Reopened { by: None }))
        .expect("the reopening is on the timeline");
    assert!(
        matches!(&items[reopened + 1].body, ItemBody::Message(m) if m.text == "Do you ship internationally?"),
        "right before the visitor's message: {items:?}"
    );
    let path =
        format!("/api/admin/conversations/{}/transcript?format=text", visitor.conversation_id);
    let text = ana.get(&path).await.text().await.unwrap();
    assert!(text.contains("Conversation closed after a quiet while"), "{text}");
    assert!(text.contains("Conversation reopened: the visitor wrote again"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_chat_stays_closed_to_the_visitor_until_a_teammate_reopens_it() {
    let edge = Edge::start();
    let site = edge.site_with("reopen", &with(|_| {}), TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "How long does shipping take?").await;
    let (mut desk, _) = ana.open(&visitor.conversation_id).await;
    desk.send(&ClientFrame::End { spam: true }).await;
    visitor
        .socket
        .until("ended", |f| matches!(f, ServerFrame::State(v) if v.phase == Phase::Ended))
        .await;
    visitor
        .socket
        .send(&ClientFrame::Send { client_id: "v2".into(), text: "hi?".into(), original: None })
        .await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::ConversationEnded);
    visitor.socket.send(&ClientFrame::Reopen).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::Forbidden);

    desk.send(&ClientFrame::Reopen).await;
    let again = Event::Reopened { by: Some(ana.me.agent.clone()) };
    visitor.socket.until("reopened by Ana", |f| event(f) == Some(&again)).await;
    visitor
        .socket
        .until("the AI back", |f| matches!(f, ServerFrame::State(v) if v.phase == Phase::Bot))
        .await;
    visitor.say("v3", "Do you ship internationally?").await;
    visitor.socket.until("the AI answering", |f| bot_text(f).is_some()).await;
    // Listed again: it was closed as spam, and is not any more.
    let mut listed = false;
    for _ in 0..50 {
        let list: Vec<serde_json::Value> =
            ana.get("/api/admin/conversations").await.json().await.unwrap();
        listed = list.iter().any(|c| c["id"] == visitor.conversation_id.as_str());
        if listed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(listed, "back in the inbox");
}
