//! The real-time core under pipelined load: bursts into fifty fresh conversations at once.
//! Every message is acknowledged, relayed to the agent holding the conversation and stored
//! once, no socket falls silent, and the site's inbox hears of every conversation (through
//! each conversation's report outbox, sent by its alarm, never awaited by a socket's event).

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use integration::*;
use shared::protocol::ClientFrame;

const CONVERSATIONS: usize = 50;
const MESSAGES: usize = 200;
const WINDOW: usize = 4;
/// Longer than any frame should ever take; a socket quiet for this long has stalled.
const STALLED_AFTER: Duration = Duration::from_secs(10);

struct Pumped {
    id: String,
    acked: usize,
    relayed: usize,
    trouble: Option<String>,
}

async fn pump(id: String, mut visitor: Socket, agent: Socket) -> Pumped {
    let reader = tokio::spawn(relayed(agent));
    let (mut sent, mut acked, mut trouble) = (0, 0, None);
    while acked < MESSAGES && trouble.is_none() {
        while sent < MESSAGES && sent - acked < WINDOW {
            visitor.send(&say(&format!("p{sent}"), &format!("Burst message number {sent}"))).await;
            sent += 1;
        }
        match visitor.next_within(STALLED_AFTER).await {
            Next::Frame(f) if f["type"] == "ack" => acked += 1,
            Next::Frame(f) if f["type"] == "error" => trouble = Some(format!("refused: {f}")),
            Next::Frame(_) => {}
            Next::Closed(code) => trouble = Some(format!("closed ({code}) after {acked} acks")),
            Next::Silent => {
                trouble = Some(format!("{sent} sent, {acked} acknowledged, then silence"))
            }
        }
    }
    let relayed = reader.await.unwrap_or(0);
    Pumped { id, acked, relayed, trouble }
}

/// The distinct burst messages the agent's socket carried.
async fn relayed(mut agent: Socket) -> usize {
    let mut seen = HashSet::new();
    while seen.len() < MESSAGES {
        let Some(f) = agent.try_next_json(STALLED_AFTER).await else { break };
        if f["type"] == "item"
            && let Some(id) = f["body"]["data"]["client_id"].as_str()
        {
            seen.insert(id.to_owned());
        }
    }
    seen.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_bursts_into_fifty_fresh_conversations_are_all_acknowledged_and_relayed() {
    // The benchmark switch lifts the per-socket frame limit and the per-client limits on new
    // conversations, which a burst from one address would otherwise meet.
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site("burst", &[("ana@burst.test", "Ana", "responder")]);
    let agent = Agent::login(&edge, &site, "ana@burst.test").await;
    let mut visitors = Vec::new();
    let mut pumps = Vec::new();
    for _ in 0..CONVERSATIONS {
        let visitor = Visitor::join(&edge, &site).await;
        let (mut socket, _) = agent.open(&visitor.conversation_id).await;
        socket.send(&ClientFrame::Claim).await;
        socket.until_json("the claim", |f| f["type"] == "state" && f["phase"] == "active").await;
        visitors.push((visitor.conversation_id.clone(), visitor.token.clone()));
        pumps.push((visitor.conversation_id, visitor.socket, socket));
    }
    let results = join_all(pumps.into_iter().map(|(id, v, a)| tokio::spawn(pump(id, v, a)))).await;
    let results: Vec<Pumped> = results.into_iter().map(|r| r.expect("pump")).collect();
    let troubled: Vec<String> = results
        .iter()
        .filter(|r| r.trouble.is_some() || r.acked < MESSAGES || r.relayed < MESSAGES)
        .map(|r| {
            let why = r.trouble.clone().unwrap_or_default();
            format!("{}: {} acked, {} relayed; {why}", r.id, r.acked, r.relayed)
        })
        .collect();
    assert!(
        troubled.is_empty(),
        "{} of {CONVERSATIONS} stalled:\n{}",
        troubled.len(),
        troubled.join("\n")
    );

    // Stored once each, in the order sent.
    for (id, token) in &visitors {
        let backlog = Visitor::resume(&edge, id, token, 0).await.welcome.backlog;
        let burst: Vec<String> = backlog
            .iter()
            .filter_map(|i| match &i.body {
                shared::protocol::ItemBody::Message(m) => m.client_id.clone(),
                _ => None,
            })
            .filter(|c| c.starts_with('p'))
            .collect();
        let expected: Vec<String> = (0..MESSAGES).map(|n| format!("p{n}")).collect();
        assert_eq!(burst, expected, "conversation {id} stored every message once, in order");
    }

    // The index hears of every conversation's last message within the report interval.
    let mut missing = Vec::new();
    for _ in 0..50 {
        let listed: serde_json::Value =
            agent.get("/api/admin/conversations").await.json().await.expect("the inbox list");
        let rows = listed.as_array().cloned().unwrap_or_default();
        missing = visitors
            .iter()
            .filter(|(id, _)| {
                !rows.iter().any(|r| {
                    r["id"] == id.as_str()
                        && r["preview"]
                            .as_str()
                            .is_some_and(|p| p.ends_with(&format!("{}", MESSAGES - 1)))
                })
            })
            .map(|(id, _)| id.clone())
            .collect();
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(missing.is_empty(), "the inbox never showed the last message of {missing:?}");
}
