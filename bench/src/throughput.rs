//! Throughput: visitors send as fast as their acknowledgements allow (a window of messages
//! in flight), into one conversation object and into many at once; a message counts once it
//! is stored (acknowledged to the visitor) and relayed (read by the agent). The same load
//! on the storing echo object ([`Lab::storing_echo_pair`]) is the platform's floor for it.
//!
//! The conversation's clients speak as the widget and the console do: each takes its own
//! message's item as its acknowledgement (`Hello::item_acks`), so a message is two frames
//! out, the item to each socket. The storing echo still sends a third, its ack.

use std::collections::HashSet;
use std::time::Instant;

use futures_util::future::join_all;
use integration::{Next, Socket};
use serde::Serialize;

use crate::lab::{self, LOST_AFTER, Lab, Pair};
use crate::{big_site, procs};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The storing echo object, not a conversation: what workerd itself costs per message.
    #[serde(default)]
    pub floor: bool,
    pub conversations: usize,
    pub messages: usize,
    /// Sent, acknowledged and read by the agent.
    pub delivered: usize,
    pub seconds: f64,
    pub per_second: f64,
    /// workerd's CPU seconds over the run (both processes of `wrangler dev`), as cores
    /// busy, and per delivered message.
    pub workerd_cpu_secs: f64,
    pub workerd_cores: f64,
    pub cpu_us_per_message: f64,
    /// The same, split: the workerd that runs the worker (what a deployment pays), and the
    /// dev proxy that `wrangler dev` puts in front of it (only here).
    pub worker_cpu_us_per_message: f64,
    pub proxy_cpu_us_per_message: f64,
    /// The load generator's own CPU seconds, on the same two cores.
    pub client_cpu_secs: f64,
    /// Requests the site object received during the run, per conversation and second.
    pub site_requests_per_conversation_second: f64,
}

pub async fn run(lab: &Lab, conversations: usize, per_conversation: usize, window: usize) -> Row {
    let agent = lab.agent(lab::THROUGHPUT).await;
    let mut pairs = Vec::new();
    for _ in 0..conversations {
        pairs.push(lab.claimed_pair_item_acks(lab::THROUGHPUT, &agent).await);
    }
    measure(lab, pairs, per_conversation, window, false).await
}

/// The same as [`run`] with one conversation, on a storing echo object instead.
pub async fn floor(
    lab: &Lab,
    run_id: u64,
    n: usize,
    per_conversation: usize,
    window: usize,
) -> Row {
    let pair = lab.storing_echo_pair(&lab::echo_id(run_id, n)).await;
    measure(lab, vec![pair], per_conversation, window, true).await
}

async fn measure(
    lab: &Lab,
    pairs: Vec<Pair>,
    per_conversation: usize,
    window: usize,
    floor: bool,
) -> Row {
    let conversations = pairs.len();
    let pids = lab.workerd();
    let (proxy, worker): (Vec<u32>, Vec<u32>) = pids.iter().partition(|p| procs::is_dev_proxy(**p));
    let (server_before, own_before) = (procs::usage(&pids), procs::own());
    let (worker_before, proxy_before) = (procs::usage(&worker), procs::usage(&proxy));
    let site_before = big_site::total_requests(&big_site::site_load(lab, lab::THROUGHPUT).await);
    let started = Instant::now();
    let pumps = pairs.into_iter().map(|p| tokio::spawn(pump(p, per_conversation, window)));
    let delivered: usize = join_all(pumps).await.into_iter().map(|d| d.unwrap_or(0)).sum();
    let seconds = started.elapsed().as_secs_f64();
    let server = procs::usage(&pids).cpu_since(&server_before);
    let site_after = big_site::total_requests(&big_site::site_load(lab, lab::THROUGHPUT).await);
    // The load reading itself is one request.
    let site_requests = site_after.saturating_sub(site_before + 1) as f64;
    let per_message = |secs: f64| secs * 1e6 / delivered.max(1) as f64;
    Row {
        floor,
        conversations,
        messages: conversations * per_conversation,
        delivered,
        seconds,
        per_second: delivered as f64 / seconds,
        workerd_cpu_secs: server,
        workerd_cores: server / seconds,
        cpu_us_per_message: per_message(server),
        worker_cpu_us_per_message: per_message(procs::usage(&worker).cpu_since(&worker_before)),
        proxy_cpu_us_per_message: per_message(procs::usage(&proxy).cpu_since(&proxy_before)),
        client_cpu_secs: procs::own().cpu_since(&own_before),
        site_requests_per_conversation_second: site_requests / seconds / conversations as f64,
    }
}

/// Sends `n` messages keeping `window` unacknowledged; returns how many the agent read.
/// A stall is reported on the terminal with the conversation's id, to look into.
async fn pump(pair: Pair, n: usize, window: usize) -> usize {
    let Pair { id, agent, mut visitor } = pair;
    let reader = tokio::spawn(read(agent, n));
    let (mut sent, mut acked) = (0, 0);
    while acked < n {
        while sent < n && sent - acked < window {
            visitor.send_raw(&lab::message(&format!("t{sent}"))).await;
            sent += 1;
        }
        match visitor.next_within(LOST_AFTER).await {
            // The storing echo's ack, or the conversation's item of the visitor's own message.
            Next::Frame(frame) if frame["type"] == "ack" || own_item(&frame) => acked += 1,
            Next::Frame(frame) if frame["type"] == "error" => {
                eprintln!("throughput: refused: {frame}")
            }
            Next::Frame(_) => {}
            Next::Closed(code) => {
                eprintln!(
                    "throughput: conversation {id}: {sent} sent, {acked} acknowledged, then the socket closed ({code})"
                );
                break;
            }
            Next::Silent => {
                eprintln!(
                    "throughput: conversation {id}: {sent} sent, {acked} acknowledged, then silence for {LOST_AFTER:?} (socket open)"
                );
                break;
            }
        }
    }
    reader.await.unwrap_or(0)
}

/// An `item` frame of one of this part's messages: the visitor's acknowledgement of it.
fn own_item(frame: &serde_json::Value) -> bool {
    frame["type"] == "item" && lab::message_id(frame).is_some_and(|id| id.starts_with('t'))
}

/// Reads until `n` distinct messages arrived or the socket stays quiet too long.
async fn read(mut agent: Socket, n: usize) -> usize {
    let mut seen = HashSet::new();
    while seen.len() < n {
        let Some(frame) = agent.try_next_json(LOST_AFTER).await else { break };
        if let Some(id) = lab::message_id(&frame).filter(|id| id.starts_with('t')) {
            seen.insert(id.to_owned());
        }
    }
    seen.len()
}
