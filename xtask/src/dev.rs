//! `cargo xtask dev`: build, then serve the whole system on loopback until Ctrl-C.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::server::{DEMO_KEY, OWNER_EMAIL, demo, random_hex};
use crate::step::step;
use crate::{Result, build, install, root};

pub struct Options {
    port: u16,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut port = 8787;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--port" => {
                    port = it
                        .next()
                        .and_then(|p| p.parse().ok())
                        .filter(|p| *p > 0)
                        .ok_or("--port takes a port number")?;
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(Options { port })
    }
}

pub fn run(opts: Options) -> Result {
    install::for_build()?;
    build::all()?;
    let root = root();
    // The local state lives in the project (git-ignored) and survives restarts.
    let persist = root.join(".dev-state");
    let (password, generated) = match std::env::var("DEV_OWNER_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_hex(8), true),
    };
    crate::server::keep_devtools();
    let mut worker = step("start the worker on workerd and seed the demo site", || {
        demo(&root, opts.port, &persist, &password, None, &[])
    })?;
    let base = &worker.base;
    println!("\nEverything is up.");
    println!("  Demo page:  {base}/");
    println!("  Admin:      {base}/admin");
    println!("  Sign in:    site {DEMO_KEY}, email {OWNER_EMAIL}, password {password}");
    if generated {
        println!("              (generated for this run; set DEV_OWNER_PASSWORD to choose one)");
    }
    println!(
        "  Team mail:  written under {}/miniflare-*/files/email/ while this runs",
        crate::server::mail_dir(&persist).display()
    );
    println!("Press Ctrl-C to stop.\n");

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| format!("could not watch for Ctrl-C: {e}"))?;
    while !stop.load(Ordering::SeqCst) && !worker.group.has_exited() {
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("Stopping the worker (process group {}).", worker.group.id());
    worker.group.stop();
    Ok(())
}
