//! The load generator behind `cargo xtask bench`: real WebSockets, over loopback, to the real
//! worker on a local workerd, bounded in count and time. It prints one table and writes the
//! same figures to `bench.json`; it exits non-zero only when a correctness figure is off
//! (a message lost or duplicated, a claim race with other than one winner, a hibernated
//! conversation that did not answer) — speed is reported, never judged.
//!
//! `bench [--smoke] [--only NAMES] [--out DIR] [--widget FILE]`: `--smoke` runs every
//! benchmark with small counts (CI runs it to prove the benchmark works); `--only` runs some
//! of relay, claims, throughput, big-site, wake, chaos, idle and faq; `--widget` adds the
//! widget's figures. `faq` asks the labelled questions of `tests/eval/` (the demo shop's and a
//! held-out FAQ's) and fails the run when the engine's answers fall below the floors in
//! `faq_eval.rs`.

mod big_site;
mod claims;
mod faq_eval;
mod idle;
mod inspector;
mod lab;
mod procs;
mod relay;
mod report;
mod stats;
mod throughput;
mod wake;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use integration::chaos::Plan;
use relay::Level;

/// How much of each benchmark a run does.
struct Sizes {
    levels: Vec<Level>,
    races: usize,
    race_conversations: usize,
    /// (conversations, messages each, window) for one object and for many.
    throughput: [(usize, usize, usize); 2],
    idle_sockets: usize,
    idle_wait: Duration,
    /// Items of the long conversation that is woken.
    wake_items: usize,
    chaos: integration::chaos::Plan,
    big_site: big_site::Plan,
    /// How long throughput waits after the parts before it: their objects' last alarms and
    /// their eviction (10 s after each one's last event) were counted against its messages.
    settle: Duration,
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            levels: vec![
                Level::new(1, 200, 20, 1),
                // 4,000 and 10,000 messages each way: a p99 is then the 40th and 100th
                // slowest. In two passes each, the targets taking turns: in one pass each,
                // the floor's and ours were measured minutes apart, and one run's multiple at
                // 500 ranged from 1.6 to 5.4 with no change between them.
                Level::new(100, 20, 1000, 2),
                Level::new(500, 10, 2000, 2),
            ],
            races: 10_000,
            race_conversations: 100,
            throughput: [(1, 30_000, 32), (50, 400, 4)],
            idle_sockets: 10_000,
            idle_wait: Duration::from_secs(15),
            wake_items: 20_000,
            chaos: Plan { conversations: 50, messages_each: 200, disconnects: 1_000, kills: 5 },
            big_site: big_site::Plan {
                conversations: 10_000,
                ramp: Duration::from_secs(50),
                steady: Duration::from_secs(30),
                message_every: Duration::from_secs(5),
            },
            settle: relay::SETTLE,
        }
    }

    fn smoke() -> Sizes {
        Sizes {
            levels: vec![Level::new(1, 20, 10, 1), Level::new(10, 5, 100, 2)],
            races: 50,
            race_conversations: 5,
            // Several messages in flight per conversation, as in the full run.
            throughput: [(1, 300, 32), (5, 60, 4)],
            idle_sockets: 100,
            // Long enough for workerd to evict the objects (10 s without events).
            idle_wait: Duration::from_secs(12),
            wake_items: 300,
            chaos: Plan { conversations: 8, messages_each: 60, disconnects: 60, kills: 1 },
            big_site: big_site::Plan {
                conversations: 300,
                ramp: Duration::from_secs(3),
                steady: Duration::from_secs(5),
                message_every: Duration::from_secs(2),
            },
            settle: Duration::ZERO,
        }
    }
}

/// Echo ids of the throughput floor start here: the relay numbers its echo objects from 0.
const FLOOR_ECHOES: usize = 1 << 40;

const BENCHMARKS: [&str; 8] =
    ["relay", "claims", "throughput", "big-site", "wake", "chaos", "idle", "faq"];

struct Options {
    smoke: bool,
    /// Benchmarks to skip (`--only` names the ones to run), for work on one of them.
    skip: Vec<&'static str>,
    out: PathBuf,
    widget: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        smoke: false,
        skip: Vec::new(),
        out: PathBuf::from("target/bench"),
        widget: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => opts.smoke = true,
            "--only" => {
                let only = args.next().ok_or("--only needs names")?;
                opts.skip =
                    BENCHMARKS.into_iter().filter(|b| !only.split(',').any(|o| o == *b)).collect();
            }
            "--out" => opts.out = args.next().ok_or("--out needs a directory")?.into(),
            "--widget" => opts.widget = Some(args.next().ok_or("--widget needs a file")?.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "{e}\nusage: bench [--smoke] [--only relay,claims,throughput,big-site,wake,chaos,idle,faq] [--out DIR] [--widget FILE]"
            );
            return ExitCode::from(2);
        }
    };
    let sizes = if opts.smoke { Sizes::smoke() } else { Sizes::full() };
    let file_limit = procs::raise_file_limit();
    if let Err(e) = std::fs::create_dir_all(&opts.out) {
        eprintln!("{}: {e}", opts.out.display());
        return ExitCode::FAILURE;
    }
    let mut lab = lab::Lab::start(opts.out.join("worker.log"));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(measure(&mut lab, &sizes, &opts, file_limit));
    // A profiler attached to the worker's inspector gets the time to stop and collect.
    if let Some(secs) = std::env::var("BENCH_HOLD_SECS").ok().and_then(|s| s.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_secs(secs));
    }
    drop(lab);
    println!("{}", report.table());
    let written = std::fs::create_dir_all(&opts.out).and_then(|()| {
        let json = serde_json::to_string_pretty(&report).unwrap_or_default();
        std::fs::write(opts.out.join("bench.json"), json)
    });
    match written {
        Ok(()) => println!("wrote {}", opts.out.join("bench.json").display()),
        Err(e) => eprintln!("writing {}: {e}", opts.out.display()),
    }
    let failures = report.failures();
    for f in &failures {
        eprintln!("FAILED: {f}");
    }
    // The runtime holds the idle benchmark's thousands of sockets; closing them is the
    // stopped worker's business no more.
    runtime.shutdown_background();
    if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn measure(
    lab: &mut lab::Lab,
    sizes: &Sizes,
    opts: &Options,
    file_limit: u64,
) -> report::Report {
    let run_id = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let wanted = |name: &str| !opts.skip.contains(&name);
    let mut relay = Vec::new();
    if wanted("relay") {
        eprintln!("relay latency…");
        relay = relay::run(lab, &sizes.levels, run_id).await;
    }
    let mut claims = None;
    if wanted("claims") {
        eprintln!("claim races…");
        claims = Some(claims::run(lab, sizes.races, sizes.race_conversations).await);
    }
    let mut rates = Vec::new();
    if wanted("throughput") {
        eprintln!("throughput…");
        if wanted("relay") || wanted("claims") {
            tokio::time::sleep(sizes.settle).await;
        }
        // Unmeasured: V8 compiles the worker's hot code with its optimising tier during the
        // first thousands of messages, which would be counted against the first run alone.
        let (_, one_each, one_window) = sizes.throughput[0];
        throughput::run(lab, 1, one_each / 5, one_window).await;
        for (conversations, each, window) in sizes.throughput {
            rates.push(throughput::run(lab, conversations, each, window).await);
        }
        // The floor's own code warms up the same way; its ids are past any the relay takes.
        throughput::floor(lab, run_id, FLOOR_ECHOES, one_each / 5, one_window).await;
        rates.push(throughput::floor(lab, run_id, FLOOR_ECHOES + 1, one_each, one_window).await);
    }
    let mut big = None;
    if wanted("big-site") {
        eprintln!("a big site: {} conversations reporting…", sizes.big_site.conversations);
        big = Some(big_site::run(lab, sizes.big_site).await);
    }
    let mut wake = None;
    if wanted("wake") {
        eprintln!("waking a long conversation…");
        wake = Some(wake::run(lab, sizes.wake_items, sizes.idle_wait).await);
    }
    let mut chaos = None;
    if wanted("chaos") {
        eprintln!("chaos: cuts and crashes during traffic…");
        let email = lab::Lab::first_teammate();
        chaos = Some(integration::chaos::run(&mut lab.edge, lab::CHAOS, &email, sizes.chaos).await);
    }
    let mut faq = Vec::new();
    if wanted("faq") {
        for set in &faq_eval::SETS {
            eprintln!("FAQ answers: the labelled questions of {}…", set.name);
            // Every question, smoke run included: the sets are small and the floors exact.
            faq.push(faq_eval::run(lab, set, 1, 16).await);
        }
    }
    // Last: its sockets all close at once at its end, and locally the thousands of objects
    // that wake for it exhaust workerd's process-wide SQLite heap for a while (counted in its
    // row), which a part after it would meet.
    let mut idle = None;
    if wanted("idle") {
        eprintln!("idle sockets…");
        idle = Some(idle::run(lab, sizes.idle_sockets, sizes.idle_wait).await);
    }
    let widget = opts
        .widget
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str(&s).ok());
    report::Report {
        smoke: opts.smoke,
        cores: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        file_limit,
        floor_ratio: report::ratios(&relay),
        relay,
        claims,
        throughput: rates,
        idle,
        big_site: big,
        wake,
        chaos,
        faq,
        widget,
    }
}
