//! A client that only reads asks a quiet socket whether it is still there: workerd answers its
//! ping itself (no wake-up of the object, nothing counted against the frame limit), on
//! conversation and inbox sockets alike, before hello and after.

use integration::*;
use shared::protocol::PING;

#[tokio::test(flavor = "multi_thread")]
async fn pings_are_answered_on_every_socket_without_counting_as_frames() {
    let edge = Edge::start();
    let site = edge.site("ping", &[("ana@ping.test", "Ana", "responder")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.socket.send_raw(PING).await;
    visitor.socket.until_json("a pong", |f| f["type"] == "pong").await;

    let agent = Agent::login(&edge, &site, "ana@ping.test").await;
    let mut inbox = agent.inbox().await;
    inbox.send_raw(PING).await;
    inbox.until_json("a pong on the inbox", |f| f["type"] == "pong").await;

    let mut fresh = Socket::connect(&visitor_url(&edge, &visitor.conversation_id), None).await;
    fresh.send_raw(PING).await;
    fresh.until_json("a pong before hello", |f| f["type"] == "pong").await;

    // Far more pings than the frame limit's burst, then a message: acknowledged, no refusal.
    for _ in 0..(shared::protocol::limits::FRAME_BURST * 3) {
        visitor.socket.send_raw(PING).await;
    }
    visitor.socket.send(&say("after-pings", "still here")).await;
    let answer =
        visitor.socket.until_json("the ack", |f| f["type"] == "ack" || f["type"] == "error").await;
    assert_eq!(answer["type"], "ack", "pings are not frames the object counts: {answer}");
}
