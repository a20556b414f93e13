//! Installs what the build and the tests need, skipping whatever is already there at the right
//! version. Every tool comes from a package registry: nothing downloads a prebuilt binary.

use std::path::PathBuf;
use std::process::Command;

use crate::proc::{exists, newer, output, run};
use crate::step::step;
use crate::{Result, root};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The widget alone is built with this toolchain: it rebuilds the standard library without
/// panic messages or source locations (`build.rs`), which only a nightly can. Pinned, so every
/// machine builds the same bytes; the rest of the project stays on stable.
pub const WIDGET_TOOLCHAIN: &str = "nightly-2026-05-20";
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// Names what the widget's wasm is made of, in the bench.
const TWIGGY_VERSION: &str = "0.8.0";

pub fn for_build() -> Result {
    wasm_target()?;
    widget_toolchain()?;
    wasm_bindgen()?;
    worker_build()?;
    npm()
}

pub fn for_test() -> Result {
    for_build()?;
    twiggy()?;
    browsers()
}

/// Cargo's own directory: installed tools, and the sources of every dependency.
pub fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
}

/// Where `cargo install` puts binaries, whether or not it is on PATH.
pub fn cargo_bin(name: &str) -> PathBuf {
    let path = cargo_home().join("bin").join(name);
    if path.exists() { path } else { PathBuf::from(name) }
}

pub fn node_bin(name: &str) -> PathBuf {
    root().join("node_modules").join(".bin").join(name)
}

fn wasm_target() -> Result {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    step("install the wasm32 target", || {
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
    })
}

/// `-Zbuild-std` compiles the standard library for the wasm target from `rust-src`: no
/// prebuilt wasm target is needed on this toolchain.
fn widget_toolchain() -> Result {
    let args = ["component", "list", "--installed", "--toolchain", WIDGET_TOOLCHAIN];
    let installed = output(Command::new("rustup").args(args)).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "rust-src") {
        return Ok(());
    }
    step(&format!("install {WIDGET_TOOLCHAIN} for the widget (a minute, once)"), || {
        let install = ["toolchain", "install", WIDGET_TOOLCHAIN, "--profile", "minimal"];
        run(Command::new("rustup").args(install))?;
        run(Command::new("rustup")
            .args(["component", "add", "rust-src", "--toolchain"])
            .arg(WIDGET_TOOLCHAIN))
    })
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match the library exactly.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err("Cargo.lock names no wasm-bindgen version".into())
}

fn wasm_bindgen() -> Result {
    let version = locked_wasm_bindgen()?;
    let have = output(Command::new(cargo_bin("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(version.as_str()) {
        return Ok(());
    }
    // Not --locked: with it, resolution of the CLI's own dependencies fails on this registry.
    step(&format!("install wasm-bindgen-cli {version} (several minutes, once)"), || {
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))
    })
}

fn worker_build() -> Result {
    locked_tool("worker-build", WORKER_BUILD_VERSION, "several minutes")
}

fn twiggy() -> Result {
    locked_tool("twiggy", TWIGGY_VERSION, "a minute")
}

/// `cargo install --locked` of a tool at `version`, unless the one installed says that version.
fn locked_tool(name: &str, version: &str, takes: &str) -> Result {
    let have = output(Command::new(cargo_bin(name)).arg("--version")).unwrap_or_default();
    if have.contains(version) {
        return Ok(());
    }
    step(&format!("install {name} {version} ({takes}, once)"), || {
        run(Command::new("cargo").args(["install", name, "--version", version, "--locked"]))
    })
}

fn npm() -> Result {
    if !exists("node") || !exists("npm") {
        return Err("Node.js 20 or newer and npm are needed: install them first".into());
    }
    let marker = root().join("node_modules").join(".package-lock.json");
    if marker.exists() && !newer(&root().join("package-lock.json"), &marker) {
        return Ok(());
    }
    step("npm ci (wrangler, playwright-core, binaryen)", || {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(root()))
    })
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The second engine the visitor's core paths are tested in.
pub const FIREFOX: &str = "/usr/bin/firefox-esr";

fn browsers() -> Result {
    if PathBuf::from(CHROMIUM).exists() && PathBuf::from(FIREFOX).exists() {
        return Ok(());
    }
    step("install Debian's chromium and firefox-esr (a minute or two, once)", || {
        // SAFETY: geteuid(2) cannot fail and touches no memory.
        let sudo: &[&str] = if unsafe { libc::geteuid() } == 0 { &[] } else { &["sudo"] };
        let apt = |args: &[&str]| {
            let mut all: Vec<&str> = sudo.to_vec();
            all.push("apt-get");
            all.extend_from_slice(args);
            let mut cmd = Command::new(all[0]);
            cmd.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut cmd)
        };
        apt(&["update", "-q"])?;
        apt(&[
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "chromium",
            "firefox-esr",
            "fonts-dejavu-core",
        ])
    })
}
