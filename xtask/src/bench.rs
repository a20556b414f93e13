//! `cargo xtask bench`: figures, not pass/fail. Builds, starts the worker on loopback, and
//! runs each benchmark against it; every benchmark prints a table and writes JSON under
//! `target/bench/`.

use std::process::Command;

use crate::install::{self, CHROMIUM};
use crate::proc::run;
use crate::server::{DEMO_KEY, demo, free_port, random_hex};
use crate::step::step;
use crate::{Result, build, root};

pub fn run_all() -> Result {
    install::for_test()?;
    build::all()?;
    let root = root();
    let state = std::env::temp_dir().join(format!("takeover-bench-{}", random_hex(6)));
    let worker = demo(&root, free_port(), &state, &random_hex(8), None)?;
    let outcome = step("widget: bytes and time to a usable chat", || {
        run(Command::new("node")
            .arg("tests/bench/widget.mjs")
            .current_dir(&root)
            .env("BASE_URL", &worker.base)
            .env("SITE_KEY", DEMO_KEY)
            .env("CHROMIUM", CHROMIUM)
            .env("BENCH_OUT", root.join("target/bench")))
    });
    drop(worker);
    let _ = std::fs::remove_dir_all(&state);
    outcome
}
