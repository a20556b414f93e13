//! A long conversation comes back whole after a fresh hello, in frames of bounded size (the
//! welcome, then `backlog` frames), never in one frame of everything.

use std::time::Duration;

use integration::*;
use shared::protocol::ClientFrame;

/// Longer than any frame should ever take.
const STALLED_AFTER: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_history_comes_back_whole_in_frames_of_bounded_size() {
    use shared::protocol::limits::BACKLOG_FRAME_BYTES;
    const LONG: usize = 2_000;
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site("long", &[("ana@long.test", "Ana", "responder")]);
    let agent = Agent::login(&edge, &site, "ana@long.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    let (mut socket, _) = agent.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    socket.until_json("the claim", |f| f["type"] == "state" && f["phase"] == "active").await;
    let (mut sent, mut acked) = (0, 0);
    while acked < LONG {
        while sent < LONG && sent - acked < 32 {
            let text = format!("Line {sent} of a long conversation, about as long as a chat line.");
            visitor.socket.send(&say(&format!("l{sent}"), &text)).await;
            sent += 1;
        }
        match visitor.socket.next_within(STALLED_AFTER).await {
            Next::Frame(f) if f["type"] == "ack" => acked += 1,
            Next::Frame(f) if f["type"] == "error" => panic!("refused: {f}"),
            Next::Frame(_) => {}
            other => panic!("{acked} of {LONG} acknowledged, then {other:?}"),
        }
    }

    // A fresh hello: the welcome and the frames after it carry every item once, in order,
    // and none is larger than the bound (plus its envelope).
    let mut back = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    let last = back.welcome.last_seq;
    let mut seqs: Vec<u64> = back.welcome.backlog.iter().map(|i| i.seq).collect();
    let welcome_bytes = serde_json::to_string(&back.welcome).unwrap().len();
    assert!(welcome_bytes <= BACKLOG_FRAME_BYTES + 1024, "welcome of {welcome_bytes} bytes");
    let mut frames = 1;
    while seqs.last() != Some(&last) {
        let Next::Frame(f) = back.socket.next_within(STALLED_AFTER).await else {
            panic!("the backlog stopped at {:?} of {last}", seqs.last())
        };
        if f["type"] != "backlog" {
            continue;
        }
        let bytes = serde_json::to_string(&f).unwrap().len();
        assert!(bytes <= BACKLOG_FRAME_BYTES + 1024, "a backlog frame of {bytes} bytes");
        frames += 1;
        seqs.extend(f["items"].as_array().unwrap().iter().map(|i| i["seq"].as_u64().unwrap()));
    }
    let expected: Vec<u64> = (1..=last).collect();
    assert_eq!(seqs, expected, "every item once, in order");
    assert!(frames > 2, "{LONG} messages came in {frames} frames");
}

/// A message's item is encoded once for storage and for the frame that carries it live (the
/// stored body is cut from the frame's text): what a fresh hello reads back from storage is
/// the item every socket was sent, whatever the text holds. A cut one character off, or at
/// a byte rather than a UTF-16 offset, leaves the stored body unreadable and the hello fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_item_reads_back_as_it_was_sent_live() {
    let edge = Edge::start();
    let site = edge.site("stored", &[("ana@stored.test", "Ana", "responder")]);
    let agent = Agent::login(&edge, &site, "ana@stored.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    let (mut socket, _) = agent.open(&visitor.conversation_id).await;
    socket.send(&ClientFrame::Claim).await;
    socket.until_json("the claim", |f| f["type"] == "state" && f["phase"] == "active").await;
    let texts = [
        "Größe «M» — ¿está? 日本語 ✓ 🎉🎉 \"quoted\" back\\slash\ttab\nnew line </script>",
        "plain",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the basic plane, then ascii",
    ];
    let mut live = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        let id = format!("u{n}");
        visitor.socket.send(&say(&id, text)).await;
        let item = socket
            .until_json("the item", |f| {
                f["type"] == "item" && f["body"]["data"]["client_id"] == id.as_str()
            })
            .await;
        assert_eq!(item["body"]["data"]["text"], *text, "as sent");
        live.push(item);
    }
    let back = Visitor::resume(&edge, &visitor.conversation_id, &visitor.token, 0).await;
    for item in live {
        let seq = item["seq"].as_u64().unwrap();
        let stored = back.welcome.backlog.iter().find(|i| i.seq == seq).expect("stored");
        let mut stored = serde_json::to_value(stored).unwrap();
        stored["type"] = "item".into();
        assert_eq!(stored, item, "read back from storage as it was sent");
    }
}
