//! Builds the widget bundle and the static files into `dist/`, and the Worker into
//! `edge/build/`. wrangler serves both; nothing here is committed.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::install::{cargo_bin, node_bin};
use crate::proc::run;
use crate::step::step;
use crate::{Result, root};

pub fn all() -> Result {
    step("build the widget (wasm)", widget)?;
    step("copy the static pages", pages)?;
    step("build the edge worker (wasm)", edge)
}

fn copy(from: &Path, to: &Path) -> Result {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::copy(from, to).map_err(|e| format!("copy {} → {}: {e}", from.display(), to.display()))?;
    Ok(())
}

fn widget() -> Result {
    let root = root();
    run(Command::new("cargo")
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "takeover-widget"])
        .current_dir(&root))?;
    let wasm = root.join("target/wasm32-unknown-unknown/release/takeover_widget.wasm");
    let out = root.join("dist/widget");
    run(Command::new(cargo_bin("wasm-bindgen"))
        .arg(&wasm)
        .args(["--target", "web", "--no-typescript", "--remove-name-section"])
        .args(["--remove-producers-section", "--out-name", "widget", "--out-dir"])
        .arg(&out))?;
    copy(&root.join("widget/loader/embed.js"), &out.join("embed.js"))
}

fn pages() -> Result {
    let root = root();
    copy(&root.join("index.html"), &root.join("dist/index.html"))?;
    copy(&root.join("edge/admin/index.html"), &root.join("dist/admin/index.html"))
}

fn edge() -> Result {
    let root = root();
    run(Command::new(cargo_bin("worker-build"))
        .arg("--release")
        .current_dir(root.join("edge"))
        // worker-build would download these from GitHub; point it at the pinned local copies.
        .env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
        .env("WASM_OPT_BIN", node_bin("wasm-opt"))
        .env("ESBUILD_BIN", root.join("node_modules/@esbuild/linux-x64/bin/esbuild")))
}
