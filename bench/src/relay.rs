//! Relay latency: an agent's message to the visitor's socket and a visitor's message to the
//! agent's, through conversation objects, and the same load through echo objects (the floor)
//! and through echo objects that store each frame (the platform's share of a stored message).
//!
//! Each conversation runs a closed loop at a chat's pace: the agent says something and waits
//! until the visitor has it, the visitor answers and waits until the agent has it, then both
//! pause. Conversations start spread over one pause, so the load is steady.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, stream};
use integration::{Agent, Socket};
use serde::Serialize;

use crate::inspector;
use crate::lab::{self, LOST_AFTER, Lab, Pair};
use crate::stats::{Samples, Summary};

#[derive(Debug, Clone, Copy)]
pub struct Level {
    pub conversations: usize,
    pub rounds: usize,
    pub pause: Duration,
    /// How many times each target runs its part, the targets taking turns.
    pub passes: usize,
}

impl Level {
    /// `conversations` each doing `rounds` exchanges, pausing `pause_ms` after each, in
    /// `passes` turns per target.
    pub fn new(conversations: usize, rounds: usize, pause_ms: u64, passes: usize) -> Level {
        Level { conversations, rounds, pause: Duration::from_millis(pause_ms), passes }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The real path: parse, state machine, SQLite, acknowledgement, broadcast, index report.
    Conversation,
    /// The floor: relay only.
    Echo,
    /// The platform's share of a stored message: each frame stored, committed, relayed to
    /// both sockets and acknowledged, none of the conversation's own code (`?store=1`). Not
    /// the goal's floor; it tells how much of the multiple any design that stores each
    /// message before relaying it pays.
    StoredEcho,
}

impl Target {
    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Target::Conversation => "conversation",
            Target::Echo => "echo floor",
            Target::StoredEcho => "stored echo",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub target: Target,
    pub conversations: usize,
    /// `agent_to_visitor` or `visitor_to_agent`.
    pub direction: &'static str,
    #[serde(flatten)]
    pub latency: Summary,
    /// Each round's p99 (over its `conversations` messages): whether the tail is a few rounds
    /// with a stall of several milliseconds, or every round a little slower.
    pub p99_by_round_ms: Vec<f64>,
    /// Each pass's p99: whether one pass met something the others did not.
    pub p99_by_pass_ms: Vec<f64>,
    pub lost: usize,
    pub duplicated: usize,
    /// The slowest messages, slowest first, with when they were sent: whether the tail's
    /// messages cluster in time (something else held the thread) or are spread out. The
    /// worker's trace (`BENCH_TRACE=1`) has the same clock.
    pub slowest: Vec<Slow>,
}

/// How many of the slowest messages a row names.
const SLOWEST: usize = 12;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Slow {
    pub ms: f64,
    /// Sent at, in milliseconds since the Unix epoch.
    pub sent_at_ms: u128,
    pub conversation: usize,
    pub round: usize,
}

/// One direction's tally.
#[derive(Default)]
struct Tally {
    /// Latencies by round.
    rounds: Vec<Samples>,
    seen: HashSet<String>,
    duplicated: usize,
    slowest: Vec<Slow>,
}

impl Tally {
    fn arrived(&mut self, round: usize, took: Duration, at: SystemTime, conversation: usize) {
        if self.rounds.len() <= round {
            self.rounds.resize_with(round + 1, Samples::default);
        }
        self.rounds[round].push(took);
        let sent_at_ms = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let ms = took.as_secs_f64() * 1000.0;
        self.slowest.push(Slow { ms, sent_at_ms, conversation, round });
        self.keep_slowest();
    }

    fn keep_slowest(&mut self) {
        self.slowest.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        self.slowest.truncate(SLOWEST);
    }

    /// Every round's latencies together.
    fn latency(&self) -> Samples {
        let mut all = Samples::default();
        for round in &self.rounds {
            all.extend(round.clone());
        }
        all
    }

    fn merge(&mut self, other: Tally) {
        if self.rounds.len() < other.rounds.len() {
            self.rounds.resize_with(other.rounds.len(), Samples::default);
        }
        for (mine, theirs) in self.rounds.iter_mut().zip(other.rounds) {
            mine.extend(theirs);
        }
        self.duplicated += other.duplicated;
        self.slowest.extend(other.slowest);
        self.keep_slowest();
    }
}

/// A part with this many objects or more is left to be evicted before the next part starts.
const SETTLE_FROM: usize = 100;
/// Eviction comes 10 s after an object's last event; a conversation's last alarms (the
/// report that its visitor left) come a few seconds after its sockets close.
pub const SETTLE: Duration = Duration::from_secs(20);

pub async fn run(lab: &Lab, levels: &[Level], run_id: u64) -> Vec<Row> {
    let agent = lab.agent(lab::RELAY).await;
    let mut rows = Vec::new();
    let mut echoes = 0;
    let mut settle = false;
    let mut passes = 0;
    for level in levels {
        let mut parts: Vec<Part> = TARGETS.iter().map(|&target| Part::new(target)).collect();
        // The targets take turns, pass after pass: what slows the machine for a while (another
        // process, the test's own client) falls on each of them alike, not on whichever part
        // it happened to meet. Every other pass goes backwards, so that the floor's part never
        // comes right after a conversations' part.
        for _ in 0..level.passes {
            // Counted across levels: a level of one pass ends on ours, and the next begins
            // with ours too rather than with the floor.
            passes += 1;
            let order: Vec<&mut Part> = if passes % 2 == 1 {
                parts.iter_mut().collect()
            } else {
                parts.iter_mut().rev().collect()
            };
            for part in order {
                // The objects of the part before are evicted 10 s after their last event, each
                // one's teardown on the thread every object shares locally: measured, 500 echo
                // objects torn down in the middle of the conversations' part, which the floor's
                // part never has to share its thread with.
                if settle {
                    tokio::time::sleep(SETTLE).await;
                }
                settle = level.conversations >= SETTLE_FROM;
                part.run(lab, &agent, *level, (run_id, echoes)).await;
                echoes += level.conversations;
            }
        }
        for part in parts {
            rows.extend(part.rows(*level));
        }
    }
    rows
}

/// The order the targets take turns in within a pass.
const TARGETS: [Target; 3] = [Target::Echo, Target::StoredEcho, Target::Conversation];

/// One target's tallies over the passes of one level.
struct Part {
    target: Target,
    to_visitor: Tally,
    to_agent: Tally,
    /// Lost messages, to the visitor and to the agent.
    lost: [usize; 2],
    /// Each pass's p99, to the visitor and to the agent.
    p99_by_pass: [Vec<f64>; 2],
}

impl Part {
    fn new(target: Target) -> Part {
        Part {
            target,
            to_visitor: Tally::default(),
            to_agent: Tally::default(),
            lost: [0, 0],
            p99_by_pass: [Vec::new(), Vec::new()],
        }
    }

    /// One pass: `level.conversations` pairs made, driven, and closed together.
    async fn run(&mut self, lab: &Lab, agent: &Agent, level: Level, (run, first): (u64, usize)) {
        let (target, n) = (self.target, level.conversations);
        // When each part begins, for a profile or a trace of that part alone.
        eprintln!("  {} × {n}…", target.label());
        let pairs: Vec<Pair> = stream::iter(0..n)
            .map(|i| {
                let (agent, id) = (agent, lab::echo_id(run, first + i));
                async move {
                    match target {
                        Target::Echo => lab.echo_pair(&id).await,
                        Target::StoredEcho => lab.storing_echo_pair(&id).await,
                        Target::Conversation => lab.claimed_pair_item_acks(lab::RELAY, agent).await,
                    }
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        // What the parts before left behind, and the making of this part's pairs (500
        // conversations accepted, greeted and claimed make far more than 500 echo pairs), is
        // collected now, not during the rounds.
        if let Err(e) = inspector::collect_garbage(&lab.workerd(), &lab.edge.base).await {
            eprintln!("  no collection before this part: {e}");
        }
        let drives = pairs.into_iter().enumerate().map(|(i, pair)| {
            let offset = level.pause.mul_f64(i as f64 / n as f64);
            tokio::spawn(drive(pair, level, offset, i))
        });
        let (mut to_visitor, mut to_agent) = (Tally::default(), Tally::default());
        // Every pair stays open until the last loop is done: a conversation whose visitor
        // leaves is work for the thread (its presence reported, its site told), and 500
        // leaving within two seconds, while the others still run their last round, measured
        // a last round 2-10 times slower than the rest, for ours and not for the floor.
        let mut open = Vec::with_capacity(n);
        for done in futures_util::future::join_all(drives).await {
            let Ok((v, a, pair)) = done else {
                // A conversation whose loop failed delivered nothing we can vouch for.
                self.lost[0] += level.rounds;
                self.lost[1] += level.rounds;
                continue;
            };
            self.lost[0] += level.rounds - v.seen.len();
            self.lost[1] += level.rounds - a.seen.len();
            to_visitor.merge(v);
            to_agent.merge(a);
            open.push(pair);
        }
        drop(open);
        self.p99_by_pass[0].push(to_visitor.latency().summary().p99_ms);
        self.p99_by_pass[1].push(to_agent.latency().summary().p99_ms);
        self.to_visitor.merge(to_visitor);
        self.to_agent.merge(to_agent);
    }

    fn rows(self, level: Level) -> Vec<Row> {
        let [by_pass_v, by_pass_a] = self.p99_by_pass;
        [
            ("agent_to_visitor", self.to_visitor, self.lost[0], by_pass_v),
            ("visitor_to_agent", self.to_agent, self.lost[1], by_pass_a),
        ]
        .into_iter()
        .map(|(direction, tally, lost, p99_by_pass_ms)| Row {
            target: self.target,
            conversations: level.conversations,
            direction,
            latency: tally.latency().summary(),
            p99_by_round_ms: tally.rounds.iter().map(|r| r.summary().p99_ms).collect(),
            p99_by_pass_ms,
            lost,
            duplicated: tally.duplicated,
            slowest: tally.slowest,
        })
        .collect()
    }
}

/// One conversation's loop; returns what reached the visitor and what reached the agent, and
/// the pair, still open.
async fn drive(mut pair: Pair, level: Level, offset: Duration, i: usize) -> (Tally, Tally, Pair) {
    let (mut to_visitor, mut to_agent) = (Tally::default(), Tally::default());
    tokio::time::sleep(offset).await;
    for n in 0..level.rounds {
        let id = format!("a{n}");
        let (sent, at) = (Instant::now(), SystemTime::now());
        pair.agent.send_raw(&lab::message(&id)).await;
        if arrives(&mut pair.visitor, &id, &mut to_visitor).await {
            to_visitor.arrived(n, sent.elapsed(), at, i);
        }
        let id = format!("v{n}");
        let (sent, at) = (Instant::now(), SystemTime::now());
        pair.visitor.send_raw(&lab::message(&id)).await;
        if arrives(&mut pair.agent, &id, &mut to_agent).await {
            to_agent.arrived(n, sent.elapsed(), at, i);
        }
        tokio::time::sleep(level.pause).await;
    }
    // Late arrivals still count as delivered, and a copy arriving late as a duplicate.
    let quiet = Duration::from_millis(300);
    while arrives_within(&mut pair.visitor, 'a', None, &mut to_visitor, quiet).await {}
    while arrives_within(&mut pair.agent, 'v', None, &mut to_agent, quiet).await {}
    (to_visitor, to_agent, pair)
}

async fn arrives(socket: &mut Socket, id: &str, tally: &mut Tally) -> bool {
    let peer = id.chars().next().unwrap_or_default();
    arrives_within(socket, peer, Some(id), tally, LOST_AFTER).await
}

/// Reads until the peer's message `id` arrives (`true`), or `wait` passes without it; with no
/// `id`, until any new peer message arrives. Every peer message read on the way is tallied;
/// the socket's own echoes and acks are skipped (the peer's ids start with `peer`).
async fn arrives_within(
    socket: &mut Socket,
    peer: char,
    id: Option<&str>,
    tally: &mut Tally,
    wait: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(frame) = socket.try_next_json(left).await else { return false };
        let Some(got) = lab::message_id(&frame) else { continue };
        if !got.starts_with(peer) {
            continue;
        }
        if !tally.seen.insert(got.to_owned()) {
            tally.duplicated += 1;
            continue;
        }
        if id.is_none_or(|id| got == id) {
            return true;
        }
    }
}
