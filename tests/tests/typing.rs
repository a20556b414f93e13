//! The visitor typing, through a real worker: agents see it with the draft so far (cleaned and
//! shortened), the visitor's other tabs and other visitors never get the draft, and "stopped"
//! carries no text.

use std::time::Duration;

use integration::{Agent, Edge, Visitor};
use shared::protocol::limits::MAX_PEEK_CHARS;
use shared::protocol::{Author, ClientFrame, ServerFrame};

fn typing(f: &ServerFrame) -> Option<(&Author, bool, Option<&str>)> {
    match f {
        ServerFrame::Typing { author, on, text } => Some((author, *on, text.as_deref())),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_see_the_visitors_draft_and_nobody_else_does() {
    let edge = Edge::start();
    let site = edge.site("peek", &[("ana@t.test", "Ana", "responder")]);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;
    let mut other_tab = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    let (mut desk, _) = ana.open(&visitor.conversation_id).await;

    // Long, with a bidi override: the agent gets it cleaned and shortened.
    let draft = format!("Where is my order \u{202e}{}", "x".repeat(1000));
    visitor.socket.send(&ClientFrame::Typing { on: true, text: Some(draft) }).await;
    let f = desk.typing_within(Duration::from_secs(10)).await.expect("the visitor typing");
    let (author, on, text) = typing(&f).unwrap();
    assert_eq!((author, on), (&Author::Visitor, true));
    let text = text.expect("the draft");
    assert!(text.starts_with("Where is my order x"), "{text:?}");
    assert_eq!(text.chars().count(), MAX_PEEK_CHARS);

    // Stopped: no text, even if some is sent.
    let stop = ClientFrame::Typing { on: false, text: Some("secret".into()) };
    visitor.socket.send(&stop).await;
    let f = desk.typing_within(Duration::from_secs(10)).await.expect("typing stopped");
    assert_eq!(typing(&f), Some((&Author::Visitor, false, None)));

    // The visitor's other tab heard none of it.
    let heard = other_tab.socket.typing_within(Duration::from_millis(500)).await;
    assert!(heard.is_none(), "a visitor socket got the visitor's typing: {heard:?}");
}
