//! The worker's V8, through its inspector: a full collection between the relay's parts.
//!
//! Every object of a location shares one isolate locally, so what one part leaves behind (the
//! objects of 500 conversations, evicted after the settle, and the garbage they made) is
//! collected whenever V8 next decides to, inside whichever part runs then. Measured: the
//! floor's pass that came after the conversations' read a p99 4–5 times its other pass's
//! (1.51 against 0.33 ms at 500). A collection asked for before each part makes every part
//! begin with the same heap, the floor's as much as ours; what a part makes during its own
//! run is still collected during it.

use std::time::Duration;

use integration::{Next, Socket};

use crate::procs;

/// Asks the worker's V8 for a full collection and waits until it is done. `workerd` are the
/// worker's processes ([`crate::procs::workerd`]), the one with an inspector is asked; `base`
/// is the worker's address.
pub async fn collect_garbage(workerd: &[u32], base: &str) -> Result<(), String> {
    let pid = workerd
        .iter()
        .copied()
        .find(|pid| !procs::is_dev_proxy(*pid))
        .ok_or("no workerd with an inspector")?;
    // The debug port speaks another protocol and may never answer an HTTP request.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let url = futures_util::future::join_all(
        procs::listening_ports(pid).into_iter().map(|port| debugger_url(&http, port)),
    )
    .await
    .into_iter()
    .flatten()
    .next()
    .ok_or_else(|| format!("no inspector among workerd {pid}'s ports"))?;
    let session = Socket::try_connect(&url, None);
    let mut socket = tokio::time::timeout(Duration::from_secs(5), session)
        .await
        .map_err(|_| format!("{url}: no session within 5 s"))??;
    if !socket.try_send_raw(r#"{"id":1,"method":"HeapProfiler.collectGarbage"}"#).await {
        return Err(format!("{url}: the session closed"));
    }
    // workerd hands an inspector's request to V8 when the isolate next runs: between parts
    // nothing runs, and a request waited 30 s unanswered. A health check makes it run.
    let health = format!("{base}/api/health");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let _ = http.get(&health).send().await;
        loop {
            match socket.next_within(Duration::from_millis(200)).await {
                Next::Frame(frame) if frame["id"] == 1 => {
                    return match frame.get("error") {
                        Some(e) => Err(format!("the inspector refused: {e}")),
                        None => Ok(()),
                    };
                }
                // An event, not the answer.
                Next::Frame(_) => {}
                Next::Closed(code) => return Err(format!("{url} closed ({code})")),
                Next::Silent => break,
            }
        }
    }
    Err(format!("{url} did not answer within 20 s"))
}

/// The debugger address of the worker's own isolate, if `port` serves the inspector's
/// `/json` (which lists workerd's internal workers too).
async fn debugger_url(http: &reqwest::Client, port: u16) -> Option<String> {
    let targets: Vec<serde_json::Value> =
        http.get(format!("http://127.0.0.1:{port}/json")).send().await.ok()?.json().await.ok()?;
    let ours =
        targets.iter().find(|t| t["id"].as_str().is_some_and(|id| id.starts_with("core:user:")))?;
    let url = ours["webSocketDebuggerUrl"].as_str()?;
    // The inspector names itself `localhost`; it listens where this process found it.
    let path = url.strip_prefix("ws://")?.split_once('/')?.1;
    Some(format!("ws://127.0.0.1:{port}/{path}"))
}
