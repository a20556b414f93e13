//! Starting the real Worker on a local workerd (through `wrangler dev`) and seeding a site.
//! Shared by `cargo xtask dev`, `cargo xtask test` and the integration tests' harness.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::proc::Group;

pub type Result<T = ()> = std::result::Result<T, String>;

pub struct LocalWorker {
    pub group: Group,
    pub base: String,
}

/// A port the kernel just had free on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A fresh directory name for a test or benchmark worker's state, in memory where the
/// machine has it. Local workerd commits every object's SQLite transaction with an fsync on
/// its one event-loop thread, and an object's frames wait for its commit (the output gate):
/// on this machine's disk, pipelined traffic into fifty conversations left some sockets
/// without a frame for over ten seconds while others ran (ARCHITECTURE.md, "Stalled sockets").
/// What the tests and benchmarks measure is this code, not the disk of the machine they run on.
/// `TAKEOVER_SCRATCH=DIR` puts it elsewhere (`/tmp` shows what the disk does).
pub fn scratch_state(name: &str) -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let base = if let Ok(dir) = std::env::var("TAKEOVER_SCRATCH") {
        dir.into()
    } else if shm.is_dir() && std::fs::metadata(shm).is_ok_and(|m| !m.permissions().readonly()) {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("{name}-{}", random_hex(6)))
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf));
    if read.is_err() {
        // Not secret-grade, but /dev/urandom is on every machine this runs on.
        let t = Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id());
        buf.iter_mut().enumerate().for_each(|(i, b)| *b = (t >> (i % 16 * 8)) as u8);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

static DEVTOOLS: AtomicBool = AtomicBool::new(false);

/// Workers started from now on keep wrangler's DevTools session (`cargo xtask dev`).
///
/// Tests and benchmarks go without it: with DevTools attached, workerd reports every
/// subrequest (a conversation's report to its site, a route's call to an object) and every
/// response chunk as a JSON-encoded inspector event, on the thread all objects share, and
/// wrangler's Node process reads them on the same two cores. That is work a deployed worker
/// never does; it made the relay's p99 at 500 conversations 3–10 times what it is without.
/// wrangler 4.86 offers no flag for it, only the variable a VS Code debug terminal sets, under
/// which it leaves the runtime's inspector unattached; logs still arrive on workerd's stdout.
pub fn keep_devtools() {
    DEVTOOLS.store(true, Ordering::Relaxed);
}

/// Starts `wrangler dev` for the built worker, its state in `persist`, with `extra` vars, and
/// waits until it answers. `log` takes its output instead of the terminal.
pub fn start(
    root: &Path,
    port: u16,
    persist: &Path,
    setup_token: &str,
    log: Option<&Path>,
    extra: &[(&str, &str)],
) -> Result<LocalWorker> {
    // The deployment's model key and the one endpoint it may go to, when the developer has
    // them in the environment.
    let from_env =
        |name: &'static str| std::env::var(name).ok().filter(|v| !v.is_empty()).map(|v| (name, v));
    let owned: Vec<(&str, String)> =
        [from_env("LLM_API_KEY"), from_env("LLM_BASE_URL")].into_iter().flatten().collect();
    let mut vars: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend_from_slice(extra);
    start_with(root, port, persist, setup_token, log, &vars)
}

/// The deployment's `SECRETS_KEY` for a local state directory: made once and kept beside the
/// state, so secrets sealed in one run open in the next.
fn secrets_key(persist: &Path) -> Result<String> {
    let file = persist.join("secrets-key");
    if let Ok(key) = std::fs::read_to_string(&file)
        && key.trim().len() >= 32
    {
        return Ok(key.trim().to_owned());
    }
    std::fs::create_dir_all(persist).map_err(|e| format!("{}: {e}", persist.display()))?;
    let key = random_hex(32);
    std::fs::write(&file, &key).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(key)
}

/// [`start`] with extra `--var NAME:VALUE` bindings.
pub fn start_with(
    root: &Path,
    port: u16,
    persist: &Path,
    setup_token: &str,
    log: Option<&Path>,
    vars: &[(&str, &str)],
) -> Result<LocalWorker> {
    let shim = root.join("edge/build/index.js");
    if !shim.exists() {
        return Err(format!("{} is missing: run `cargo xtask build` first", shim.display()));
    }
    let key = secrets_key(persist)?;
    let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
    cmd.current_dir(root)
        .args(["dev", "--config", "edge/wrangler.toml", "--ip", "127.0.0.1", "--local"])
        .args(["--port", &port.to_string(), "--inspector-port", &free_port().to_string()])
        .arg("--persist-to")
        .arg(persist)
        // With TRACE=1 the worker logs each frame (console.log): keep those lines.
        .args(["--show-interactive-dev-session=false", "--log-level", log_level(vars)])
        .args(["--var", &format!("SETUP_TOKEN:{setup_token}")])
        .args(["--var", &format!("SECRETS_KEY:{key}")])
        .args(vars.iter().flat_map(|(k, v)| ["--var".to_owned(), format!("{k}:{v}")]))
        .args(local_mail(vars))
        // Local mail is written under the temporary folder (see `mail_dir`).
        .env("TMPDIR", mail_tmp(persist)?)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_HIDE_BANNER", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if !DEVTOOLS.load(Ordering::Relaxed) {
        cmd.env("VSCODE_INSPECTOR_OPTIONS", "{}");
    }
    if let Some(log) = log {
        // Appended to: a worker restarted on the same state (a test, the chaos benchmark) keeps
        // the log of its earlier runs.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        cmd.stdout(file).stderr(err);
    }
    let mut group = Group::spawn(&mut cmd)?;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    let agent = ureq::Agent::new_with_defaults();
    loop {
        if agent.get(format!("{base}/api/health")).call().is_ok() {
            return Ok(LocalWorker { group, base });
        }
        if group.has_exited() {
            return Err("wrangler dev exited before the worker answered".into());
        }
        if Instant::now() > deadline {
            return Err("the worker did not answer within 90 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Locally, team mail goes out from a local address unless the caller gave one.
fn local_mail(vars: &[(&str, &str)]) -> Vec<String> {
    if vars.iter().any(|(k, _)| *k == "MAIL_FROM") {
        return Vec::new();
    }
    vec!["--var".into(), "MAIL_FROM:takeover@localhost".into()]
}

/// Where local wrangler writes the mail the worker sends (its temporary folder, here beside
/// the state so it can be found; wrangler removes its part when it stops).
pub fn mail_dir(persist: &Path) -> PathBuf {
    persist.join("tmp")
}

fn mail_tmp(persist: &Path) -> Result<PathBuf> {
    let dir = mail_dir(persist);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn log_level(vars: &[(&str, &str)]) -> &'static str {
    if vars.iter().any(|(k, v)| *k == "TRACE" && *v == "1") { "log" } else { "warn" }
}

/// The demo shop's settings and FAQ, shared by `dev`, the tests and the benchmarks.
pub const DEMO_SITE: &str = include_str!("../demo-site.json");
pub const DEMO_KEY: &str = "demo";
pub const OWNER_EMAIL: &str = "owner@example.com";

/// A worker on `port` with its state in `state`, seeded with the demo site and its owner.
pub fn demo(
    root: &Path,
    port: u16,
    state: &Path,
    password: &str,
    log: Option<&Path>,
    vars: &[(&str, &str)],
) -> Result<LocalWorker> {
    let token = random_hex(24);
    let worker = start(root, port, state, &token, log, vars)?;
    seed(
        &worker.base,
        &token,
        DEMO_KEY,
        DEMO_SITE,
        &[[OWNER_EMAIL, "Demo Owner", "owner", password]],
    )?;
    Ok(worker)
}

/// Creates or updates a site from `settings` (the JSON of `SiteSettings`) with these members
/// (`[email, name, role, password]`).
pub fn seed(
    base: &str,
    setup_token: &str,
    site_key: &str,
    settings: &str,
    members: &[[&str; 4]],
) -> Result {
    let settings: serde_json::Value =
        serde_json::from_str(settings).map_err(|e| format!("site settings: {e}"))?;
    let members: Vec<serde_json::Value> = members
        .iter()
        .map(|[email, name, role, password]| {
            serde_json::json!({ "email": email, "name": name, "role": role, "password": password })
        })
        .collect();
    let body =
        serde_json::json!({ "site_key": site_key, "settings": settings, "members": members });
    ureq::Agent::new_with_defaults()
        .post(format!("{base}/api/setup"))
        .header("Authorization", &format!("Bearer {setup_token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .map_err(|e| format!("seeding site {site_key}: {e}"))?;
    Ok(())
}
