//! `cargo xtask fuzz [--cases N]`: the decoders of untrusted input (`shared/tests/fuzz.rs`)
//! with N inputs per target (200,000 by default: 1.2 million in all), optimised. `cargo
//! xtask test` runs the same targets with 2,000 inputs each.

use std::process::Command;
use std::time::Instant;

use crate::proc::run;
use crate::{Result, root};

/// How many targets `shared/tests/fuzz.rs` runs (one test runs two).
const TARGETS: u64 = 6;

pub fn run_all(args: &[String]) -> Result {
    let cases: u64 = match args {
        [] => 200_000,
        [flag, n] if flag == "--cases" => n.parse().map_err(|_| "--cases takes a number")?,
        _ => return Err("usage: cargo xtask fuzz [--cases N]".into()),
    };
    let started = Instant::now();
    // The load generator's profile: optimised, quick to build, panics unwind (so a failing
    // input is reported, not an abort).
    run(Command::new("cargo")
        .args(["test", "--profile", "loadgen", "-p", "takeover-shared", "--test", "fuzz"])
        .args(["--", "--nocapture", "--test-threads=2"])
        .env("FUZZ_CASES", cases.to_string())
        .current_dir(root()))?;
    println!(
        "\nfuzz: {} inputs ({cases} per target, {TARGETS} targets) in {:.0} s, no panic",
        cases * TARGETS,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
