//! `cargo xtask test`: every check CI runs, in order, failing fast.

use std::process::Command;

use crate::install::{self, CHROMIUM, FIREFOX};
use crate::proc::run as sh;
use crate::server::{DEMO_KEY, OWNER_EMAIL, demo, free_port, random_hex, scratch_state};
use crate::step::step;
use crate::{Result, build, root};

fn cargo(args: &[&str]) -> Result {
    sh(Command::new("cargo").args(args).current_dir(root()))
}

pub fn run_all() -> Result {
    install::for_test()?;
    step("cargo fmt --check", || cargo(&["fmt", "--all", "--check"]))?;
    step("clippy (native crates)", || {
        cargo(&[
            "clippy",
            "--all-targets",
            "-p",
            "takeover-shared",
            "-p",
            "xtask",
            "-p",
            "integration",
            "-p",
            "bench",
            "--",
            "-D",
            "warnings",
        ])
    })?;
    step("clippy (wasm crates)", || {
        cargo(&[
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "takeover-edge",
            "-p",
            "takeover-widget",
            "-p",
            "takeover-console",
            "-p",
            "takeover-client",
            "--",
            "-D",
            "warnings",
        ])
    })?;
    step("unit tests (shared, widget, console, bench, xtask)", || {
        cargo(&[
            "test",
            "-p",
            "takeover-shared",
            "-p",
            "takeover-widget",
            "-p",
            "takeover-console",
            "-p",
            "bench",
            "-p",
            "xtask",
        ])
    })?;
    build::all()?;
    step("wrangler deploy --dry-run (the config deploys)", deploy_dry_run)?;
    step("integration tests against workerd", || cargo(&["test", "-p", "integration"]))?;
    step("browser tests in chromium and firefox", || browser(&[]))?;
    // Proves the benchmarks still run; their figures mean little at these counts.
    crate::bench::measure(true)
}

/// Bundles the built worker as `wrangler deploy` would, offline: a configuration Cloudflare
/// would refuse (bindings, migrations, limits) fails the build here.
fn deploy_dry_run() -> Result {
    let root = root();
    let out = root.join("target/deploy-dry-run");
    sh(Command::new(root.join("node_modules/.bin/wrangler"))
        .args(["deploy", "--dry-run", "--config", "edge/wrangler.toml", "--outdir"])
        .arg(&out)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_HIDE_BANNER", "true")
        .env("NO_COLOR", "1")
        .current_dir(&root))
}

/// `cargo xtask test browser [FILE...]`: builds, then runs only the browser tests (the given
/// files under tests/browser/ or tests/firefox/, or all of them) — the quick loop on the UI.
pub fn browser_only(files: &[String]) -> Result {
    install::for_test()?;
    build::all()?;
    step("browser tests", || browser(files))
}

pub fn run() -> Result {
    run_all()?;
    println!("\nAll checks and tests passed.");
    Ok(())
}

/// One worker for the whole browser suite, seeded with the demo site, stopped afterwards.
fn browser(files: &[String]) -> Result {
    let root = root();
    let state = scratch_state("takeover-browser");
    let artifacts = root.join("test-artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    let password = random_hex(8);
    // Replies to a visitor who left are gathered for 3 s, not 2 minutes, and WhatsApp's
    // 24-hour reply window lasts 10 s: a test follows each.
    let vars = [("VISITOR_MAIL_SECS", "3"), ("CHANNEL_WINDOW_SECS", "10")];
    let log = artifacts.join("worker.log");
    let worker = demo(&root, free_port(), &state, &password, Some(&log), &vars)?;
    // Chromium's suite, then the visitor's core paths in Firefox; a file named alone is taken
    // from tests/browser/ unless its path says tests/firefox/.
    let targets: Vec<String> = if files.is_empty() {
        vec!["tests/browser/".into(), "tests/firefox/".into()]
    } else {
        files
            .iter()
            .map(|f| match f.starts_with("tests/firefox/") {
                true => f.clone(),
                false => format!("tests/browser/{}", f.trim_start_matches("tests/browser/")),
            })
            .collect()
    };
    let outcome = sh(Command::new("node")
        .args(["--test", "--test-concurrency=1"])
        .args(&targets)
        .current_dir(&root)
        .env("BASE_URL", &worker.base)
        .env("SITE_KEY", DEMO_KEY)
        .env("OWNER_EMAIL", OWNER_EMAIL)
        .env("OWNER_PASSWORD", &password)
        .env("CHROMIUM", CHROMIUM)
        .env("FIREFOX", FIREFOX)
        // Where the worker's mail is written, for tests that follow a mailed link.
        .env("MAIL_DIR", crate::server::mail_dir(&state))
        .env("ARTIFACTS", &artifacts));
    drop(worker);
    let _ = std::fs::remove_dir_all(&state);
    outcome
}
