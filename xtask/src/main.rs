//! `cargo xtask <task>`: everything a developer or CI runs, from a fresh machine on.
//!
//! - `dev [--port P]`: install what is missing, build, serve the whole system locally.
//! - `test`: install, build and run every check and test; non-zero exit on any failure.
//! - `build [widget]`: install what is missing and build the widget, the console and the edge
//!   (or the widget alone).
//! - `bench [--smoke]`: build, serve on loopback and print the benchmarks' figures.
//! - `fuzz [--cases N]`: the decoders of untrusted input, N inputs per target.

mod bench;
mod build;
mod dev;
mod function_order;
mod fuzz;
mod install;
mod never_run;
mod proc;
mod server;
mod short_names;
mod step;
mod test;
mod unused_classes;
mod wasm_binary;

use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <dev [--port PORT] | test [browser [FILE...]] | build [widget] | bench [--smoke] | fuzz [--cases N]>"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => match dev::Options::parse(&args[1..]) {
            Ok(opts) => dev::run(opts),
            Err(e) => {
                eprintln!("{e}");
                return usage();
            }
        },
        Some("test") if args.len() == 1 => test::run(),
        Some("test") if args[1] == "browser" => test::browser_only(&args[2..]),
        Some("build") if args.len() == 1 => install::for_build().and_then(|()| build::all()),
        Some("build") if args.len() == 2 && args[1] == "widget" => {
            install::for_build().and_then(|()| build::widget_only())
        }
        Some("bench") if args.len() == 1 => bench::run_all(false),
        Some("bench") if args.len() == 2 && args[1] == "--smoke" => bench::run_all(true),
        Some("fuzz") => fuzz::run_all(&args[1..]),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask failed: {e}");
            ExitCode::FAILURE
        }
    }
}

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root: xtask's manifest lives one level below it.
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
