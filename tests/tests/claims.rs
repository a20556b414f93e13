//! Claiming is a compare-and-set inside the conversation's object: one winner, every loser
//! told who won.

use integration::{Agent, Edge, Visitor, event};
use shared::protocol::{ClientFrame, ErrorCode, Event, ItemBody, Phase, ServerFrame};

fn joined(f: &ServerFrame) -> bool {
    matches!(event(f), Some(Event::AgentJoined { .. }))
}

fn joined_as(f: &ServerFrame, name: &str) -> bool {
    matches!(event(f), Some(Event::AgentJoined { agent, .. }) if agent.name == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_claim_is_told_who_won() {
    let edge = Edge::start();
    let site =
        edge.site("second", &[("ana@t.test", "Ana", "responder"), ("ben@t.test", "Ben", "admin")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let ben = Agent::login(&edge, &site, "ben@t.test").await;
    let (mut a, _) = ana.open(&visitor.conversation_id).await;
    let (mut b, _) = ben.open(&visitor.conversation_id).await;
    a.send(&ClientFrame::Claim).await;
    a.until("Ana's join", joined).await;
    b.send(&ClientFrame::Claim).await;
    let refusal = b.error().await;
    assert_eq!(refusal.code, ErrorCode::AlreadyClaimed);
    assert_eq!(refusal.agent.map(|a| a.name), Some("Ana".to_owned()));
    assert!(refusal.message.contains("Ana"), "{}", refusal.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_claims_make_exactly_one_winner() {
    let edge = Edge::start();
    let people: Vec<(String, String)> =
        (0..20).map(|i| (format!("agent{i}@t.test"), format!("Agent {i}"))).collect();
    let members: Vec<(&str, &str, &str)> =
        people.iter().map(|(e, n)| (e.as_str(), n.as_str(), "responder")).collect();
    let site = edge.site("race", &members);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "I need help with an invoice").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;

    let mut sockets = Vec::new();
    for (email, name) in &people {
        let agent = Agent::login(&edge, &site, email).await;
        sockets.push((name.clone(), agent.open(&visitor.conversation_id).await.0));
    }
    // Everyone is connected and greeted; now all claims leave at once. Each agent's outcome
    // is its own join or its refusal (everyone also sees the winner's join).
    let claims = sockets.into_iter().map(|(name, mut s)| {
        tokio::spawn(async move {
            s.send(&ClientFrame::Claim).await;
            s.until("the claim's outcome", |f| {
                joined_as(f, &name) || matches!(f, ServerFrame::Error(_))
            })
            .await
        })
    });
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for outcome in futures_util::future::join_all(claims).await {
        match outcome.expect("claim task") {
            ServerFrame::Error(e) => losers.push(e),
            f => winners.push(f),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(losers.len(), 19, "{losers:?}");
    let winner = visitor.socket.until("the join", joined).await;
    let Some(Event::AgentJoined { agent, .. }) = event(&winner).cloned() else { unreachable!() };
    for l in &losers {
        assert_eq!(l.code, ErrorCode::AlreadyClaimed);
        assert_eq!(l.agent.as_ref(), Some(&agent), "every loser is told the winner");
    }
    let history = integration::history(&edge, &visitor).await;
    let joins = history
        .iter()
        .filter(|i| matches!(i.body, ItemBody::Event(Event::AgentJoined { .. })))
        .count();
    assert_eq!(joins, 1);
    let again = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    assert_eq!(again.welcome.state.phase, Phase::Active);
    assert_eq!(again.welcome.state.assignee, Some(agent));
}
