//! Waking a long conversation: one with many items is filled, left until workerd evicts its
//! object, then opened again. Timed from the hello to the welcome and to the last backlog
//! frame (from before the upgrade, which is what wakes the object): the cost of rebuilding the object from storage shows as the difference between a
//! cold and a warm opening.

use std::time::{Duration, Instant};

use integration::{Next, Socket};
use serde::Serialize;

use crate::lab::{self, LOST_AFTER, Lab};

#[derive(Debug, Clone, Serialize)]
pub struct Wake {
    pub items: u64,
    pub fill_secs: f64,
    /// A reconnect (hello with the newest seq) to an evicted object: wake and welcome.
    pub cold_reconnect_ms: f64,
    /// A first opening (hello with seq 0) of an evicted object: welcome, then every item.
    pub cold_welcome_ms: f64,
    pub cold_all_ms: f64,
    /// The same first opening again at once, the object in memory.
    pub warm_welcome_ms: f64,
    pub warm_all_ms: f64,
    pub frames: usize,
    /// Every item came back once, in order, each time.
    pub complete: bool,
}

pub async fn run(lab: &Lab, items: usize, idle_wait: Duration) -> Wake {
    let agent = lab.agent(lab::WAKE).await;
    let pair = lab.claimed_pair(lab::WAKE, &agent).await;
    let id = pair.id.clone();
    let started = Instant::now();
    let mut visitor = pair.visitor;
    let (mut sent, mut acked) = (0, 0);
    while acked < items {
        while sent < items && sent - acked < 32 {
            visitor.send_raw(&lab::message(&format!("w{sent}"))).await;
            sent += 1;
        }
        match visitor.next_within(LOST_AFTER).await {
            Next::Frame(f) if f["type"] == "ack" => acked += 1,
            Next::Frame(_) => {}
            other => {
                eprintln!("wake: filling stopped at {acked} of {items}: {other:?}");
                break;
            }
        }
    }
    let fill_secs = started.elapsed().as_secs_f64();
    drop((visitor, pair.agent));
    let url = agent_url(lab, &id);
    tokio::time::sleep(idle_wait + Duration::from_secs(10)).await;
    let cold_reconnect = open(&url, &agent.cookie, acked as u64).await;
    // Each wait is longer than eviction needs (10 s without events) by another 10 s: an alarm
    // of the object (the report backstop, a hello deadline) may still wake it once.
    tokio::time::sleep(idle_wait + Duration::from_secs(10)).await;
    let cold_full = open(&url, &agent.cookie, 0).await;
    let warm_full = open(&url, &agent.cookie, 0).await;
    let last = cold_full.last_seq;
    Wake {
        items: last,
        fill_secs,
        cold_reconnect_ms: cold_reconnect.welcome_ms,
        cold_welcome_ms: cold_full.welcome_ms,
        cold_all_ms: cold_full.all_ms,
        warm_welcome_ms: warm_full.welcome_ms,
        warm_all_ms: warm_full.all_ms,
        frames: cold_full.frames,
        complete: cold_full.complete && warm_full.complete && last >= items as u64,
    }
}

fn agent_url(lab: &Lab, id: &str) -> String {
    lab.edge.ws_url(&format!("/api/admin/conversations/{id}/ws"))
}

struct Opening {
    welcome_ms: f64,
    all_ms: f64,
    frames: usize,
    last_seq: u64,
    complete: bool,
}

/// Connects, says hello with `after`, and reads the welcome and backlog to the newest item.
async fn open(url: &str, cookie: &str, after: u64) -> Opening {
    // Timed from before the upgrade: the object is rebuilt when the upgrade reaches it.
    let started = Instant::now();
    let mut socket = Socket::connect(url, Some(cookie)).await;
    let Some(history) = socket.read_history(after).await else {
        eprintln!("wake: the opening stopped before the newest item");
        return Opening {
            welcome_ms: f64::NAN,
            all_ms: f64::NAN,
            frames: 0,
            last_seq: 0,
            complete: false,
        };
    };
    Opening {
        welcome_ms: history.welcomed_at.map_or(f64::NAN, |at| ms_between(started, at)),
        all_ms: ms(started),
        frames: history.frames,
        last_seq: history.last_seq,
        complete: history.whole_after(after),
    }
}

fn ms_between(from: Instant, to: Instant) -> f64 {
    to.duration_since(from).as_secs_f64() * 1e3
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}
