//! The mail a local worker sent: local wrangler writes each message to a file while it runs;
//! these are read and parsed as a mail client would (with the `mail-parser` crate).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::{Edge, PATIENCE};

/// One message, as its recipient sees it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
}

impl Mail {
    fn parse(raw: &str) -> Option<Mail> {
        let m = mail_parser::MessageParser::default().parse(raw.as_bytes())?;
        let addresses = |a: Option<&mail_parser::Address>| -> Vec<String> {
            a.map(|a| a.iter().filter_map(|x| x.address().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_owned());
        Some(Mail {
            to: addresses(m.to()),
            from: addresses(m.from()).into_iter().next().unwrap_or_default(),
            subject: m.subject().unwrap_or_default().to_owned(),
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            list_unsubscribe: header("List-Unsubscribe"),
            list_unsubscribe_post: header("List-Unsubscribe-Post"),
        })
    }

    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|t| t.eq_ignore_ascii_case(address))
    }
}

impl Edge {
    /// Every message the worker has sent so far, oldest first.
    pub fn mail(&self) -> Vec<Mail> {
        sent(&crate::server::mail_dir(self.state_dir()))
            .iter()
            .filter_map(|raw| Mail::parse(raw))
            .collect()
    }

    /// The mail sent so far to `address`.
    pub fn mail_to(&self, address: &str) -> Vec<Mail> {
        self.mail().into_iter().filter(|m| m.is_to(address)).collect()
    }

    /// Waits (up to [`PATIENCE`]) until the mail sent satisfies `done`, and returns it all.
    pub async fn mail_until(&self, what: &str, done: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        self.mail_within(PATIENCE, what, done).await
    }

    pub async fn mail_within(
        &self,
        wait: Duration,
        what: &str,
        done: impl Fn(&[Mail]) -> bool,
    ) -> Vec<Mail> {
        let deadline = Instant::now() + wait;
        loop {
            let mail = self.mail();
            if done(&mail) {
                return mail;
            }
            if Instant::now() > deadline {
                let seen: Vec<(&Vec<String>, &String)> =
                    mail.iter().map(|m| (&m.to, &m.subject)).collect();
                panic!("waited {wait:?} for mail: {what}; sent so far: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Every message under `dir` (`miniflare-*/files/email/*.eml`), oldest first.
fn sent(dir: &Path) -> Vec<String> {
    let mut found: Vec<(SystemTime, String)> = Vec::new();
    let Ok(runs) = std::fs::read_dir(dir) else { return Vec::new() };
    for run in runs.flatten() {
        let Ok(files) = std::fs::read_dir(run.path().join("files/email")) else { continue };
        for f in files.flatten() {
            let at = f.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
            if let Ok(raw) = std::fs::read_to_string(f.path()) {
                found.push((at, raw));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, raw)| raw).collect()
}
