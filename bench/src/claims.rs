//! Claim races: eight teammates claim the same escalated conversation at once, many times
//! over. Exactly one must win each race and every loser must be told the winner's name.
//!
//! Races run in a pool of conversations, each cycling: the visitor asks for a person, all
//! eight claims leave together, the winner hands back to the AI, and again.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use integration::{Socket, Visitor};
use serde::Serialize;
use serde_json::Value;
use shared::protocol::{ClientFrame, ErrorCode, ErrorFrame};

use crate::lab::{self, LOST_AFTER, Lab};
use crate::stats::{Samples, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub races: usize,
    pub agents: usize,
    pub conversations: usize,
    /// Races whose outcome broke a rule: not exactly one winner, or a loser not told who won.
    pub violations: usize,
    pub first_violation: Option<String>,
    /// From an agent's claim to its own outcome (its join, or its refusal).
    pub round_trip: Summary,
    pub seconds: f64,
}

enum Outcome {
    Won,
    Lost(ErrorFrame),
    Silent,
}

pub async fn run(lab: &Lab, races: usize, conversations: usize) -> Row {
    let agents = lab.agents(lab::CLAIMS).await;
    let mut pool = Vec::new();
    for _ in 0..conversations {
        let visitor = Visitor::join(&lab.edge, lab::CLAIMS).await;
        let mut sockets = Vec::new();
        for agent in &agents {
            let (socket, _) = agent.open(&visitor.conversation_id).await;
            sockets.push((agent.me.agent.name.clone(), socket));
        }
        pool.push((visitor, sockets));
    }
    let started = Instant::now();
    let loops = pool.into_iter().enumerate().map(|(i, (visitor, sockets))| {
        // Spread the races evenly; the first conversations take the remainder.
        let share = races / conversations + usize::from(i < races % conversations);
        tokio::spawn(race_loop(visitor, sockets, share))
    });
    let mut row = Row {
        races: 0,
        agents: agents.len(),
        conversations,
        violations: 0,
        first_violation: None,
        round_trip: Summary::default(),
        seconds: 0.0,
    };
    let mut round_trip = Samples::default();
    for done in join_all(loops).await {
        let tally = done.unwrap_or_else(|e| Tally {
            violations: vec![format!("a race loop failed: {e}")],
            ..Tally::default()
        });
        row.races += tally.races;
        row.violations += tally.violations.len();
        if row.first_violation.is_none() {
            row.first_violation = tally.violations.into_iter().next();
        }
        round_trip.extend(tally.round_trip);
    }
    row.round_trip = round_trip.summary();
    row.seconds = started.elapsed().as_secs_f64();
    row
}

#[derive(Default)]
struct Tally {
    races: usize,
    violations: Vec<String>,
    round_trip: Samples,
}

async fn race_loop(mut visitor: Visitor, mut agents: Vec<(String, Socket)>, races: usize) -> Tally {
    let mut tally = Tally::default();
    for _ in 0..races {
        visitor.socket.send(&ClientFrame::RequestHuman).await;
        let escalated =
            visitor.socket.until_json("the escalation", |f| event_of(f) == Some("escalated")).await;
        let after = escalated["seq"].as_u64().unwrap_or(0);
        let outcomes =
            join_all(agents.iter_mut().map(|(name, socket)| claim(name, socket, after))).await;
        tally.races += 1;
        for (_, took) in &outcomes {
            tally.round_trip.push(*took);
        }
        match judge(&agents, &outcomes) {
            Ok(winner) => {
                let socket = &mut agents[winner].1;
                socket.send(&ClientFrame::HandBack { ask_rating: false }).await;
                socket.until_json("the hand-back", |f| event_of(f) == Some("ai_resumed")).await;
            }
            Err(why) => {
                // The conversation's state is unknown now: stop this loop, keep the finding.
                tally.violations.push(why);
                break;
            }
        }
    }
    tally
}

/// One agent's claim: its outcome and how long it took to arrive.
async fn claim(name: &str, socket: &mut Socket, after: u64) -> (Outcome, Duration) {
    let sent = Instant::now();
    socket.send(&ClientFrame::Claim).await;
    let deadline = tokio::time::Instant::now() + LOST_AFTER;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(frame) = socket.try_next_json(left).await else {
            return (Outcome::Silent, sent.elapsed());
        };
        if frame["type"] == "error" {
            let outcome = serde_json::from_value(frame).map_or(Outcome::Silent, Outcome::Lost);
            return (outcome, sent.elapsed());
        }
        // Joins from earlier races are older than this race's escalation.
        let fresh = frame["seq"].as_u64().is_some_and(|seq| seq > after);
        if fresh
            && event_of(&frame) == Some("agent_joined")
            && frame["body"]["data"]["agent"]["name"] == name
        {
            return (Outcome::Won, sent.elapsed());
        }
    }
}

/// The winner's index, or what went wrong.
fn judge(agents: &[(String, Socket)], outcomes: &[(Outcome, Duration)]) -> Result<usize, String> {
    let winners: Vec<usize> =
        (0..outcomes.len()).filter(|i| matches!(outcomes[*i].0, Outcome::Won)).collect();
    let [winner] = winners[..] else {
        return Err(format!("{} winners in one race", winners.len()));
    };
    let name = &agents[winner].0;
    for (i, (outcome, _)) in outcomes.iter().enumerate() {
        match outcome {
            Outcome::Won => {}
            Outcome::Silent => return Err(format!("{} heard nothing back", agents[i].0)),
            Outcome::Lost(e) => {
                let told = e.agent.as_ref().is_some_and(|a| &a.name == name);
                if e.code != ErrorCode::AlreadyClaimed
                    || !told
                    || !e.message.contains(name.as_str())
                {
                    return Err(format!("{} was refused with {e:?}; {name} won", agents[i].0));
                }
            }
        }
    }
    Ok(winner)
}

fn event_of(frame: &Value) -> Option<&str> {
    (frame["type"] == "item").then(|| frame["body"]["data"]["event"].as_str()).flatten()
}
