//! How busy the site object is: requests by route (the bench reads them), and the
//! conversations reporting to it, which set the pace it asks of them (`shared::pace`).

use std::collections::HashMap;

use serde::Serialize;
use shared::pace::Reporters;
use shared::protocol::Millis;

#[derive(Default)]
pub struct Load {
    /// Requests since the object started, by route.
    requests: HashMap<&'static str, u64>,
    pub reporters: Reporters,
    /// Summaries that changed the index (news, not an older report arriving late).
    pub applied: u64,
}

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub requests: HashMap<&'static str, u64>,
    pub reporters: usize,
    pub pace_ms: Millis,
    /// Summaries that changed the index since the object started.
    pub applied: u64,
    /// Conversations the index lists with their visitor online.
    pub visitors_online: i64,
}

impl Load {
    pub fn count(&mut self, path: &str) {
        *self.requests.entry(route(path)).or_default() += 1;
    }

    pub fn snapshot(&self, visitors_online: i64) -> Snapshot {
        Snapshot {
            requests: self.requests.clone(),
            reporters: self.reporters.len(),
            pace_ms: self.reporters.pace_ms(),
            applied: self.applied,
            visitors_online,
        }
    }
}

/// The label a request is counted under: fixed names, so made-up paths cannot grow the table.
fn route(path: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "/setup",
        "/config",
        "/bot-config",
        "/settings",
        "/login/check",
        "/login/finish",
        "/session",
        "/logout",
        "/member",
        "/reports",
        "/conversations",
        "/inbox/ws",
        "/tickets",
        "/tickets.csv",
        "/verify-bot-reply",
        "/usage",
        "/load",
        "/floor",
    ];
    if path.starts_with("/team") {
        return "/team";
    }
    if path.starts_with("/secrets") {
        return "/secrets";
    }
    KNOWN.iter().find(|k| **k == path).copied().unwrap_or("other")
}
