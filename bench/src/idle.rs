//! Idle cost: many visitors with the chat open and nothing to say. Their sockets stay open
//! while the conversation objects hibernate (workerd evicts an object 10 s after its last
//! event when only hibernatable sockets hold it); then 100 visitors speak up, one after another.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use integration::Visitor;
use serde::Serialize;
use serde_json::Value;

use crate::lab::{self, Lab};
use crate::procs;
use crate::stats::{Samples, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The sockets went straight to the worker's workerd, not through the dev proxy.
    pub direct: bool,
    pub target: usize,
    /// Sockets open with a welcome; fewer than `target` when the machine refused more.
    pub opened: usize,
    pub stopped_by: Option<String>,
    /// The pace of arrivals ([`OPEN_PER_SEC`]).
    pub open_per_sec: f64,
    pub open_seconds: f64,
    /// workerd's resident memory (both processes) before, with every socket just opened,
    /// and after the idle wait.
    pub rss_before_mb: f64,
    pub rss_open_mb: f64,
    pub rss_idle_mb: f64,
    pub idle_wait_secs: f64,
    pub workerd_cpu_while_idle_secs: f64,
    pub kb_per_socket_open: f64,
    pub kb_per_socket_idle: f64,
    /// Visitors who spoke after the wait, and how many got their acknowledgement (stored by
    /// the woken object) and the AI's answer (sent back on the sleeping socket).
    pub probes: usize,
    pub acked: usize,
    pub answered: usize,
    pub wake_ack: Summary,
    pub wake_answer: Summary,
    /// Then every socket closes at once, waking every object to handle its close: storage
    /// failures the worker logged in the [`AFTER_CLOSE`] that follows.
    pub storage_failures_after_close: usize,
    /// Visitors the site's index still listed online after that; and, checked again until
    /// none is (at most [`REPORTED_WITHIN`]), how long after the close the last was reported
    /// gone: an object whose storage failed reports its close once a read succeeds.
    pub online_after_close: i64,
    pub online_at_end: i64,
    pub all_reported_after_secs: Option<f64>,
}

/// Visitors arrive at this rate, not as fast as the machine allows. Local workerd keeps an
/// object awake for 10 s after its last event and holds the SQLite of every awake object in
/// one process-wide heap (512 MiB in the pinned release): at 260 a second, what this machine
/// opens unpaced, about 1,280 fresh conversations were awake at once and the next creation
/// failed with `SQLITE_NOMEM`, while 100 a second keeps about 1,000 awake and holds all 10,000.
pub const OPEN_PER_SEC: f64 = 100.0;

/// How long the site's index is given to hear every close: a close workerd never delivered
/// is found by the conversation's presence check, ten minutes after it last looked
/// (`VISITOR_CHECK_SECS`), so a little longer than that.
pub const REPORTED_WITHIN: Duration = Duration::from_secs(12 * 60);

/// How long the closes of every socket are given before storage failures are counted.
const AFTER_CLOSE: Duration = Duration::from_secs(10);

/// What workerd logs when its SQLite allocator refuses (its process-wide heap limit).
const STORAGE_FAILURE: &str = "SQLITE_NOMEM";

pub async fn run(lab: &Lab, target: usize, idle_wait: Duration) -> Row {
    let pids = lab.workerd();
    // Straight to the worker's own workerd: the dev proxy `wrangler dev` puts in front of it
    // (absent from a deployment) stops near 3,300 sockets. Through the proxy if not found.
    let base = lab.direct_base().await.unwrap_or_else(|| lab.edge.base.clone());
    let direct = base != lab.edge.base;
    let before = procs::usage(&pids);
    let started = Instant::now();
    let mut opening = stream::iter(0..target)
        .map(|i| {
            let base = base.clone();
            let due = started + Duration::from_secs_f64(i as f64 / OPEN_PER_SEC);
            async move {
                tokio::time::sleep_until(due.into()).await;
                // They say at hello that they ping, as the widget does (a socket that says
                // nothing of it, silent, cannot be told from a reader's). None misses a beat
                // before the close: the presence check that counts beats comes ten minutes
                // after each hello, and a visitor counts as heard for 150 s after it.
                Visitor::try_join_via(&base, lab::IDLE, true).await
            }
        })
        .buffer_unordered(32);
    let mut visitors = Vec::with_capacity(target);
    let mut stopped_by = None;
    while let Some(joined) = opening.next().await {
        match joined {
            Ok(v) => visitors.push(v),
            Err(e) => {
                stopped_by = Some(e);
                break;
            }
        }
    }
    drop(opening);
    let open_seconds = started.elapsed().as_secs_f64();
    let open = procs::usage(&pids);
    tokio::time::sleep(idle_wait).await;
    let idle = procs::usage(&pids);

    let probes = visitors.len().min(100);
    let step = (visitors.len() / probes.max(1)).max(1);
    let (mut ack, mut answer) = (Samples::default(), Samples::default());
    for v in visitors.iter_mut().step_by(step).take(probes) {
        let sent = Instant::now();
        v.socket.send_raw(&lab::message("wake")).await;
        if v.socket.find_json(|f| f["type"] == "ack").await.is_some() {
            ack.push(sent.elapsed());
        } else {
            continue;
        }
        if v.socket.find_json(is_bot_message).await.is_some() {
            answer.push(sent.elapsed());
        }
    }
    let opened = visitors.len();
    let mb = |b: u64| b as f64 / 1_048_576.0;
    let per_socket =
        |after: u64| after.saturating_sub(before.rss_bytes) as f64 / 1024.0 / opened.max(1) as f64;
    let (wake_ack, wake_answer) = (ack.summary(), answer.summary());
    let failures_before = lab.edge.log().matches(STORAGE_FAILURE).count();
    let closed = Instant::now();
    drop(visitors);
    tokio::time::sleep(AFTER_CLOSE).await;
    let failures = lab.edge.log().matches(STORAGE_FAILURE).count() - failures_before;
    let online_after_close = online(lab).await;
    let mut online_at_end = online_after_close;
    while online_at_end != 0 && closed.elapsed() < REPORTED_WITHIN {
        tokio::time::sleep(Duration::from_secs(2)).await;
        online_at_end = online(lab).await;
    }
    let all_reported_after_secs = (online_at_end == 0).then(|| closed.elapsed().as_secs_f64());
    Row {
        target,
        direct,
        opened,
        stopped_by,
        open_per_sec: OPEN_PER_SEC,
        open_seconds,
        rss_before_mb: mb(before.rss_bytes),
        rss_open_mb: mb(open.rss_bytes),
        rss_idle_mb: mb(idle.rss_bytes),
        idle_wait_secs: idle_wait.as_secs_f64(),
        workerd_cpu_while_idle_secs: idle.cpu_since(&open),
        kb_per_socket_open: per_socket(open.rss_bytes),
        kb_per_socket_idle: per_socket(idle.rss_bytes),
        probes,
        acked: wake_ack.n,
        answered: wake_answer.n,
        wake_ack,
        wake_answer,
        storage_failures_after_close: failures,
        online_after_close,
        online_at_end,
        all_reported_after_secs,
    }
}

/// Visitors the idle site's index lists online; -1 when it cannot be read.
async fn online(lab: &Lab) -> i64 {
    let load = crate::big_site::site_load(lab, lab::IDLE).await;
    load["visitors_online"].as_i64().unwrap_or(-1)
}

fn is_bot_message(frame: &Value) -> bool {
    frame["type"] == "item" && frame["body"]["data"]["author"]["kind"] == "bot"
}
