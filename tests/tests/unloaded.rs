//! A conversation whose storage cannot be read (workerd's SQLite out of memory when thousands
//! of objects wake at once) through a real worker: the benchmark worker's
//! `fail-reads` route makes one act so. It never serves an empty conversation, refuses until
//! a read succeeds, then carries on with nothing lost; and a notice the site could not give
//! it meanwhile reaches it later.

use std::time::Duration;

use integration::{Agent, Edge, Next, Visitor, demo_settings as with, event, history, say};
use shared::protocol::{Author, ClientFrame, Event, ItemBody, Phase};

const TEAM: &[(&str, &str, &str)] =
    &[("own@t.test", "Olga", "owner"), ("ana@t.test", "Ana", "responder")];

/// Makes conversation `id` act as one whose storage could not be read, and fail its next
/// `reads` attempts to read it again.
async fn fail_reads(edge: &Edge, id: &str, reads: u32) {
    let url = format!("{}/api/bench/conversations/{id}/fail-reads?reads={reads}", edge.base);
    let res = reqwest::Client::new().post(url).send().await.expect("fail-reads");
    assert_eq!(res.status(), 200, "the benchmark worker's fault route");
}

/// What the visitor said, in the order stored.
fn said(items: &[shared::protocol::Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) if m.author == Author::Visitor => Some(m.text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_that_cannot_read_itself_refuses_then_recovers_with_nothing_lost() {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site("unloaded", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    let first = visitor.say("v1", "my order is late").await;
    let path = format!("/api/admin/conversations/{}/transcript", visitor.conversation_id);
    assert_eq!(olga.get(&path).await.status(), 200);

    fail_reads(&edge, &visitor.conversation_id, 2).await;
    // A request: "unavailable, try again", not "no such conversation" nor an empty one.
    let res = olga.get(&path).await;
    assert_eq!(integration::refusal(res).await, (503, "unavailable".to_owned()));
    // A message on an open socket: not acknowledged, the socket closed for the client to
    // come back with it.
    visitor.socket.send(&say("v2", "hello?")).await;
    let code = loop {
        match visitor.socket.next_within(Duration::from_secs(10)).await {
            Next::Frame(f) => assert_ne!(f["type"], "ack", "nothing is acknowledged: {f}"),
            Next::Closed(code) => break code,
            Next::Silent => panic!("the socket stayed open"),
        }
    };
    assert_eq!(code, 1011, "closed with 'try again'");

    // Storage reads again: the visitor comes back, sends what was not acknowledged, and the
    // conversation is whole, each message once.
    let mut back = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, first).await;
    back.say("v2", "hello?").await;
    let all = history(&edge, &back).await;
    assert_eq!(said(&all), ["my order is late", "hello?"]);
    assert_eq!(olga.get(&path).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_away_notice_the_conversation_could_not_take_is_given_again() {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let quick = with(|s| s["takeover"] = serde_json::json!({ "assignee_offline_secs": 2 }));
    let site = edge.site_with("away-later", &quick, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let inbox = ana.inbox().await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    visitor.socket.until("the join", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;

    // Ana leaves; when the site tells the conversation she is away, it cannot read itself.
    drop(inbox);
    drop(socket);
    tokio::time::sleep(Duration::from_millis(500)).await;
    fail_reads(&edge, &visitor.conversation_id, 2).await;
    visitor.socket.until("the requeue", |f| matches!(event(f), Some(Event::Requeued { .. }))).await;
    let refused = format!("/away to {}: HTTP 503", visitor.conversation_id);
    assert!(edge.log().contains(&refused), "the first notice was refused: {refused}");
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let (_, welcome) = olga.open(&visitor.conversation_id).await;
    assert_eq!(welcome.state.phase, Phase::Escalated);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_who_leaves_while_storage_is_unreadable_is_reported_gone_once_it_reads() {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site("left-unloaded", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;
    let id = visitor.conversation_id.clone();
    let online = || async {
        let all: Vec<serde_json::Value> =
            olga.get("/api/admin/conversations").await.json().await.unwrap();
        all.iter().find(|c| c["id"] == id.as_str()).map(|c| c["visitor_online"] == true)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while online().await != Some(true) {
        assert!(tokio::time::Instant::now() < deadline, "the visitor was never listed online");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The close and the first two alarms after it find storage unreadable; the third reads,
    // and the site hears the visitor left (alarms 1 s, then 2 s, then 4 s after the close).
    fail_reads(&edge, &id, 3).await;
    drop(visitor);
    // Meanwhile the site is not told: a close handled as usual would be reported by now.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(online().await, Some(true), "not reported while storage is unreadable");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while online().await != Some(false) {
        assert!(tokio::time::Instant::now() < deadline, "the visitor stayed listed online");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(edge.log().contains("conversation load, again"), "reads did fail");
}

/// Ana holds a conversation of `site` and has just closed her console: the site will tell it
/// she is away two seconds after.
async fn held_then_left(edge: &Edge, site: &str) -> (Agent, Visitor) {
    let ana = Agent::login(edge, site, "ana@t.test").await;
    let inbox = ana.inbox().await;
    let mut visitor = Visitor::join(edge, site).await;
    visitor.say("v1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    visitor.socket.until("the join", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    drop(inbox);
    drop(socket);
    (ana, visitor)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_away_notice_still_waiting_when_the_assignee_comes_back_is_withdrawn() {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let quick = with(|s| s["takeover"] = serde_json::json!({ "assignee_offline_secs": 2 }));
    let site = edge.site_with("back-in-time", &quick, TEAM);
    let (ana, mut visitor) = held_then_left(&edge, &site).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Refused twice: given 3 s after the first refusal, unless withdrawn.
    fail_reads(&edge, &visitor.conversation_id, 2).await;
    let refused = format!("/away to {}: HTTP 503", visitor.conversation_id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !edge.log().contains(&refused) {
        assert!(tokio::time::Instant::now() < deadline, "the notice was never refused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Ana is back before it could be given: it never is.
    let _inbox = ana.inbox().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Some(wait) = deadline.checked_duration_since(tokio::time::Instant::now()) {
        let Some(f) = visitor.socket.try_next(wait).await else { break };
        assert!(!matches!(event(&f), Some(Event::Requeued { .. })), "Ana still holds it");
    }
    // Read (a failed read may be left for this), Ana still holds it.
    let path = format!("/api/admin/conversations/{}/transcript", visitor.conversation_id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ana.get(&path).await.status() != 200 {
        assert!(tokio::time::Instant::now() < deadline, "the conversation never read again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, welcome) = ana.open(&visitor.conversation_id).await;
    assert_eq!(welcome.state.phase, Phase::Active);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_teammates_socket_closes_at_once_while_storage_is_unreadable() {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site("revoke-unloaded", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    // Every retry of the revocation (1, 2, 4, 8 s …) would find storage unreadable.
    fail_reads(&edge, &visitor.conversation_id, 6).await;
    let path = format!("/api/admin/team/{}", ana.me.agent.id);
    assert_eq!(olga.request(reqwest::Method::DELETE, &path, None).await.status(), 204);
    assert_eq!(socket.close_code_within(Duration::from_secs(3)).await, Some(4001));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assignee_with_the_conversation_still_open_is_told_away_once_they_close_it() {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let quick = with(|s| s["takeover"] = serde_json::json!({ "assignee_offline_secs": 2 }));
    let site = edge.site_with("open-tab", &quick, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let inbox = ana.inbox().await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let (mut socket, _) = ana.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    visitor.socket.until("the join", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;

    // Her inbox goes, the conversation stays open: the site's notice is put off, not spent.
    drop(inbox);
    let put_off = format!("/away to {}: not yet (HTTP 425)", visitor.conversation_id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !edge.log().contains(&put_off) {
        assert!(tokio::time::Instant::now() < deadline, "the notice was never put off");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(socket);
    visitor.socket.until("the requeue", |f| matches!(event(f), Some(Event::Requeued { .. }))).await;
}
