//! The real-time core under pipelined load: bursts into fifty fresh conversations at once.
//! Every message is acknowledged, relayed to the agent holding the conversation and stored
//! once, in order, with the clients' resend and replace rules (`shared::watchdog`), and the
//! site's inbox hears of every conversation (through each conversation's report outbox, sent
//! by its timer, never awaited by a socket's event).

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use integration::*;
use shared::protocol::ClientFrame;

const CONVERSATIONS: usize = 50;
const MESSAGES: usize = 200;
const WINDOW: usize = 4;

struct Pumped {
    id: String,
    acked: usize,
    relayed: usize,
    /// Times the client sent its unacknowledged messages again, and replaced a silent socket,
    /// as the widget and the console do (`shared::watchdog`).
    resends: usize,
    replaced: usize,
    trouble: Option<String>,
}

fn burst(n: usize) -> ClientFrame {
    say(&format!("p{n}"), &format!("Burst message number {n}"))
}

/// The visitor's side, behaving like the real clients: a window of messages in flight, a late
/// acknowledgement answered by sending the waiting ones again on the same socket, a silent
/// socket replaced by a new one that says hello and sends them again.
async fn pump(
    edge: &Edge,
    agent: &Agent,
    id: String,
    token: String,
    visitor: Socket,
    watching: Socket,
) -> Pumped {
    let (mut pumped, (relayed, reopened)) = futures_util::future::join(
        send(edge, id.clone(), token, visitor),
        relayed(agent, &id, watching),
    )
    .await;
    pumped.relayed = relayed;
    pumped.replaced += reopened;
    pumped
}

async fn send(edge: &Edge, id: String, token: String, mut visitor: Socket) -> Pumped {
    use shared::watchdog::{Verdict, verdict};
    let started = std::time::Instant::now();
    let now = || started.elapsed().as_secs_f64() * 1000.0;
    let (mut next, mut unacked, mut acked) = (0, Vec::<usize>::new(), HashSet::<usize>::new());
    let (mut waiting, mut heard) = (None::<(f64, f64)>, now());
    let (mut resends, mut replaced, mut trouble) = (0, 0, None);
    let number = |id: &str| id.strip_prefix('p').and_then(|n| n.parse::<usize>().ok());
    while acked.len() < MESSAGES && trouble.is_none() {
        while next < MESSAGES && unacked.len() < WINDOW {
            visitor.send(&burst(next)).await;
            unacked.push(next);
            waiting.get_or_insert((now(), now()));
            next += 1;
        }
        match visitor.next_within(Duration::from_millis(500)).await {
            Next::Frame(f) => {
                heard = now();
                if f["type"] == "ack"
                    && let Some(n) = f["client_id"].as_str().and_then(number)
                    && let Some(at) = unacked.iter().position(|u| *u == n)
                {
                    unacked.remove(at);
                    acked.insert(n);
                    waiting = (!unacked.is_empty()).then(|| (now(), now()));
                } else if f["type"] == "error" {
                    trouble = Some(format!("refused: {f}"));
                }
            }
            Next::Closed(code) => {
                trouble = Some(format!("closed ({code}) after {} acks", acked.len()))
            }
            Next::Silent => {}
        }
        match verdict(now(), waiting, heard) {
            Verdict::Fine => {}
            Verdict::Resend => {
                resends += 1;
                for n in &unacked {
                    visitor.send(&burst(*n)).await;
                }
                waiting = waiting.map(|(first, _)| (first, now()));
            }
            Verdict::Replace => {
                replaced += 1;
                let back = Visitor::resume(edge, &id, &token, 0).await;
                // Stored while no acknowledgement came through: no longer waiting.
                for item in &back.welcome.backlog {
                    if let shared::protocol::ItemBody::Message(m) = &item.body
                        && let Some(n) = m.client_id.as_deref().and_then(number)
                    {
                        unacked.retain(|u| *u != n);
                        acked.insert(n);
                    }
                }
                visitor = back.socket;
                for n in &unacked {
                    visitor.send(&burst(*n)).await;
                }
                (waiting, heard) = ((!unacked.is_empty()).then(|| (now(), now())), now());
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            trouble = Some(format!("{} of {MESSAGES} acknowledged after two minutes", acked.len()));
        }
    }
    Pumped { id, acked: acked.len(), relayed: 0, resends, replaced, trouble }
}

/// The distinct burst messages the agent's socket carried.
/// The agent only reads, so it follows the console's rule for a read-only socket: quiet for
/// a while, a ping; no answer, a new socket whose welcome carries what was missed. Returns
/// how many burst messages arrived and how many times the socket was replaced.
async fn relayed(agent: &Agent, id: &str, mut socket: Socket) -> (usize, usize) {
    use shared::watchdog::{Verdict, should_ping, verdict};
    let started = std::time::Instant::now();
    let now = || started.elapsed().as_secs_f64() * 1000.0;
    let (mut seen, mut waiting, mut heard, mut reopened) = (HashSet::new(), None, now(), 0);
    let note = |items: &[serde_json::Value], seen: &mut HashSet<String>| {
        for item in items {
            if let Some(id) =
                item["body"]["data"]["client_id"].as_str().filter(|c| c.starts_with('p'))
            {
                seen.insert(id.to_owned());
            }
        }
    };
    while seen.len() < MESSAGES && started.elapsed() < Duration::from_secs(150) {
        if let Next::Frame(f) = socket.next_within(Duration::from_millis(500)).await {
            (heard, waiting) = (now(), None);
            match f["type"].as_str() {
                Some("item") => note(std::slice::from_ref(&f), &mut seen),
                Some("backlog") => note(f["items"].as_array().map_or(&[][..], |v| v), &mut seen),
                _ => {}
            }
        }
        if should_ping(now(), waiting, heard) {
            socket.send_raw(shared::protocol::PING).await;
            waiting = Some((now(), now()));
        } else if verdict(now(), waiting, heard) == Verdict::Replace {
            let (fresh, welcome) = agent.open(id).await;
            let items: Vec<serde_json::Value> =
                welcome.backlog.iter().map(|i| serde_json::to_value(i).unwrap()).collect();
            note(&items, &mut seen);
            (socket, waiting, heard, reopened) = (fresh, None, now(), reopened + 1);
        }
    }
    (seen.len(), reopened)
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
    let tokens: std::collections::HashMap<String, String> = visitors.iter().cloned().collect();
    let results: Vec<Pumped> = join_all(pumps.into_iter().map(|(id, v, a)| {
        let token = tokens[&id].clone();
        pump(&edge, &agent, id, token, v, a)
    }))
    .await;
    let (resends, replaced) =
        results.iter().fold((0, 0), |(r, s), p| (r + p.resends, s + p.replaced));
    // Not a failure: what the clients' watchdog did, for the record (ARCHITECTURE.md, "Stalled
    // sockets").
    eprintln!("pipelined bursts: {resends} resends, {replaced} sockets replaced");
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

    // The index hears of every conversation's last message within the report interval. (A
    // burst message says no need, `summary::is_substantive`: the preview follows the latest.)
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

/// A change agents act on is not held behind the pace of message-only reports: an agent's
/// hand-back right after a reported message reaches the inbox at once, not when the next
/// paced report may go (the report timer, asleep until then, is woken).
#[tokio::test(flavor = "multi_thread")]
async fn a_change_of_state_is_not_held_behind_a_paced_report() {
    let edge = Edge::start();
    let site = edge.site("urgent", &[("ana@t.test", "Ana", "responder")]);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut inbox = ana.inbox().await;
    inbox.until_json("the snapshot", |v| v["type"] == "snapshot").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    let id = visitor.conversation_id.clone();
    // Held by a person, so the AI's answers stay out of the timing.
    let (mut desk, _) = ana.open(&id).await;
    desk.send(&ClientFrame::Claim).await;
    inbox
        .until_json("the claim", |v| {
            v["type"] == "upsert" && v["id"] == id && v["phase"] == "active"
        })
        .await;
    let seq = visitor.say("m1", "Where is my parcel?").await;
    inbox
        .until_json("the message's report", |v| {
            v["type"] == "upsert" && v["id"] == id && v["last_seq"].as_u64() >= Some(seq)
        })
        .await;
    // The next message-only report may go a second after that one (`shared::pace::MIN_PACE_MS`):
    // this message waits for it, and the hand-back must not.
    let reported = std::time::Instant::now();
    visitor.say("m2", "It has not arrived.").await;
    desk.send(&ClientFrame::HandBack { ask_rating: false }).await;
    inbox
        .until_json("the hand-back", |v| {
            v["type"] == "upsert" && v["id"] == id && v["phase"] == "bot"
        })
        .await;
    let took = reported.elapsed();
    assert!(
        took < Duration::from_millis(700),
        "the hand-back reached the inbox {took:?} after the last report, as a paced one would"
    );
}
