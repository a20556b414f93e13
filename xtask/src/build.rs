//! Builds the widget and console bundles and the static pages into `dist/`, and the Worker
//! into `edge/build/`. wrangler serves both; nothing here is committed.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::install::{WIDGET_TOOLCHAIN, cargo_bin, cargo_home, node_bin};
use crate::proc::run;
use crate::step::step;
use crate::{Result, root};

pub fn all() -> Result {
    step("build the widget (wasm)", widget)?;
    step("build the console (wasm)", console)?;
    step("copy the static pages", pages)?;
    step("build the edge worker (wasm)", edge)
}

/// The widget alone: what its size work rebuilds again and again.
pub fn widget_only() -> Result {
    step("build the widget (wasm)", widget)
}

fn copy(from: &Path, to: &Path) -> Result {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::copy(from, to).map_err(|e| format!("copy {} → {}: {e}", from.display(), to.display()))?;
    Ok(())
}

/// Flags for every wasm build (the console and the edge share them, or each would rebuild the
/// other's shared dependencies; the widget adds its own, on its own toolchain): the source
/// paths that panic locations carry are shortened to the crate's own (`tachys-0.2.19/src/…`),
/// so the files served to every visitor name no directory of the machine that built them.
fn wasm_rustflags() -> Vec<String> {
    let root = root();
    let mut prefixes = vec![format!("{}/", root.display())];
    let home = cargo_home();
    for sources in [home.join("registry/src"), home.join("git/checkouts")] {
        for entry in fs::read_dir(&sources).into_iter().flatten().flatten() {
            prefixes.push(format!("{}/", entry.path().display()));
        }
    }
    prefixes.iter().map(|p| format!("--remap-path-prefix={p}=")).collect()
}

/// Separated as CARGO_ENCODED_RUSTFLAGS wants: a path may hold spaces.
fn encoded(flags: &[String]) -> String {
    flags.join("\x1f")
}

/// With `--target` given (every wasm build gives it), these flags reach the wasm crates only,
/// not build scripts or proc macros.
fn wasm_cargo(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_ENCODED_RUSTFLAGS", encoded(&wasm_rustflags()))
}

/// Every visitor of every site downloads the widget, so it alone is built on a pinned nightly
/// that rebuilds the standard library with no panic machinery: a panic traps at once (as
/// `panic = "abort"` already did, only without its message) and no source location is kept.
/// Measured on the served wasm: 161.3 -> 148.8 KiB brotli, 201.2 -> 185.2 KiB gzip.
fn widget_cargo() -> Command {
    let mut flags = wasm_rustflags();
    flags.extend(
        ["-Zlocation-detail=none", "-Zunstable-options", "-Cpanic=immediate-abort"]
            .map(String::from),
    );
    let mut cmd = Command::new("cargo");
    cmd.arg(format!("+{WIDGET_TOOLCHAIN}"))
        .env("CARGO_ENCODED_RUSTFLAGS", encoded(&flags))
        .arg("-Zbuild-std=std,panic_abort");
    cmd
}

/// Builds a Leptos crate for the browser with `cargo` and binds it into
/// `dist/{dir}/{name}.js` + wasm, with its functions' names only when `names` (for a later
/// step that finds functions by name; wasm-opt's `--strip-debug` then drops them).
fn bundle(mut cargo: Command, package: &str, dir: &str, name: &str, names: bool) -> Result {
    let root = root();
    run(cargo
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", package])
        .current_dir(&root))?;
    let wasm = root
        .join(format!("target/wasm32-unknown-unknown/release/{}.wasm", package.replace('-', "_")));
    run(Command::new(cargo_bin("wasm-bindgen"))
        .arg(&wasm)
        .args(["--target", "web", "--no-typescript", "--remove-producers-section"])
        .args((!names).then_some("--remove-name-section"))
        .args(["--out-name", name, "--out-dir"])
        .arg(root.join("dist").join(dir)))
}

/// What rustc's wasm32 target emits, which wasm-opt must be told it may keep.
const WASM_FEATURES: [&str; 4] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
];

fn widget() -> Result {
    let root = root();
    let dir = root.join("dist/widget");
    bundle(widget_cargo(), "takeover-widget", "widget", "widget", true)?;
    // Every visitor of every site downloads these: the glue and the loader minified, the wasm
    // through wasm-opt -O1 run until it changes nothing more, then identical code folded
    // (measured on today's wasm: brotli 140.1 KB, against 151.2 as built and 140.9 with one
    // -O1 pass; -Os, -Oz and -O2 made it larger, 156.4, 156.7 and 158.6 KB, though smaller
    // raw: they inline more, and inlined copies compress worse than calls), then its
    // functions put in the order that compresses best (`function_order`), which needs their
    // names until then.
    let wasm = dir.join("widget_bg.wasm");
    let glue = dir.join("widget.js");
    use crate::unused_classes::{STREAM_ADAPTERS, remove};
    remove(&wasm, &glue, &STREAM_ADAPTERS)?;
    crate::never_run::stub(&wasm)?;
    run(Command::new(node_bin("wasm-opt"))
        .arg(&wasm)
        .args(["-O1", "--converge", "--code-folding", "--duplicate-function-elimination"])
        .arg("-g")
        .args(WASM_FEATURES)
        .arg("-o")
        .arg(&wasm))?;
    crate::function_order::arrange(&wasm, &WASM_FEATURES)?;
    crate::short_names::shorten(&wasm, &glue, &WASM_FEATURES)?;
    // Content-hashed names, cached for good: the glue names its wasm, the loader its glue. The
    // glue is also kept as `widget.js` (cached minutes), which a loader from before a deploy
    // falls back to when the hashed names it knows are gone.
    let wasm_name = hashed(&wasm, "widget_bg", "wasm")?;
    // Loaders from before content-hashed names ask for these two names; they stay until no
    // such loader can be cached any more (five minutes after the first deploy with hashes).
    copy(&dir.join(&wasm_name), &wasm)?;
    replace_once(&glue, "'widget_bg.wasm'", &format!("'{wasm_name}'"))?;
    minify(&glue, &glue, true)?;
    let glue_name = hashed(&glue, "widget", "js")?;
    copy(&dir.join(&glue_name), &glue)?;
    let loader = dir.join("embed.src.js");
    copy(&root.join("widget/loader/embed.js"), &loader)?;
    replace_once(&loader, r#"var GLUE = "widget.js";"#, &format!(r#"var GLUE = "{glue_name}";"#))?;
    minify(&loader, &dir.join("embed.js"), false)?;
    fs::remove_file(&loader).map_err(|e| e.to_string())?;
    let kept = ["embed.js", "widget.js", "widget_bg.wasm", &glue_name, &wasm_name];
    for name in ["embed.js", &glue_name, &wasm_name] {
        precompress(&dir.join(name))?;
    }
    // The old names are the same bytes as the hashed ones: compressed once.
    for (alias, of) in [("widget.js", &glue_name), ("widget_bg.wasm", &wasm_name)] {
        for ext in [".br", ".gz"] {
            copy(&dir.join(format!("{of}{ext}")), &dir.join(format!("{alias}{ext}")))?;
        }
    }
    // Names of earlier builds must not linger: each would be served as cacheable for a year.
    for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let base = name.trim_end_matches(".br").trim_end_matches(".gz");
        if !kept.contains(&base) {
            fs::remove_file(entry.path()).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(())
}

/// Renames `file` to `{stem}.{first 12 hex digits of its SHA-256}.{ext}`; returns that name.
/// The edge caches a name of this shape for a year (`edge/src/api/assets.rs`).
fn hashed(file: &Path, stem: &str, ext: &str) -> Result<String> {
    use sha2::Digest;
    let bytes = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let digest = sha2::Sha256::digest(&bytes);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name = format!("{stem}.{hex}.{ext}");
    let to = file.with_file_name(&name);
    fs::rename(file, &to).map_err(|e| format!("{} → {}: {e}", file.display(), to.display()))?;
    Ok(name)
}

/// Replaces the one occurrence of `from` in `file`: a build that finds none, or several, stops
/// rather than ship files that name each other wrongly.
fn replace_once(file: &Path, from: &str, to: &str) -> Result {
    let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let found = text.matches(from).count();
    if found != 1 {
        return Err(format!("{}: expected one `{from}`, found {found}", file.display()));
    }
    fs::write(file, text.replace(from, to)).map_err(|e| format!("{}: {e}", file.display()))
}

/// esbuild's minification of `from` into `to` (as an ES module when `module`).
fn minify(from: &Path, to: &Path, module: bool) -> Result {
    let mut cmd = Command::new(node_bin("esbuild"));
    cmd.arg(from).args(["--minify", "--log-level=warning", "--allow-overwrite"]);
    if module {
        cmd.arg("--format=esm");
    }
    run(cmd.arg(format!("--outfile={}", to.display())))
}

/// Writes `FILE.br` and `FILE.gz` beside `file`, at each format's best: the edge sends the one
/// a browser accepts (every visitor of every site downloads these).
fn precompress(file: &Path) -> Result {
    let raw = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let with = |ext: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(ext);
        std::path::PathBuf::from(name)
    };
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 24, ..Default::default() };
    brotli::BrotliCompress(&mut raw.as_slice(), &mut br, &params)
        .map_err(|e| format!("brotli {}: {e}", file.display()))?;
    fs::write(with(".br"), br).map_err(|e| e.to_string())?;
    // Zopfli: the best deflate there is, slow to make (seconds for the wasm, built optimised
    // even in xtask's debug build: the workspace's profile says so) and read by
    // every browser as any gzip (measured: 7.1 KB smaller than zlib's best on the widget).
    let mut gz = Vec::new();
    zopfli::compress(zopfli::Options::default(), zopfli::Format::Gzip, raw.as_slice(), &mut gz)
        .map_err(|e| format!("gzip {}: {e}", file.display()))?;
    fs::write(with(".gz"), gz).map_err(|e| e.to_string())
}

fn console() -> Result {
    let mut cargo = Command::new("cargo");
    wasm_cargo(&mut cargo);
    bundle(cargo, "takeover-console", "console", "console", false)
}

fn pages() -> Result {
    let root = root();
    copy(&root.join("index.html"), &root.join("dist/index.html"))?;
    copy(&root.join("edge/admin/index.html"), &root.join("dist/admin/index.html"))?;
    copy(&root.join("edge/admin/boot.js"), &root.join("dist/console/boot.js"))?;
    copy(&root.join("edge/_headers"), &root.join("dist/_headers"))
}

fn edge() -> Result {
    let root = root();
    run(wasm_cargo(&mut Command::new(cargo_bin("worker-build")))
        .arg("--release")
        .current_dir(root.join("edge"))
        // worker-build would download these from GitHub; point it at the pinned local copies.
        .env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
        .env("WASM_OPT_BIN", node_bin("wasm-opt"))
        .env("ESBUILD_BIN", root.join("node_modules/@esbuild/linux-x64/bin/esbuild")))
}
