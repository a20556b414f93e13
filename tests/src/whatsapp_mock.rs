//! A local WhatsApp Cloud API on loopback, as much of it as the channel uses: `POST
//! /{phone-number-id}/messages`. It takes only its own bearer token and number, checks each
//! body against the documented shape (a text message, or an interactive message with reply
//! buttons), records every call, and answers with the failures it is told to, in order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::llm_mock::{read_request, response};

pub const TOKEN: &str = "EAAGtestAccessTokenForTheLocalGraphApi";
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// `X-Hub-Signature-256` of `body` under the app secret, as Meta signs its webhooks.
pub fn signature(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[derive(Clone, Debug)]
pub struct Sent {
    pub body: Value,
    pub status: u16,
}

impl Sent {
    /// The text the customer sees: a text message's body or an interactive message's.
    pub fn text(&self) -> String {
        let b = &self.body;
        b["text"]["body"]
            .as_str()
            .or(b["interactive"]["body"]["text"].as_str())
            .unwrap_or("")
            .to_owned()
    }
}

pub struct MockWhatsApp {
    pub base: String,
    sent: Arc<Mutex<Vec<Sent>>>,
    failures: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockWhatsApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What is wrong with a message's body, if anything.
fn misshapen(b: &Value) -> Option<&'static str> {
    let to_ok =
        b["to"].as_str().is_some_and(|t| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()));
    if b["messaging_product"] != "whatsapp" || !to_ok {
        return Some("messaging_product and to are required");
    }
    match b["type"].as_str() {
        Some("text") => {
            let len = b["text"]["body"].as_str().map_or(0, |t| t.chars().count());
            (!(1..=4096).contains(&len)).then_some("text.body must be 1 to 4096 characters")
        }
        Some("interactive") => {
            let i = &b["interactive"];
            let len = i["body"]["text"].as_str().map_or(0, |t| t.chars().count());
            let buttons = i["action"]["buttons"].as_array().cloned().unwrap_or_default();
            let buttons_ok = (1..=3).contains(&buttons.len())
                && buttons.iter().all(|b| {
                    b["type"] == "reply"
                        && b["reply"]["id"].as_str().is_some_and(|s| !s.is_empty())
                        && b["reply"]["title"]
                            .as_str()
                            .is_some_and(|t| (1..=20).contains(&t.chars().count()))
                });
            (i["type"] != "button" || !(1..=1024).contains(&len) || !buttons_ok)
                .then_some("interactive button message misshapen")
        }
        _ => Some("unsupported message type"),
    }
}

impl MockWhatsApp {
    pub async fn start() -> MockWhatsApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the mock Graph API");
        let base = format!("http://127.0.0.1:{}/v21.0", listener.local_addr().unwrap().port());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(VecDeque::new()));
        let (log, queue) = (sent.clone(), failures.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let Some((head, body)) = read_request(&mut stream).await else { continue };
                let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                let authorised = head.lines().any(|l| {
                    l.to_ascii_lowercase().starts_with("authorization:")
                        && l.split_once(':')
                            .is_some_and(|(_, v)| v.trim() == format!("Bearer {TOKEN}"))
                });
                let body: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
                let error = |status: u16, message: &str| {
                    (status, json!({ "error": { "message": message, "code": status } }))
                };
                let (status, answer) = if !authorised {
                    error(401, "Invalid OAuth access token")
                } else if path != format!("/v21.0/{PHONE_NUMBER_ID}/messages") {
                    error(404, "Unknown path")
                } else if let Some(why) = misshapen(&body) {
                    error(400, why)
                } else if let Some((status, why)) = queue.lock().unwrap().pop_front() {
                    error(status, why)
                } else {
                    (
                        200,
                        json!({ "messaging_product": "whatsapp", "messages": [{ "id": "wamid.out" }] }),
                    )
                };
                log.lock().unwrap().push(Sent { body, status });
                let line = format!("{status} Answer");
                let _ = stream.write_all(response(&line, &answer.to_string()).as_bytes()).await;
            }
        });
        MockWhatsApp { base, sent, failures, task }
    }

    pub fn fail_next(&self, failures: &[(u16, &'static str)]) {
        self.failures.lock().unwrap().extend(failures);
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// The texts delivered (answered 200), in order.
    pub fn delivered(&self) -> Vec<String> {
        self.sent().iter().filter(|s| s.status == 200).map(Sent::text).collect()
    }

    /// Waits (up to 30 s) until a text containing `part` was delivered.
    pub async fn until_delivered(&self, part: &str) -> Vec<String> {
        for _ in 0..300 {
            let all = self.delivered();
            if all.iter().any(|t| t.contains(part)) {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("waited 30 s for “{part}”; delivered {:?}; all {:?}", self.delivered(), self.sent());
    }
}
