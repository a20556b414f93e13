//! `Hello::item_acks`, through a real worker: a client that takes its own message's item as
//! the ack gets that item and no ack beside it; a resend of a message already stored is still
//! acked (no item comes for it); a client that did not say so gets every ack, as before.

use integration::{Agent, Edge, Socket, Visitor, say};
use shared::protocol::{ClientFrame, ItemBody, ServerFrame};

/// Sends `first` twice (the second a resend, stored once) and then `second`, and reads until
/// `second`'s item: every frame about `first` arrived before it. Returns how many acks for
/// `first` came, and whether its item did.
async fn acks_of_a_message_sent_twice(
    socket: &mut Socket,
    frame: impl Fn(&str) -> ClientFrame,
    first: &str,
    second: &str,
) -> (usize, bool) {
    socket.send(&frame(first)).await;
    socket.send(&frame(first)).await;
    socket.send(&frame(second)).await;
    let (mut acks, mut item) = (0, false);
    let own = |f: &ServerFrame, id: &str| match f {
        ServerFrame::Item(i) => match &i.body {
            ItemBody::Message(m) | ItemBody::Note(m) => m.client_id.as_deref() == Some(id),
            ItemBody::Event(_) => false,
        },
        _ => false,
    };
    socket
        .until("the second message's item", |f| {
            match f {
                ServerFrame::Ack { client_id, .. } if client_id == first => acks += 1,
                f if own(f, first) => item = true,
                _ => {}
            }
            own(f, second)
        })
        .await;
    (acks, item)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_takes_its_item_as_the_ack_gets_no_ack_beside_it() {
    let edge = Edge::start();
    let site = edge.site("itemacks", &[("ana@t.test", "Ana", "responder")]);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;

    let mut visitor = Visitor::join_item_acks(&edge, &site).await;
    let (acks, item) =
        acks_of_a_message_sent_twice(&mut visitor.socket, |id| say(id, "hello"), "v1", "v2").await;
    assert!(item, "the visitor's own message came back as an item");
    assert_eq!(acks, 1, "only the resend, which stores nothing, is acked");

    let (mut desk, _) = ana.open_item_acks(&visitor.conversation_id).await;
    let note = |id: &str| ClientFrame::Note { client_id: id.into(), text: "internal".into() };
    let (acks, item) = acks_of_a_message_sent_twice(&mut desk, note, "n1", "n2").await;
    assert!(item, "the agent's own note came back as an item");
    assert_eq!(acks, 1, "only the note's resend is acked");

    // A client that did not say so is acked for every message, its item beside it.
    let (mut plain, _) = ana.open(&visitor.conversation_id).await;
    let (acks, item) = acks_of_a_message_sent_twice(&mut plain, note, "n3", "n4").await;
    assert!(item, "the note came back as an item");
    assert_eq!(acks, 2, "a client without item acks gets the ack and the resend's");
}
