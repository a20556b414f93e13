//! A big site: thousands of busy conversations reporting to their one site object, played by
//! sending their report batches straight to it (through a benchmark-only route), each as the
//! conversation object would: at once at first, then no more often than the pace the site
//! answers with, and only when it has news (each conversation gets a message every few
//! seconds). Conversations start over the first part of the run, as they would over a day;
//! the rate the site receives is measured once all are running. The site also serves two
//! inbox sockets meanwhile, as a small team watching.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use shared::api::ConversationSummary;
use shared::protocol::Phase;

use crate::lab::{self, Lab};
use crate::procs;

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub conversations: usize,
    /// Conversations start evenly over this long.
    pub ramp: Duration,
    /// Then all run for this long, measured.
    pub steady: Duration,
    /// Each conversation gets a message this often.
    pub message_every: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub conversations: usize,
    pub steady_secs: f64,
    /// Reports the site received a second once all conversations were running.
    pub reports_per_second: f64,
    /// The same, per active conversation.
    pub reports_per_conversation_second: f64,
    /// The pace the site asked for at the end, and how many conversations it counted.
    pub pace_ms: i64,
    pub reporters: usize,
    /// Reports refused or failed (each conversation tries again 5 s later, as an outbox
    /// does), and why the first one did.
    pub failed: usize,
    pub first_failure: Option<String>,
    /// The worker's CPU per report over the steady part (the route in front of the site
    /// object included, and whatever else the worker did meanwhile).
    pub worker_cpu_us_per_report: f64,
    /// The three below are measured after the steady part in rounds that take turns, each
    /// kind of request at the steady part's rate for a few seconds per round, and are the
    /// medians over the rounds: measured one after another, a kind's figure took on whatever
    /// the thread was doing in its window (a collection of the heap the reports left), and
    /// the difference of two could come out below zero.
    /// The worker's CPU per report sent through the route (each one news to the site).
    pub round_cpu_us_per_report: f64,
    /// The worker's CPU per report for the same requests, which the site object answers
    /// with its pace without reading them: the call's share.
    pub unread_cpu_us_per_report: f64,
    /// The difference: what reading and applying a report costs the site object.
    pub site_cpu_us_per_report: f64,
    /// The worker's CPU per report for the same requests answered by the Worker itself: the
    /// benchmark's HTTP hop (shared by the reports of a request), which conversation objects
    /// do not take.
    pub ingress_cpu_us_per_report: f64,
    /// A report as a conversation object sends it: the call to the site object and what the
    /// site does with it (everything but the benchmark's HTTP hop).
    pub report_cpu_us: f64,
    /// The worker's CPU per report sent by `fetch` to the site's `/reports` (as conversations
    /// of an older version send it), in the same rounds: the two transports compared.
    pub fetched_cpu_us_per_report: f64,
    /// The same less the benchmark's HTTP hop.
    pub fetched_report_cpu_us: f64,
    /// Reports the rounds had answered that were sent to be applied (by RPC and by `fetch`),
    /// and how many changed the site's index: all must, or the figures above are of reports
    /// the site ignored.
    pub round_reports: u64,
    pub round_reports_applied: u64,
}

const IN_FLIGHT: usize = 32;

pub async fn run(lab: &Lab, plan: Plan) -> Row {
    let agent = lab.agent(lab::BIG_SITE).await;
    let _watching = (agent.inbox().await, agent.inbox().await);
    let http = reqwest::Client::new();
    // Through the dev proxy: straight to the worker's workerd, this run stalled (not looked
    // into yet). The proxy now and then answers 503 ("restarted mid-request"); such a report
    // counts as failed and goes again 5 s later, as an outbox would send it.
    let url: Arc<str> =
        format!("{}/api/bench/sites/{}/reports", lab.edge.base, lab::BIG_SITE).into();
    let started = Instant::now();
    let n = plan.conversations;
    // (next report due, conversation, reports sent so far)
    let mut due: BinaryHeap<Reverse<(Duration, usize, u64)>> =
        (0..n).map(|i| Reverse((plan.ramp.mul_f64(i as f64 / n as f64), i, 0))).collect();
    let mut in_flight = FuturesUnordered::new();
    let (mut sent_steady, mut failed, mut pace_ms) = (0usize, 0usize, 0i64);
    let mut first_failure = None;
    let steady_from = plan.ramp;
    let end = plan.ramp + plan.steady;
    let pids: Vec<u32> = lab.workerd().into_iter().filter(|p| !procs::is_dev_proxy(*p)).collect();
    let mut cpu_before = None;
    loop {
        let now = started.elapsed();
        if cpu_before.is_none() && now >= steady_from {
            cpu_before = Some(procs::usage(&pids));
        }
        if now >= end && in_flight.is_empty() {
            break;
        }
        let next_due = due.peek().map(|Reverse((at, _, _))| *at);
        let can_send = in_flight.len() < IN_FLIGHT && now < end;
        if can_send && next_due.is_some_and(|at| at <= now) {
            let Some(Reverse((_, i, count))) = due.pop() else { continue };
            let body = [batch(i, count + 1, started.elapsed())];
            let (http, url) = (http.clone(), url.clone());
            in_flight.push(async move {
                let answer = http.post(&*url).json(&body).send().await;
                let pace = match answer {
                    Ok(res) if res.status().is_success() => res
                        .json::<shared::pace::Pace>()
                        .await
                        .map(|p| p.pace_ms)
                        .map_err(|e| format!("unreadable answer: {e}")),
                    Ok(res) => Err(format!(
                        "{}: {}",
                        res.status(),
                        res.text().await.unwrap_or_default().chars().take(200).collect::<String>()
                    )),
                    Err(e) => Err(e.to_string()),
                };
                (i, count + 1, pace)
            });
            continue;
        }
        let wait = next_due.map_or(Duration::from_millis(50), |at| at.saturating_sub(now));
        tokio::select! {
            Some((i, count, pace)) = in_flight.next(), if !in_flight.is_empty() => {
                let at = started.elapsed();
                if at >= steady_from && at < end {
                    sent_steady += 1;
                }
                let pace = match pace {
                    Ok(p) => {
                        pace_ms = p;
                        // Spread as conversation objects spread it.
                        let unit = ((i * 104_729 + count as usize * 31) % 1000) as f64 / 1000.0;
                        let gap = shared::pace::spread(p, unit);
                        Duration::from_millis(gap.max(0) as u64)
                    }
                    Err(why) => {
                        failed += 1;
                        first_failure.get_or_insert(why);
                        Duration::from_secs(5)
                    }
                };
                // The next report goes when the pace allows and there is news.
                let news = plan.message_every.mul_f64(0.5 + ((i * 7919 + count as usize) % 100) as f64 / 100.0);
                due.push(Reverse((at + pace.max(news), i, count)));
            }
            _ = tokio::time::sleep(wait.min(Duration::from_millis(50))) => {}
        }
    }
    let cpu = cpu_before.map_or(0.0, |b| procs::usage(&pids).cpu_since(&b));
    let load = site_load(lab, lab::BIG_SITE).await;
    let seconds = plan.steady.as_secs_f64();
    let worker_cpu_us_per_report = cpu * 1e6 / sent_steady.max(1) as f64;
    let rate = sent_steady as f64 / seconds;
    let each = (plan.steady / 8).min(ROUND_FOR);
    let (mut reports, mut unread, mut ingress, mut fetched) = (vec![], vec![], vec![], vec![]);
    let applied_before = site_load(lab, lab::BIG_SITE).await["applied"].as_u64().unwrap_or(0);
    let mut round_reports = 0;
    for round in 0..ROUNDS {
        // Newer than anything the steady part sent, and than every round before (either
        // transport's), so that each report is news to the site: an old one is not applied.
        let news = 1_000_000 + 2 * round as u64;
        let (cpu, sent) = floor(lab, &http, &pids, "reports", news, rate, each).await;
        reports.push(cpu);
        round_reports += sent;
        unread.push(floor(lab, &http, &pids, "floor", news, rate, each).await.0);
        ingress.push(floor(lab, &http, &pids, "ingress", news, rate, each).await.0);
        let (cpu, sent) = floor(lab, &http, &pids, "fetched", news + 1, rate, each).await;
        fetched.push(cpu);
        round_reports += sent;
    }
    let (round_cpu_us_per_report, unread_cpu_us_per_report, ingress_cpu_us_per_report) =
        (median(reports), median(unread), median(ingress));
    let fetched_cpu_us_per_report = median(fetched);
    // Every report of the rounds but the unread ones must have changed the index: a report
    // the site finds stale costs it almost nothing, and the figures would flatter it.
    let applied = site_load(lab, lab::BIG_SITE).await["applied"].as_u64().unwrap_or(0);
    Row {
        conversations: n,
        steady_secs: seconds,
        reports_per_second: sent_steady as f64 / seconds,
        reports_per_conversation_second: sent_steady as f64 / seconds / n.max(1) as f64,
        pace_ms: load["pace_ms"].as_i64().unwrap_or(pace_ms),
        reporters: load["reporters"].as_u64().unwrap_or(0) as usize,
        failed,
        first_failure,
        worker_cpu_us_per_report,
        round_cpu_us_per_report,
        unread_cpu_us_per_report,
        site_cpu_us_per_report: round_cpu_us_per_report - unread_cpu_us_per_report,
        ingress_cpu_us_per_report,
        report_cpu_us: round_cpu_us_per_report - ingress_cpu_us_per_report,
        fetched_cpu_us_per_report,
        fetched_report_cpu_us: fetched_cpu_us_per_report - ingress_cpu_us_per_report,
        round_reports,
        round_reports_applied: applied.saturating_sub(applied_before),
    }
}

/// Rounds of the four kinds of request, and how long each kind runs in a round.
const ROUNDS: usize = 5;
const ROUND_FOR: Duration = Duration::from_secs(4);

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Reports a request carries in the rounds: conversation objects call the site object
/// directly, and the benchmark's HTTP hop in front of each request costs several times what
/// a report does, so a report's figure, taken as a difference, would be mostly the noise of
/// that hop.
const PER_REQUEST: usize = 10;

/// The worker's CPU per report for requests of [`PER_REQUEST`] report batches (the
/// `count`-th report of each conversation), `rate` reports a second for `time`, to `route`:
/// `reports` (applied by the site object), `floor` (answered by the site object without being
/// read), `fetched` (applied, sent by `fetch`) or `ingress` (answered by the Worker, the site
/// object not called); and how many reports were answered.
async fn floor(
    lab: &Lab,
    http: &reqwest::Client,
    pids: &[u32],
    route: &str,
    count: u64,
    rate: f64,
    time: Duration,
) -> (f64, u64) {
    let url = format!("{}/api/bench/sites/{}/{route}", lab.edge.base, lab::BIG_SITE);
    let total = (rate * time.as_secs_f64() / PER_REQUEST as f64).round().max(1.0) as usize;
    let before = procs::usage(pids);
    let started = Instant::now();
    let answered = futures_util::stream::iter(0..total)
        .map(|n| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                tokio::time::sleep_until((started + time.mul_f64(n as f64 / total as f64)).into())
                    .await;
                let at = started.elapsed();
                let body: Vec<_> =
                    (0..PER_REQUEST).map(|k| batch(n * PER_REQUEST + k, count, at)).collect();
                http.post(&url).json(&body).send().await.is_ok_and(|r| r.status().is_success())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let reports = answered * PER_REQUEST;
    (procs::usage(pids).cpu_since(&before) * 1e6 / reports.max(1) as f64, reports as u64)
}

/// What conversation `i` reports the `count`-th time.
fn batch(i: usize, count: u64, at: Duration) -> serde_json::Value {
    let at_ms = at.as_millis() as i64 + 1_800_000_000_000;
    let summary = ConversationSummary {
        channel: None,
        id: format!("{i:032x}"),
        phase: Phase::Bot,
        assignee: None,
        ticket: None,
        last_seq: count,
        created_at: 1_800_000_000_000,
        updated_at: at_ms,
        waiting_since: None,
        left_message: false,
        preview: format!("Message {count} of a busy conversation: where is my order?"),
        unanswered: 1,
        visitor_name: None,
        verified: false,
        user_id: None,
        tickets: 0,
        visitor_online: true,
        activity_at: at_ms,
        spam: false,
    };
    serde_json::json!({ "upto": count, "summary": summary, "tickets": [], "mentions": [], "usage": [] })
}

/// The site object's load figures (`/api/bench/sites/{key}/load`); null when unreadable.
pub async fn site_load(lab: &Lab, site: &str) -> serde_json::Value {
    let url = format!("{}/api/bench/sites/{site}/load", lab.edge.base);
    match reqwest::get(url).await {
        Ok(res) => res.json().await.unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    }
}

/// All requests in a load snapshot.
pub fn total_requests(load: &serde_json::Value) -> u64 {
    load["requests"].as_object().into_iter().flatten().filter_map(|(_, n)| n.as_u64()).sum()
}
