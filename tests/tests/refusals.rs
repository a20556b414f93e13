//! Bad input gets a typed error and stores nothing.

use std::time::Duration;

use integration::{Agent, Edge, Socket, Visitor, hello_visitor, say, visitor_url};
use shared::protocol::{ClientFrame, ErrorCode, Hello, PROTOCOL_VERSION, limits};

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_oversize_frames_are_refused_and_store_nothing() {
    let edge = Edge::start();
    let site = edge.site("refusals", &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    let before = integration::history(&edge, &visitor).await;

    visitor.socket.send_raw("{not json").await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::MalformedFrame);
    visitor.socket.send_raw(r#"{"type":"send","client_id":"x"}"#).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::MalformedFrame);

    let long = "a".repeat(limits::MAX_MESSAGE_CHARS + 1);
    visitor.socket.send(&say("long", &long)).await;
    let e = visitor.socket.error().await;
    assert_eq!((e.code, e.client_id.as_deref()), (ErrorCode::MessageTooLong, Some("long")));
    assert!(!e.retryable, "too long stays too long");

    let huge = format!(
        r#"{{"type":"send","client_id":"huge","text":"{}"}}"#,
        "b".repeat(limits::MAX_FRAME_BYTES)
    );
    visitor.socket.send_raw(&huge).await;
    let e = visitor.socket.error().await;
    assert_eq!((e.code, e.client_id.as_deref()), (ErrorCode::FrameTooLarge, Some("huge")));
    assert!(!e.retryable);
    // An id is only taken as the client wrote it: a forged one is not echoed back.
    let forged = format!(
        r#"{{"type":"send","client_id":"<b>x</b>","text":"{}"}}"#,
        "b".repeat(limits::MAX_FRAME_BYTES)
    );
    visitor.socket.send_raw(&forged).await;
    assert_eq!(visitor.socket.error().await.client_id, None);

    visitor.socket.send(&say("blank", "   ")).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::EmptyMessage);

    assert_eq!(integration::history(&edge, &visitor).await, before, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_tokens_and_versions_are_refused_and_closed() {
    let edge = Edge::start();
    let site = edge.site("tokens", &[]);
    let mine = Visitor::join(&edge, &site).await;
    let theirs = Visitor::join(&edge, &site).await;

    // A made-up token.
    let mut s = Socket::connect(&visitor_url(&edge, &mine.conversation_id), None).await;
    s.send(&hello_visitor("0".repeat(64).as_str(), 0)).await;
    assert_eq!(s.error().await.code, ErrorCode::Unauthorized);
    assert!(s.closed_within(Duration::from_secs(5)).await);

    // Another conversation's (valid) token.
    let mut s = Socket::connect(&visitor_url(&edge, &mine.conversation_id), None).await;
    s.send(&hello_visitor(&theirs.token, 0)).await;
    assert_eq!(s.error().await.code, ErrorCode::Unauthorized);

    // Anything before the hello.
    let mut s = Socket::connect(&visitor_url(&edge, &mine.conversation_id), None).await;
    s.send(&say("early", "hi")).await;
    assert_eq!(s.error().await.code, ErrorCode::HelloRequired);

    // An unknown protocol version gets a clear error and a close.
    let mut s = Socket::connect(&visitor_url(&edge, &mine.conversation_id), None).await;
    let hello = Hello {
        version: PROTOCOL_VERSION + 1,
        credential: shared::protocol::Credential::Visitor { token: mine.token.clone() },
        last_seq: 0,
        identity: None,
        beats: false,
        item_acks: false,
    };
    s.send(&ClientFrame::Hello(hello)).await;
    let e = s.error().await;
    assert_eq!(e.code, ErrorCode::UnsupportedVersion);
    assert!(e.message.contains("version"));
    assert!(s.closed_within(Duration::from_secs(5)).await);

    // An unknown conversation is not created by asking.
    let res = reqwest::get(format!("{}/api/sites/nosuchsite/config", edge.base)).await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(integration::history(&edge, &mine).await.is_empty(), "nothing was stored");
}

/// A saved conversation that is gone (the deployment's storage was reset) or was never made
/// (a page's storage can hold anything) must tell the widget so. A failed upgrade reads in a
/// browser as a dropped network, tried again for ever; an opened socket with a refusal and
/// the final close starts a new conversation.
#[tokio::test(flavor = "multi_thread")]
async fn a_socket_for_no_conversation_is_refused_for_good() {
    let edge = Edge::start();
    let made_up = "7".repeat(32);
    // The made-up one twice: asking the first time made no conversation.
    for id in [made_up.as_str(), "not-an-id", &"x".repeat(300), made_up.as_str()] {
        let mut s = Socket::connect(&visitor_url(&edge, id), None).await;
        // As a widget does; the refusal may already have closed the socket.
        let hello = serde_json::to_string(&hello_visitor(&"0".repeat(64), 0)).unwrap();
        s.try_send_raw(&hello).await;
        assert_eq!(s.error().await.code, ErrorCode::UnknownConversation, "{id}");
        match s.next_within(Duration::from_secs(5)).await {
            integration::Next::Closed(code) => assert_eq!(code, 4004, "{id}: a final close"),
            integration::Next::Frame(f) => panic!("{id}: {f} after the refusal"),
            integration::Next::Silent => panic!("{id}: the socket stayed open"),
        }
    }
}

/// A teammate's socket for a conversation that does not exist for them (none at all, a
/// made-up id, another site's) hears why and a final close, as a visitor's does: the console
/// says so and stops asking. Another site's is answered exactly as a missing one.
#[tokio::test(flavor = "multi_thread")]
async fn a_teammates_socket_for_no_conversation_is_refused_for_good() {
    let edge = Edge::start();
    let ours = edge.site("gone-ours", &[("ana@t.test", "Ana", "owner")]);
    let theirs = edge.site("gone-theirs", &[]);
    let mut elsewhere = Visitor::join(&edge, &theirs).await;
    elsewhere.say("m1", "hello").await;
    let before = integration::history(&edge, &elsewhere).await;
    let ana = Agent::login(&edge, &ours, "ana@t.test").await;
    let made_up = "7".repeat(32);
    let ids = [made_up.as_str(), "not-an-id", elsewhere.conversation_id.as_str(), &made_up];
    let mut refusals = Vec::new();
    for id in ids {
        let mut s = ana.socket(id).await;
        s.try_send_raw(&serde_json::to_string(&integration::hello_agent(0)).unwrap()).await;
        let e = s.error().await;
        assert_eq!(e.code, ErrorCode::UnknownConversation, "{id}");
        refusals.push(e.message);
        match s.next_within(Duration::from_secs(5)).await {
            integration::Next::Closed(code) => assert_eq!(code, 4004, "{id}: a final close"),
            integration::Next::Frame(f) => panic!("{id}: {f} after the refusal"),
            integration::Next::Silent => panic!("{id}: the socket stayed open"),
        }
    }
    // Past the ids a session may open sockets into unheard of (the site refuses more before
    // the upgrade), the answer is still this one, not a failed sign-in.
    for n in 0..101u32 {
        let mut s = ana.socket(&format!("{:032x}", 0xabc0_0000 + n)).await;
        s.try_send_raw(&serde_json::to_string(&integration::hello_agent(0)).unwrap()).await;
        let e = s.error().await;
        assert_eq!(e.code, ErrorCode::UnknownConversation, "made-up id {n}");
        refusals.push(e.message);
    }
    refusals.dedup();
    assert_eq!(refusals, ["This conversation does not exist."], "one answer for all");
    // Their visitor's conversation is untouched, and ours can still be opened.
    let mine = Visitor::join(&edge, &ours).await;
    ana.open(&mine.conversation_id).await;
    assert_eq!(integration::history(&edge, &elsewhere).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_can_read_but_never_act() {
    let edge = Edge::start();
    let site = edge.site("viewer", &[("vic@t.test", "Vic", "viewer")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let before = integration::history(&edge, &visitor).await;

    let vic = Agent::login(&edge, &site, "vic@t.test").await;
    let (mut s, welcome) = vic.open(&visitor.conversation_id).await;
    assert_eq!(welcome.backlog, before, "a viewer reads everything");
    for frame in [
        ClientFrame::Claim,
        say("v1", "hi"),
        ClientFrame::HandBack { ask_rating: false },
        ClientFrame::End { spam: false },
    ] {
        s.send(&frame).await;
        let e = s.error().await;
        assert!(matches!(e.code, ErrorCode::Forbidden), "{frame:?} → {e:?}");
    }
    assert_eq!(integration::history(&edge, &visitor).await, before, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn http_refusals_are_typed() {
    let edge = Edge::start();
    let site = edge.site("http", &[("ana@t.test", "Ana", "owner")]);
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/admin/login", edge.base))
        .json(&serde_json::json!({ "site_key": site, "email": "ana@t.test", "password": "wrong password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "wrong_credentials");

    let res = client.get(format!("{}/api/admin/me", edge.base)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = client
        .post(format!("{}/api/sites/{site}/conversations", edge.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "malformed_body");
    let res = client.post(format!("{}/api/setup", edge.base)).body("{}").send().await.unwrap();
    assert_eq!(res.status(), 401, "setup needs the token");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_frames_is_rate_limited() {
    let edge = Edge::start();
    let site = edge.site("flood", &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    let burst = limits::FRAME_BURST as usize * 2;
    for _ in 0..burst {
        visitor.socket.send(&ClientFrame::Typing { on: true, text: None }).await;
    }
    let e = visitor.socket.error().await;
    assert_eq!(e.code, ErrorCode::RateLimited);
    // The socket stays usable once the client slows down.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut drained = 0;
    while visitor.socket.try_next(Duration::from_millis(200)).await.is_some() {
        drained += 1;
        assert!(drained < burst, "the refusals end");
    }
    let seq = visitor.say("after", "still here").await;
    assert_eq!(seq, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_refused_for_speed_are_named_retryable_and_stored_once_when_sent_again() {
    let edge = Edge::start();
    let site = edge.site("flood-messages", &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    let burst = limits::FRAME_BURST as usize * 2;
    for i in 0..burst {
        visitor.socket.send(&say(&format!("m{i}"), &format!("message {i}"))).await;
    }
    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    while acked.len() + refused.len() < burst {
        let frame = visitor.socket.next_within(Duration::from_secs(10)).await;
        let integration::Next::Frame(f) = frame else { panic!("the socket went quiet: {frame:?}") };
        match f["type"].as_str() {
            Some("ack") => acked.push(f["client_id"].as_str().unwrap().to_owned()),
            Some("error") => {
                assert_eq!(f["code"], "rate_limited", "{f}");
                assert_eq!(f["retryable"], true, "a refusal of the moment says so: {f}");
                refused.push(f["client_id"].as_str().expect("the refused message's id").to_owned());
            }
            _ => {}
        }
    }
    assert!(!refused.is_empty(), "the burst met the limit");
    // The client waits, then sends the refused ones again with the same ids, and sends an
    // acknowledged one again too: each is stored once.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    for id in refused.iter().chain(acked.first()) {
        let n = id.trim_start_matches('m');
        visitor.say(id, &format!("message {n}")).await;
        // Below the sustained rate this time.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let stored: Vec<String> = integration::history(&edge, &visitor)
        .await
        .into_iter()
        .filter_map(|i| match i.body {
            shared::protocol::ItemBody::Message(m) => m.client_id,
            _ => None,
        })
        .collect();
    let mut expected: Vec<String> = (0..burst).map(|i| format!("m{i}")).collect();
    let mut got = stored.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "every message stored exactly once: {stored:?}");
}
