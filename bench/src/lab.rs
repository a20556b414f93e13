//! The benchmarks' world: one worker started with `BENCHMARK=1` on loopback, a site per
//! benchmark (so one benchmark's index and tickets do not weigh on the next) with the same
//! eight teammates, and the socket pairs the benchmarks drive.

use std::path::PathBuf;
use std::time::Duration;

use integration::{Agent, Edge, Socket, Visitor};
use serde_json::Value;
use shared::protocol::ClientFrame;

use crate::procs;

pub const RELAY: &str = "relay";
pub const CLAIMS: &str = "claims";
pub const THROUGHPUT: &str = "throughput";
pub const IDLE: &str = "idle";
pub const WAKE: &str = "wake";
pub const CHAOS: &str = "chaos";
pub const BIG_SITE: &str = "big-site";
/// The demo FAQ's site the answers are evaluated on.
pub const FAQ: &str = "faq";
/// The held-out FAQ's site (`tests/eval/holdout-site.json`).
pub const HOLDOUT: &str = "faq-holdout";

/// How long a benchmark waits for any one frame before counting it lost.
pub const LOST_AFTER: Duration = Duration::from_secs(10);

pub struct Lab {
    pub edge: Edge,
}

/// (email, display name) of the teammates every benchmark site has.
fn teammates() -> Vec<(String, String)> {
    (1..=8).map(|i| (format!("agent{i}@bench.test"), format!("Agent {i}"))).collect()
}

impl Lab {
    /// Starts the worker and seeds the sites; blocking, before the load begins. The worker's
    /// log is kept in `log`; with `BENCH_TRACE=1` in the environment it has a line for every
    /// frame in, every acknowledgement out and every close (costly: figures drop).
    pub fn start(log: PathBuf) -> Lab {
        let trace = std::env::var("BENCH_TRACE").is_ok_and(|v| v == "1");
        let vars: &[(&str, &str)] =
            if trace { &[("BENCHMARK", "1"), ("TRACE", "1")] } else { &[("BENCHMARK", "1")] };
        let mut edge = Edge::start_with(vars);
        edge.keep_log_at(log);
        let people = teammates();
        let members: Vec<(&str, &str, &str)> =
            people.iter().map(|(e, n)| (e.as_str(), n.as_str(), "responder")).collect();
        for site in [RELAY, CLAIMS, THROUGHPUT, IDLE, WAKE, CHAOS, BIG_SITE, FAQ] {
            edge.site(site, &members);
        }
        for set in &crate::faq_eval::SETS {
            if set.site != FAQ {
                edge.site_with(set.site, &crate::faq_eval::site_settings(set.file), &members);
            }
        }
        Lab { edge }
    }

    /// The first teammate of `site`, signed in: enough to hold conversations.
    pub async fn agent(&self, site: &str) -> Agent {
        Agent::login(&self.edge, site, &teammates()[0].0).await
    }

    /// The email the first teammate of every site signs in with.
    pub fn first_teammate() -> String {
        teammates()[0].0.clone()
    }

    /// The eight teammates of `site`, signed in.
    pub async fn agents(&self, site: &str) -> Vec<Agent> {
        let mut agents = Vec::new();
        for (email, _) in teammates() {
            agents.push(Agent::login(&self.edge, site, &email).await);
        }
        agents
    }

    /// The address of the worker's own workerd, past the dev proxy `wrangler dev` puts in
    /// front of it (absent from a deployment, and the first to give way under load): the
    /// loopback port of that process that serves the worker's API (its others are the
    /// inspector and a debug port).
    pub async fn direct_base(&self) -> Option<String> {
        let worker = self.workerd().into_iter().find(|p| !procs::is_dev_proxy(*p))?;
        // The debug port speaks another protocol and may never answer an HTTP request.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().ok()?;
        for port in procs::listening_ports(worker) {
            let base = format!("http://127.0.0.1:{port}");
            let url = format!("{base}/api/sites/{IDLE}/config");
            if http.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
                return Some(base);
            }
        }
        None
    }

    pub fn workerd(&self) -> Vec<u32> {
        self.edge.process_group().map(procs::workerd).unwrap_or_default()
    }

    /// A new conversation on `site` that `agent` has claimed: the AI stays out of it.
    pub async fn claimed_pair(&self, site: &str, agent: &Agent) -> Pair {
        let visitor = Visitor::join(&self.edge, site).await;
        let (socket, _) = agent.open(&visitor.conversation_id).await;
        claim(visitor, socket).await
    }

    /// [`Lab::claimed_pair`] whose two clients take their own message's item as its ack,
    /// as the widget and the console do: what a message costs the relay as they use it.
    pub async fn claimed_pair_item_acks(&self, site: &str, agent: &Agent) -> Pair {
        let visitor = Visitor::join_item_acks(&self.edge, site).await;
        let (socket, _) = agent.open_item_acks(&visitor.conversation_id).await;
        claim(visitor, socket).await
    }

    /// Two sockets on a fresh echo object.
    pub async fn echo_pair(&self, id: &str) -> Pair {
        self.echo_pair_at(&format!("/api/bench/echo/{id}/ws"), id).await
    }

    /// Two sockets on a fresh echo object that stores and acknowledges each frame.
    pub async fn storing_echo_pair(&self, id: &str) -> Pair {
        self.echo_pair_at(&format!("/api/bench/echo/{id}/ws?store=1"), id).await
    }

    async fn echo_pair_at(&self, path: &str, id: &str) -> Pair {
        let url = self.edge.ws_url(path);
        let (agent, visitor) =
            (Socket::connect(&url, None).await, Socket::connect(&url, None).await);
        Pair { id: id.to_owned(), agent, visitor }
    }
}

/// The two ends of one conversation (or of one echo object).
pub struct Pair {
    /// The conversation's (or echo object's) id.
    pub id: String,
    pub agent: Socket,
    pub visitor: Socket,
}

/// A chat message frame, about as long as a typical line of chat.
pub fn message(client_id: &str) -> String {
    let frame = ClientFrame::Send {
        client_id: client_id.to_owned(),
        text: format!(
            "Benchmark message {client_id}: where is my order, and can I still change it?"
        ),
        original: None,
    };
    serde_json::to_string(&frame).unwrap_or_default()
}

/// The client id of the message a frame carries: a stored item from a conversation, or the
/// sender's own frame as the echo object relays it.
pub fn message_id(frame: &Value) -> Option<&str> {
    match frame["type"].as_str()? {
        "item" => frame["body"]["data"]["client_id"].as_str(),
        "send" => frame["client_id"].as_str(),
        _ => None,
    }
}

/// Echo ids look like conversation ids (32 hex digits), unique within a run.
pub fn echo_id(run: u64, n: usize) -> String {
    format!("{run:016x}{n:016x}")
}

/// The agent's socket claims the visitor's conversation: the AI stays out of it.
async fn claim(visitor: Visitor, mut agent: Socket) -> Pair {
    agent.send(&ClientFrame::Claim).await;
    agent.until_json("the claim", |f| f["type"] == "state" && f["phase"] == "active").await;
    Pair { id: visitor.conversation_id, agent, visitor: visitor.socket }
}
