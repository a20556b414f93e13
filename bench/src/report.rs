//! The report: one table on the terminal and the same figures as JSON.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::{big_site, claims, faq_eval, idle, relay, throughput, wake};

#[derive(Debug, Serialize)]
pub struct Report {
    pub smoke: bool,
    pub cores: usize,
    pub file_limit: u64,
    pub relay: Vec<relay::Row>,
    /// Our p99 over the echo floor's, per load and direction.
    pub floor_ratio: Vec<Ratio>,
    pub claims: Option<claims::Row>,
    pub throughput: Vec<throughput::Row>,
    pub idle: Option<idle::Row>,
    pub big_site: Option<big_site::Row>,
    pub wake: Option<wake::Wake>,
    pub chaos: Option<integration::chaos::Outcome>,
    pub faq: Vec<faq_eval::Eval>,
    /// What `tests/bench/widget.mjs` measured, when it ran first.
    pub widget: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct Ratio {
    pub conversations: usize,
    pub direction: &'static str,
    pub p99_ratio: f64,
    /// The stored echo's p99 over the same floor's: the platform's share of the multiple.
    pub stored_echo_ratio: Option<f64>,
}

pub fn ratios(rows: &[relay::Row]) -> Vec<Ratio> {
    let beside = |ours: &relay::Row, target| {
        rows.iter().find(|f| {
            f.target == target
                && f.conversations == ours.conversations
                && f.direction == ours.direction
        })
    };
    rows.iter()
        .filter(|r| r.target == relay::Target::Conversation)
        .filter_map(|ours| {
            let floor = beside(ours, relay::Target::Echo)?.latency.p99_ms.max(0.001);
            let stored = beside(ours, relay::Target::StoredEcho);
            Some(Ratio {
                conversations: ours.conversations,
                direction: ours.direction,
                p99_ratio: ours.latency.p99_ms / floor,
                stored_echo_ratio: stored.map(|s| s.latency.p99_ms / floor),
            })
        })
        .collect()
}

impl Report {
    /// What broke a correctness rule; speed never fails a run, these do.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.relay {
            if r.lost + r.duplicated > 0 {
                out.push(format!(
                    "{:?} × {} {}: {} lost, {} duplicated",
                    r.target, r.conversations, r.direction, r.lost, r.duplicated
                ));
            }
        }
        if let Some(c) = self.claims.as_ref().filter(|c| c.violations > 0) {
            out.push(format!(
                "{} claim races broke a rule; first: {}",
                c.violations,
                c.first_violation.as_deref().unwrap_or("?")
            ));
        }
        for t in &self.throughput {
            if t.delivered != t.messages {
                out.push(format!("throughput: {} of {} delivered", t.delivered, t.messages));
            }
        }
        if let Some(i) = self.idle.as_ref().filter(|i| i.acked < i.probes || i.answered < i.probes)
        {
            out.push(format!(
                "hibernated conversations: {} of {} acknowledged, {} answered",
                i.acked, i.probes, i.answered
            ));
        }
        out.extend(self.chaos.iter().flat_map(integration::chaos::Outcome::failures));
        out.extend(self.faq.iter().flat_map(faq_eval::Eval::failures));
        if let Some(b) =
            self.big_site.as_ref().filter(|b| b.round_reports_applied != b.round_reports)
        {
            out.push(format!(
                "big site: {} of the rounds' {} reports changed the index (each must be news)",
                b.round_reports_applied, b.round_reports
            ));
        }
        if let Some(w) = self.wake.as_ref().filter(|w| !w.complete) {
            out.push(format!("a long conversation of {} items did not come back whole", w.items));
        }
        out
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        let w = &mut t;
        let mode = if self.smoke { " — smoke run, small counts" } else { "" };
        let _ = writeln!(w, "\nEdge benchmarks on {} cores, loopback{mode}", self.cores);
        let _ = writeln!(
            w,
            "\nRelay latency (ms)   convs  direction          p50      p99      max  lost  dup"
        );
        for r in &self.relay {
            let target = r.target.label();
            let l = &r.latency;
            let _ = writeln!(
                w,
                "  {target:<18} {:>5}  {:<16} {:>7.2}  {:>7.2}  {:>7.2}  {:>4}  {:>3}",
                r.conversations,
                r.direction.replace('_', " "),
                l.p50_ms,
                l.p99_ms,
                l.max_ms,
                r.lost,
                r.duplicated
            );
        }
        let _ = writeln!(w, "  p99 as a multiple of the floor's (the stored echo's beside it):");
        for r in &self.floor_ratio {
            let stored = r.stored_echo_ratio.map(|s| format!("  ({s:.2}×)")).unwrap_or_default();
            let _ = writeln!(
                w,
                "    {:>5} conversations, {:<16} {:.2}×{stored}",
                r.conversations,
                r.direction.replace('_', " "),
                r.p99_ratio
            );
        }
        let busy: Vec<_> = self.relay.iter().filter(|r| r.conversations >= 100).collect();
        if !busy.is_empty() {
            let _ = writeln!(
                w,
                "  each round's p99 (median of the rounds, slowest round), and each pass's:"
            );
        }
        for r in busy {
            let mut p99s = r.p99_by_round_ms.clone();
            p99s.sort_by(f64::total_cmp);
            let Some(slowest) = p99s.last() else { continue };
            let passes: Vec<String> = r.p99_by_pass_ms.iter().map(|p| format!("{p:.2}")).collect();
            let _ = writeln!(
                w,
                "    {:<12} {:>5}  {:<16} {:>7.2}  {:>7.2}   {}",
                r.target.label(),
                r.conversations,
                r.direction.replace('_', " "),
                p99s[p99s.len() / 2],
                slowest,
                passes.join(" / ")
            );
        }
        if let Some(c) = &self.claims {
            claims_table(w, c);
        }
        let _ = writeln!(
            w,
            "\nThroughput        convs  messages  delivered    msg/s  workerd cores  CPU µs/msg (worker + dev proxy)  client CPU s  site req/conv/s"
        );
        for r in &self.throughput {
            // The floor's object is no site's: the site's requests meanwhile are other runs'.
            let site = if r.floor {
                "-".to_owned()
            } else {
                format!("{:.2}", r.site_requests_per_conversation_second)
            };
            let _ = writeln!(
                w,
                "  {:<14} {:>5}  {:>8}  {:>9}  {:>7.0}  {:>13.2}  {:>10.0} ({:>4.0} + {:>4.0})        {:>12.1}  {:>15}",
                match (r.floor, r.conversations) {
                    (true, _) => "floor, one",
                    (false, 1) => "one object",
                    (false, _) => "many objects",
                },
                r.conversations,
                r.messages,
                r.delivered,
                r.per_second,
                r.workerd_cores,
                r.cpu_us_per_message,
                r.worker_cpu_us_per_message,
                r.proxy_cpu_us_per_message,
                r.client_cpu_secs,
                site
            );
        }
        if let Some(i) = &self.idle {
            idle_table(w, i);
        }
        if let Some(big) = &self.big_site {
            let _ = writeln!(
                w,
                "\nBig site: {} conversations reporting; over {:.0} s with all running the site received {:.0} reports/s ({:.3} per conversation), pace asked {:.1} s of {} reporters, {} failed; worker CPU {:.0} µs/report over that time. Afterwards, in rounds taking turns (medians): {:.0} µs/report, of which the call {:.0} µs (the same reports unread) and applying {:.0} µs; the benchmark's HTTP hop {:.0} µs, so a report as a conversation sends it (the call to the site and applying it) {:.0} µs; the same report sent by fetch (the older transport) {:.0} µs, {:.0} µs less the hop; {} of the rounds' {} reports applied",
                big.conversations,
                big.steady_secs,
                big.reports_per_second,
                big.reports_per_conversation_second,
                big.pace_ms as f64 / 1e3,
                big.reporters,
                big.failed,
                big.worker_cpu_us_per_report,
                big.round_cpu_us_per_report,
                big.unread_cpu_us_per_report,
                big.site_cpu_us_per_report,
                big.ingress_cpu_us_per_report,
                big.report_cpu_us,
                big.fetched_cpu_us_per_report,
                big.fetched_report_cpu_us,
                big.round_reports_applied,
                big.round_reports
            );
            if let Some(why) = &big.first_failure {
                let _ = writeln!(w, "  first failed report (sent again 5 s later): {why}");
            }
        }
        if let Some(wake) = &self.wake {
            wake_table(w, wake);
        }
        if let Some(chaos) = &self.chaos {
            chaos_table(w, chaos);
        }
        for faq in &self.faq {
            faq_table(w, faq);
        }
        if let Some(widget) = &self.widget {
            widget_table(w, widget);
        }
        t
    }
}

fn claims_table(w: &mut String, c: &claims::Row) {
    let _ = writeln!(
        w,
        "\nClaim races: {} races × {} agents over {} conversations in {:.1} s\n  violations {}   claim round trip p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        c.races,
        c.agents,
        c.conversations,
        c.seconds,
        c.violations,
        c.round_trip.p50_ms,
        c.round_trip.p99_ms,
        c.round_trip.max_ms
    );
    if let Some(v) = &c.first_violation {
        let _ = writeln!(w, "  first violation: {v}");
    }
}

fn idle_table(w: &mut String, i: &idle::Row) {
    let _ = writeln!(
        w,
        "\nIdle sockets: {} of {} opened in {:.1} s (arriving at {:.0}/s){}{}",
        i.opened,
        i.target,
        i.open_seconds,
        i.open_per_sec,
        if i.direct { " (straight to the worker's workerd)" } else { " (through the dev proxy)" },
        i.stopped_by.as_deref().map(|e| format!(" (stopped: {e})")).unwrap_or_default()
    );
    let _ = writeln!(
        w,
        "  workerd RSS {:.0} MB before, {:.0} MB all open ({:.1} KB/socket), {:.0} MB after {:.0} s idle ({:.1} KB/socket); CPU while idle {:.2} s",
        i.rss_before_mb,
        i.rss_open_mb,
        i.kb_per_socket_open,
        i.rss_idle_mb,
        i.idle_wait_secs,
        i.kb_per_socket_idle,
        i.workerd_cpu_while_idle_secs
    );
    let _ = writeln!(
        w,
        "  after the idle wait, {} visitors spoke: {} acknowledged (p50 {:.1} ms, max {:.1} ms), {} answered by the AI (p50 {:.1} ms, max {:.1} ms)",
        i.probes,
        i.acked,
        i.wake_ack.p50_ms,
        i.wake_ack.max_ms,
        i.answered,
        i.wake_answer.p50_ms,
        i.wake_answer.max_ms
    );
    let _ = writeln!(
        w,
        "  then all {} closed at once, waking every object: {} storage failures (SQLITE_NOMEM) logged in the next 10 s; the site's index still listed {} visitors online then, {} after {}",
        i.opened,
        i.storage_failures_after_close,
        if i.online_after_close < 0 {
            "(unreadable)".to_owned()
        } else {
            i.online_after_close.to_string()
        },
        i.online_at_end,
        i.all_reported_after_secs.map_or(
            format!("{} min (not all reported)", idle::REPORTED_WITHIN.as_secs() / 60),
            |s| { format!("{s:.0} s") }
        )
    );
}

fn wake_table(w: &mut String, k: &wake::Wake) {
    let _ = writeln!(
        w,
        "\nLong conversation: {} items (filled in {:.1} s), opened after eviction and again at once (ms)",
        k.items, k.fill_secs
    );
    let _ = writeln!(
        w,
        "  evicted: reconnect → welcome {:.0}; first opening → welcome {:.0}, all {} frames {:.0}\n  in memory: first opening → welcome {:.0}, all {:.0}{}",
        k.cold_reconnect_ms,
        k.cold_welcome_ms,
        k.frames,
        k.cold_all_ms,
        k.warm_welcome_ms,
        k.warm_all_ms,
        if k.complete { "" } else { "  — NOT WHOLE" }
    );
}

fn chaos_table(w: &mut String, c: &integration::chaos::Outcome) {
    let restarts: Vec<String> = c.restart_ms.iter().map(|ms| format!("{:.1}", ms / 1e3)).collect();
    let _ = writeln!(
        w,
        "\nChaos: {} messages into {} conversations in {:.1} s; {} sockets cut, {} workerd SIGKILLs (back in {} s)",
        c.messages,
        c.conversations,
        c.seconds,
        c.disconnects,
        c.kills,
        restarts.join(", ")
    );
    let _ = writeln!(
        w,
        "  acknowledged {}, refused {}, sent again {}; lost {}, stored twice {}, unsettled {}, refused yet stored {}",
        c.acknowledged,
        c.refused,
        c.resent,
        c.lost,
        c.duplicated,
        c.unsettled,
        c.refused_but_stored
    );
}

fn faq_table(w: &mut String, faq: &faq_eval::Eval) {
    let _ = writeln!(
        w,
        "\nFAQ answers, {} (through the worker)\n  lang  answerable  correct  wrong entry  handed over  unanswerable  declined  answered   wrong overall",
        faq.set
    );
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    for r in faq.languages.iter().chain([&faq.all]) {
        let _ = writeln!(
            w,
            "  {:<4} {:>11} {:>7.1}% {:>11.1}% {:>11.1}% {:>13} {:>8.1}% {:>8.1}% {:>14.1}%",
            r.lang,
            r.answerable,
            pct(r.correct, r.answerable),
            pct(r.wrong_entry, r.answerable),
            pct(r.handed_over, r.answerable),
            r.unanswerable,
            pct(r.declined, r.unanswerable),
            pct(r.answered_anyway, r.unanswerable),
            r.wrong_rate() * 100.0
        );
    }
    let _ = writeln!(
        w,
        "  reply p50 {:.1} ms, p99 {:.1} ms (message to the engine's answer); {} missed, listed in bench.json",
        faq.reply.p50_ms,
        faq.reply.p99_ms,
        faq.misses.len()
    );
}

fn widget_table(w: &mut String, widget: &Value) {
    let _ = writeln!(
        w,
        "\nWidget bytes                          raw KB  gzip KB  brotli KB  gzip as built KB"
    );
    let kb = |v: &Value| v.as_f64().unwrap_or(0.0) / 1024.0;
    let mut built = false;
    for (name, s) in widget["bytes"].as_object().into_iter().flatten() {
        // Measurements from before the column have no build's copy to show.
        let gzip_built = s.get("gzip_built").map(|v| format!("{:>16.1}", kb(v)));
        built |= gzip_built.is_some();
        let _ = writeln!(
            w,
            "  {name:<34} {:>7.1}  {:>7.1}  {:>9.1}  {}",
            kb(&s["raw"]),
            kb(&s["gzip"]),
            kb(&s["brotli"]),
            gzip_built.unwrap_or_else(|| format!("{:>16}", "–"))
        );
    }
    if built {
        let _ = writeln!(
            w,
            "  (local wrangler re-encodes gzip; Cloudflare sends the build's copy as it is)"
        );
    }
    let _ = writeln!(
        w,
        "Widget timing (median, ms)   DOMContentLoaded→launcher   click→interactive panel"
    );
    let ms = |v: &Value| v.as_f64().unwrap_or(0.0);
    for (strategy, t) in widget["timing"].as_object().into_iter().flatten() {
        let _ = writeln!(
            w,
            "  {strategy:<26} {:>26.1} {:>25.1}",
            ms(&t["launcher_ms"]),
            ms(&t["click_to_interactive_ms"])
        );
    }
    let _ = writeln!(w, "Largest items in the wasm (twiggy top, raw bytes before wasm-bindgen)");
    for t in widget["twiggy"].as_array().into_iter().flatten() {
        let item: String = t["item"].as_str().unwrap_or("").chars().take(100).collect();
        let _ = writeln!(w, "  {:>7}  {item}", t["bytes"].as_u64().unwrap_or(0));
    }
    let lh = &widget["lighthouse"];
    if lh.is_object() {
        let _ = writeln!(
            w,
            "Lighthouse, demo page (mobile)   TBT ms   LCP ms  performance  accessibility"
        );
        for page in ["without", "with"] {
            let l = &lh[page];
            let _ = writeln!(
                w,
                "  {:<30} {:>6.0} {:>8.0} {:>12} {:>14}",
                format!("{page} widget"),
                ms(&l["tbt_ms"]),
                ms(&l["lcp_ms"]),
                l["performance"].as_i64().unwrap_or(0),
                l["accessibility"].as_i64().unwrap_or(0)
            );
        }
        let cost = &lh["widget_cost"];
        let _ = writeln!(
            w,
            "  the widget's cost: TBT {:+.0} ms, LCP {:+.0} ms",
            ms(&cost["tbt_ms"]),
            ms(&cost["lcp_ms"])
        );
    }
}
