//! Faults during traffic: visitors send as fast as their acknowledgements allow while their
//! sockets are cut under them and the worker's workerd is killed with `SIGKILL` and started
//! again. Each visitor behaves as the widget does: every message keeps its id until it is
//! acknowledged or refused for good, and is sent again after every reconnect. At the end the
//! stored history of every conversation is read back and held against what was acknowledged.
//!
//! Shared by `cargo xtask bench` (the full counts) and a short pass among the integration
//! tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use shared::protocol::ClientFrame;

use crate::{Agent, Edge, Next, Socket, Visitor, hello_visitor};

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub conversations: usize,
    pub messages_each: usize,
    /// Sockets cut by their client, spread over the run.
    pub disconnects: usize,
    /// `SIGKILL`s of the worker's workerd, each followed by a restart on the same state.
    pub kills: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub conversations: usize,
    pub messages: usize,
    pub acknowledged: usize,
    /// Refused for good (the client shows them as not sent).
    pub refused: usize,
    pub disconnects: usize,
    pub kills: usize,
    /// Messages sent again on a new socket because their acknowledgement had not come.
    pub resent: usize,
    /// Time from each kill to the worker answering again, in ms.
    pub restart_ms: Vec<f64>,
    /// Acknowledged, yet missing from the stored history.
    pub lost: usize,
    /// Stored more than once.
    pub duplicated: usize,
    /// Neither acknowledged nor refused when the run gave up on them.
    pub unsettled: usize,
    /// Refused, yet stored.
    pub refused_but_stored: usize,
    pub seconds: f64,
}

impl Outcome {
    /// What broke the promise: every acknowledged message stored once, every other one stored
    /// once after its resend or shown as not sent.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (n, what) in [
            (self.lost, "acknowledged yet lost"),
            (self.duplicated, "stored twice"),
            (self.unsettled, "never acknowledged nor refused"),
            (self.refused_but_stored, "refused yet stored"),
        ] {
            if n > 0 {
                out.push(format!("chaos: {n} messages {what}"));
            }
        }
        out
    }
}

/// How long the run may take before unsettled messages count as such.
const GIVE_UP_AFTER: Duration = Duration::from_secs(240);
/// A frame is waited for this long before the socket counts as broken and is replaced.
const SILENT_AFTER: Duration = Duration::from_secs(5);
const WINDOW: usize = 4;

struct Shared {
    base: String,
    acks: AtomicUsize,
    /// Disconnects still to make; one every `cut_every` acknowledgements.
    cuts_left: AtomicUsize,
    cut_every: usize,
}

/// Runs `plan` against `edge` on `site` (an agent of `email` claims each conversation first,
/// so the AI stays out of it).
pub async fn run(edge: &mut Edge, site: &str, email: &str, plan: Plan) -> Outcome {
    let agent = Agent::login(edge, site, email).await;
    let mut conversations = Vec::new();
    for _ in 0..plan.conversations {
        let visitor = Visitor::join(edge, site).await;
        let (mut desk, _) = agent.open(&visitor.conversation_id).await;
        desk.send(&ClientFrame::Claim).await;
        desk.until_json("the claim", |f| f["type"] == "state" && f["phase"] == "active").await;
        conversations.push((visitor.conversation_id.clone(), visitor.token.clone()));
    }
    let total = plan.conversations * plan.messages_each;
    let shared = Arc::new(Shared {
        base: edge.ws_url(""),
        acks: AtomicUsize::new(0),
        cuts_left: AtomicUsize::new(plan.disconnects),
        cut_every: (total / plan.disconnects.max(1)).max(1),
    });
    let started = Instant::now();
    let clients: Vec<_> = conversations
        .iter()
        .enumerate()
        .map(|(n, (id, token))| {
            let client = Client::new(n, id.clone(), token.clone(), plan.messages_each);
            tokio::spawn(client.run(shared.clone(), started + GIVE_UP_AFTER))
        })
        .collect();

    // Kills at even steps of the traffic, while it flows.
    let mut restart_ms = Vec::new();
    for k in 1..=plan.kills {
        let at = total * k / (plan.kills + 1);
        while shared.acks.load(Ordering::Relaxed) < at && started.elapsed() < GIVE_UP_AFTER {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let killed = Instant::now();
        if !edge.kill_worker() {
            eprintln!("chaos: no workerd to kill");
        }
        edge.restart();
        restart_ms.push(killed.elapsed().as_secs_f64() * 1e3);
    }

    let mut outcome = Outcome {
        conversations: plan.conversations,
        messages: total,
        kills: plan.kills,
        restart_ms,
        ..Outcome::default()
    };
    let mut settled = Vec::new();
    for client in clients {
        match client.await {
            Ok(c) => settled.push(c),
            Err(e) => eprintln!("chaos: a client failed: {e}"),
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome.disconnects = plan.disconnects - shared.cuts_left.load(Ordering::Relaxed);
    for client in settled {
        let stored = stored_ids(edge, &agent, &client.conversation).await;
        outcome.acknowledged += client.acked.len();
        outcome.refused += client.refused.len();
        outcome.resent += client.resent;
        outcome.unsettled += client.pending.len() + (client.total - client.next);
        for id in client.acked.keys() {
            if !stored.contains_key(id) {
                outcome.lost += 1;
            }
        }
        for (id, times) in &stored {
            if *times > 1 {
                outcome.duplicated += 1;
            }
            if client.refused.contains_key(id) {
                outcome.refused_but_stored += 1;
            }
        }
    }
    outcome
}

/// One visitor: sends its messages, keeps every unacknowledged one, and sends them all again
/// on every new socket.
struct Client {
    n: usize,
    conversation: String,
    token: String,
    total: usize,
    /// The next message not yet sent.
    next: usize,
    pending: BTreeMap<String, String>,
    acked: HashMap<String, u64>,
    refused: HashMap<String, String>,
    last_seq: u64,
    resent: usize,
}

impl Client {
    fn new(n: usize, conversation: String, token: String, total: usize) -> Client {
        Client {
            n,
            conversation,
            token,
            total,
            next: 0,
            pending: BTreeMap::new(),
            acked: HashMap::new(),
            refused: HashMap::new(),
            last_seq: 0,
            resent: 0,
        }
    }

    fn done(&self) -> bool {
        self.next == self.total && self.pending.is_empty()
    }

    async fn run(mut self, shared: Arc<Shared>, give_up: Instant) -> Client {
        let url = format!("{}/api/conversations/{}/ws", shared.base, self.conversation);
        let mut backoff = Duration::from_millis(50);
        while !self.done() && Instant::now() < give_up {
            let Some(mut socket) = self.connect(&url).await else {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            };
            backoff = Duration::from_millis(50);
            self.serve(&mut socket, &shared, give_up).await;
        }
        self
    }

    /// A new socket, greeted, with every pending message sent again (same ids).
    async fn connect(&mut self, url: &str) -> Option<Socket> {
        let mut socket = Socket::try_connect(url, None).await.ok()?;
        let hello = serde_json::to_string(&hello_visitor(&self.token, self.last_seq)).ok()?;
        if !socket.try_send_raw(&hello).await {
            return None;
        }
        loop {
            match socket.next_within(SILENT_AFTER).await {
                Next::Frame(f) if f["type"] == "welcome" => break,
                Next::Frame(_) => continue,
                Next::Closed(_) | Next::Silent => return None,
            }
        }
        for (id, text) in &self.pending {
            if !socket.try_send_raw(&frame(id, text)).await {
                return None;
            }
            self.resent += 1;
        }
        Some(socket)
    }

    /// Sends and reads until the socket breaks (or is cut) or everything is settled.
    async fn serve(&mut self, socket: &mut Socket, shared: &Shared, give_up: Instant) {
        while !self.done() && Instant::now() < give_up {
            while self.next < self.total && self.pending.len() < WINDOW {
                let id = format!("x{}-{}", self.n, self.next);
                let text = format!("Chaos message {} of visitor {}", self.next, self.n);
                self.next += 1;
                let sent = socket.try_send_raw(&frame(&id, &text)).await;
                self.pending.insert(id, text);
                if !sent {
                    return;
                }
            }
            let f = match socket.next_within(SILENT_AFTER).await {
                Next::Frame(f) => f,
                Next::Closed(_) | Next::Silent => return,
            };
            if let Some(seq) = f["seq"].as_u64() {
                self.last_seq = self.last_seq.max(seq);
            }
            match f["type"].as_str() {
                Some("ack") => {
                    let id = f["client_id"].as_str().unwrap_or_default();
                    if self.pending.remove(id).is_some() {
                        self.acked.insert(id.to_owned(), f["seq"].as_u64().unwrap_or(0));
                    }
                    let acks = shared.acks.fetch_add(1, Ordering::Relaxed) + 1;
                    if acks.is_multiple_of(shared.cut_every) && take_one(&shared.cuts_left) {
                        // Cut: the socket is dropped without a close frame.
                        return;
                    }
                }
                Some("error") if f["retryable"] == false => {
                    let id = f["client_id"].as_str().unwrap_or_default();
                    if let Some(text) = self.pending.remove(id) {
                        self.refused.insert(id.to_owned(), text);
                    }
                }
                _ => {}
            }
        }
    }
}

fn take_one(left: &AtomicUsize) -> bool {
    left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
}

fn frame(id: &str, text: &str) -> String {
    let send =
        ClientFrame::Send { client_id: id.to_owned(), text: text.to_owned(), original: None };
    serde_json::to_string(&send).unwrap_or_default()
}

/// How many times each client id is stored in `conversation`, read by `agent` from the
/// start, every backlog page.
async fn stored_ids(edge: &Edge, agent: &Agent, conversation: &str) -> HashMap<String, usize> {
    let url = edge.ws_url(&format!("/api/admin/conversations/{conversation}/ws"));
    let mut socket = Socket::connect(&url, Some(&agent.cookie)).await;
    let Some(history) = socket.read_history(0).await else {
        panic!("the history of {conversation} did not come back whole")
    };
    let mut ids = HashMap::new();
    for item in &history.items {
        if let Some(id) = item["body"]["data"]["client_id"].as_str() {
            *ids.entry(id.to_owned()).or_default() += 1;
        }
    }
    ids
}
