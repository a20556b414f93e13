//! `cargo xtask bench [--smoke]`: figures, not pass/fail (bar correctness: a lost message or
//! a claim race with two winners fails the run). Builds, measures the widget in Chromium
//! against a demo worker, then runs the edge load generator (`bench/`) against a worker of
//! its own; one table on the terminal, the same figures in `target/bench/bench.json`.
//! `--smoke` runs everything with small counts, as `cargo xtask test` does.

use std::process::Command;

use crate::install::{self, CHROMIUM};
use crate::proc::run;
use crate::server::{DEMO_KEY, demo, free_port, random_hex, scratch_state};
use crate::step::step;
use crate::{Result, build, root};

pub fn run_all(smoke: bool) -> Result {
    install::for_test()?;
    build::all()?;
    measure(smoke)
}

/// Runs both parts on what is already built.
pub fn measure(smoke: bool) -> Result {
    let root = root();
    let out = root.join(if smoke { "target/bench-smoke" } else { "target/bench" });
    let state = scratch_state("takeover-bench");
    let worker = demo(&root, free_port(), &state, &random_hex(8), None, &[])?;
    let widget = step("widget: bytes and time to a usable chat", || {
        run(Command::new("node")
            .arg("tests/bench/widget.mjs")
            .current_dir(&root)
            .env("BASE_URL", &worker.base)
            .env("SITE_KEY", DEMO_KEY)
            .env("CHROMIUM", CHROMIUM)
            .env("TWIGGY", install::cargo_bin("twiggy"))
            .env("RUNS", if smoke { "1" } else { "7" })
            .env("BENCH_OUT", &out))
    });
    drop(worker);
    let _ = std::fs::remove_dir_all(&state);
    widget?;
    step(
        "edge: relay, claim races, throughput, big site, long conversation, chaos, idle sockets",
        || {
            // The smoke run reuses the test build; figures worth reading need an optimised client.
            let profile: &[&str] = if smoke { &[] } else { &["--profile", "loadgen"] };
            run(Command::new("cargo")
                .args(["run", "--quiet", "--package", "bench"])
                .args(profile)
                .arg("--")
                .args(smoke.then_some("--smoke"))
                .arg("--out")
                .arg(&out)
                .arg("--widget")
                .arg(out.join("widget.json"))
                .current_dir(&root))
        },
    )
}
