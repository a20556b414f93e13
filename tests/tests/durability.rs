//! Nothing acknowledged is lost: across workerd restarts, reconnects and resends.

use std::time::Duration;

use integration::{Agent, Edge, Visitor, bot_text, say};
use shared::protocol::{ClientFrame, ItemBody, Phase, ServerFrame};

#[tokio::test(flavor = "multi_thread")]
async fn state_and_history_survive_a_workerd_restart() {
    let mut edge = Edge::start();
    let site = edge.site("restart", &[("ana@t.test", "Ana", "responder")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "How long does shipping take?").await;
    visitor.socket.until("the bot's answer", |f| bot_text(f).is_some()).await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let (mut desk, _) = ana.open(&visitor.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    desk.until("the state change", |f| matches!(f, ServerFrame::State(_))).await;
    let before = integration::history(&edge, &visitor).await;
    let (id, token) = (visitor.conversation_id.clone(), visitor.token.clone());
    drop((visitor, desk));

    edge.restart();

    let again = Visitor::resume(&edge, &id, &token, 0).await;
    assert_eq!(again.welcome.backlog, before, "the same items after the restart");
    assert_eq!(again.welcome.state.phase, Phase::Active);
    assert_eq!(again.welcome.state.assignee.map(|a| a.name), Some("Ana".to_owned()));
    // The session survives too, and the holder can still reply.
    let (mut desk, _) = ana.open(&id).await;
    desk.send(&say("r1", "Still here after the restart")).await;
    desk.until("the ack", |f| matches!(f, ServerFrame::Ack { .. })).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reconnect_receives_exactly_the_missed_items() {
    let edge = Edge::start();
    let site = edge.site("resync", &[("ana@t.test", "Ana", "responder")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    visitor.socket.until("the state change", |f| matches!(f, ServerFrame::State(_))).await;
    let seen = integration::history(&edge, &visitor).await;
    let last_seen = seen.last().map(|i| i.seq).unwrap();
    let (id, token) = (visitor.conversation_id.clone(), visitor.token.clone());
    drop(visitor);

    // While the visitor is away, the agent joins and writes twice.
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let (mut desk, _) = ana.open(&id).await;
    desk.send(&ClientFrame::Claim).await;
    for (cid, text) in [("r1", "Hi, Ana here"), ("r2", "Are you still there?")] {
        desk.send(&say(cid, text)).await;
        desk.until("the ack", |f| matches!(f, ServerFrame::Ack { .. })).await;
    }

    let back = Visitor::resume(&edge, &id, &token, last_seen).await;
    let missed: Vec<u64> = back.welcome.backlog.iter().map(|i| i.seq).collect();
    assert_eq!(missed, vec![last_seen + 1, last_seen + 2, last_seen + 3], "join + two replies");
    assert_eq!(back.welcome.last_seq, last_seen + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_client_id_is_stored_once_and_acknowledged_again() {
    let edge = Edge::start();
    let site = edge.site("dedup", &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    let first = visitor.say("same-id", "Is this stored twice?").await;
    // A resend, as after a reconnect that lost the ack: same id, same answer.
    let mut other = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, first).await;
    let second = other.say("same-id", "Is this stored twice?").await;
    assert_eq!(first, second);
    let stored = integration::history(&edge, &visitor).await;
    let copies = stored
        .iter()
        .filter(|i| matches!(&i.body, ItemBody::Message(m) if m.client_id.as_deref() == Some("same-id")))
        .count();
    assert_eq!(copies, 1);
    assert!(
        other
            .socket
            .try_next(Duration::from_millis(300))
            .await
            .is_none_or(|f| !matches!(f, ServerFrame::Item(i) if i.seq == first))
    );
}
