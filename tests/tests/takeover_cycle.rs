//! The whole takeover cycle over real sockets: the FAQ bot answers, the visitor asks for a
//! person, an agent sees it live, claims, replies, hands back, and the AI answers again.

use integration::{Agent, Edge, Visitor, bot_text, event};
use shared::api::InboxFrame;
use shared::protocol::{Author, Event, ItemBody, Phase, ServerFrame};

#[tokio::test(flavor = "multi_thread")]
async fn visitor_escalates_agent_claims_replies_and_hands_back() {
    let edge = Edge::start();
    let site = edge.site("cycle", &[("maria@shop.test", "Maria Lopez", "responder")]);
    let agent = Agent::login(&edge, &site, "maria@shop.test").await;
    let mut inbox = agent.inbox().await;
    let snapshot: InboxFrame =
        serde_json::from_value(inbox.until_json("the snapshot", |_| true).await).unwrap();
    assert_eq!(snapshot, InboxFrame::Snapshot { conversations: vec![] });

    let mut visitor = Visitor::join(&edge, &site).await;
    assert_eq!(visitor.welcome.state.phase, Phase::Bot);

    // The FAQ bot answers a question it knows.
    visitor.say("q1", "How long does shipping take?").await;
    let answer = visitor.socket.until("the bot's answer", |f| bot_text(f).is_some()).await;
    assert!(bot_text(&answer).unwrap().contains("business days"), "{answer:?}");

    // Asking for a person escalates; the agent's live inbox shows it.
    visitor.socket.send(&shared::protocol::ClientFrame::RequestHuman).await;
    visitor.socket.until("escalation", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
    let id = visitor.conversation_id.clone();
    inbox
        .until_json("the escalated row in the inbox", |v| {
            v["type"] == "upsert" && v["id"] == id.as_str() && v["phase"] == "escalated"
        })
        .await;

    // The agent claims and replies; the visitor sees the join and the named bubble.
    let (mut desk, welcome) = agent.open(&id).await;
    assert_eq!(welcome.state.phase, Phase::Escalated);
    assert!(welcome.backlog.len() >= 3, "the agent sees the whole history");
    desk.send(&shared::protocol::ClientFrame::Claim).await;
    let joined = visitor
        .socket
        .until("agent joined", |f| matches!(event(f), Some(Event::AgentJoined { .. })))
        .await;
    assert!(
        matches!(event(&joined), Some(Event::AgentJoined { agent, ticket: 1 }) if agent.name == "Maria Lopez")
    );
    desk.send(&integration::say("r1", "Hi, Maria here. How can I help?")).await;
    let reply = visitor
        .socket
        .until("the agent's reply", |f| matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if matches!(&m.author, Author::Agent(a) if a.name == "Maria Lopez"))))
        .await;
    assert!(
        matches!(reply, ServerFrame::Item(ref i) if matches!(&i.body, ItemBody::Message(m) if m.text.contains("Maria here")))
    );

    // While a person is on it, the visitor's messages reach the agent and the AI stays quiet.
    visitor.say("q2", "My order 1234 never arrived").await;
    desk.until("the visitor's message", |f| matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.text.contains("1234")))).await;
    assert!(
        visitor
            .socket
            .try_next(std::time::Duration::from_millis(800))
            .await
            .is_none_or(|f| bot_text(&f).is_none()),
        "the AI must not answer while a person holds the conversation"
    );

    // Hand back: the visitor sees the agent leave and the AI resume, and the AI answers.
    desk.send(&shared::protocol::ClientFrame::HandBack { ask_rating: false }).await;
    visitor.socket.until("AI resumed", |f| matches!(event(f), Some(Event::AiResumed { .. }))).await;
    visitor.say("q3", "What is your return policy?").await;
    let answer =
        visitor.socket.until("the bot's answer after hand back", |f| bot_text(f).is_some()).await;
    assert!(bot_text(&answer).unwrap().contains("30 days"));
    inbox
        .until_json("the row back in the bot phase", |v| {
            v["id"] == id.as_str() && v["phase"] == "bot"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_hands_over_when_it_has_no_answer() {
    let edge = Edge::start();
    let site = edge.site("handover", &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("q1", "Can you repair a vintage espresso machine I bought elsewhere?").await;
    let f = visitor
        .socket
        .until("escalation by the bot", |f| matches!(event(f), Some(Event::Escalated { .. })))
        .await;
    assert!(matches!(
        event(&f),
        Some(Event::Escalated { by: shared::protocol::EscalatedBy::Bot, .. })
    ));
    let state = visitor.socket.until("the new state", |f| matches!(f, ServerFrame::State(_))).await;
    assert!(matches!(state, ServerFrame::State(s) if s.phase == Phase::Escalated));
}
