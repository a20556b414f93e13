//! A local Telegram Bot API on loopback, as much of it as the channel uses: `getMe`,
//! `setWebhook`, `deleteWebhook`, `sendMessage`, `answerCallbackQuery`. It takes only its own
//! token in the path (`/bot{TOKEN}/{method}`), checks each body against the documented shape,
//! records every call, and answers with the failures it is told to, in order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::llm_mock::{read_request, response};

/// The bot token the mock accepts.
pub const TOKEN: &str = "123456789:AAHtestTokenForTheLocalBotApi_0123";
pub const BOT: &str = "takeover_test_bot";

/// One call received.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub body: Value,
    /// The status it was answered with.
    pub status: u16,
}

pub struct MockTelegram {
    pub base: String,
    calls: Arc<Mutex<Vec<Call>>>,
    failures: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockTelegram {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What is wrong with a call's body, if anything (the Bot API's documented parameters).
fn misshapen(method: &str, body: &Value) -> Option<String> {
    let text = |k: &str| body[k].as_str().is_some_and(|s| !s.is_empty());
    match method {
        "getMe" | "deleteWebhook" => None,
        "setWebhook" => {
            let secret = body["secret_token"].as_str().unwrap_or("");
            let secret_ok = (1..=256).contains(&secret.len())
                && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            (!text("url") || !secret_ok).then(|| "Bad Request: url and secret_token".into())
        }
        "sendMessage" => {
            let chat = body["chat_id"].is_string() || body["chat_id"].is_i64();
            let len = body["text"].as_str().map_or(0, |t| t.chars().count());
            let markup = body.get("reply_markup").is_none_or(|m| m["inline_keyboard"].is_array());
            (!chat || !(1..=4096).contains(&len) || !markup)
                .then(|| "Bad Request: chat_id, text (1-4096) and reply_markup".into())
        }
        "answerCallbackQuery" => {
            (!text("callback_query_id")).then(|| "Bad Request: callback_query_id".into())
        }
        _ => Some("Not Found: method not found".into()),
    }
}

impl MockTelegram {
    pub async fn start() -> MockTelegram {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the mock Bot API");
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(VecDeque::new()));
        let (log, queue) = (calls.clone(), failures.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let Some((head, body)) = read_request(&mut stream).await else { continue };
                let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                let body: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
                let prefix = format!("/bot{TOKEN}/");
                let (status, answer) = match path.strip_prefix(&prefix) {
                    None => (
                        401,
                        json!({ "ok": false, "error_code": 401, "description": "Unauthorized" }),
                    ),
                    Some(method) => {
                        let told = if method == "sendMessage" {
                            queue.lock().unwrap().pop_front()
                        } else {
                            None
                        };
                        match (told, misshapen(method, &body)) {
                            (_, Some(why)) => {
                                (400, json!({ "ok": false, "error_code": 400, "description": why }))
                            }
                            (Some((status, why)), None) => (
                                status,
                                json!({ "ok": false, "error_code": status, "description": why }),
                            ),
                            (None, None) => {
                                let result = match method {
                                    "getMe" => {
                                        json!({ "id": 123456789, "is_bot": true, "username": BOT })
                                    }
                                    "sendMessage" => {
                                        json!({ "message_id": log.lock().unwrap().len() + 1 })
                                    }
                                    _ => json!(true),
                                };
                                (200, json!({ "ok": true, "result": result }))
                            }
                        }
                    }
                };
                let method = path.rsplit('/').next().unwrap_or("").to_owned();
                log.lock().unwrap().push(Call { method, body, status });
                let line = format!("{status} Answer");
                let _ = stream.write_all(response(&line, &answer.to_string()).as_bytes()).await;
            }
        });
        MockTelegram { base, calls, failures, task }
    }

    /// The next `sendMessage` calls fail with these statuses and descriptions.
    pub fn fail_next(&self, failures: &[(u16, &'static str)]) {
        self.failures.lock().unwrap().extend(failures);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The texts sent to `chat`, answered with 200, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<String> {
        self.calls()
            .iter()
            .filter(|c| c.method == "sendMessage" && c.status == 200)
            .filter(|c| {
                c.body["chat_id"] == json!(chat.to_string()) || c.body["chat_id"] == json!(chat)
            })
            .map(|c| c.body["text"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// Waits (up to 30 s) until a text containing `part` was sent to `chat`; all sent to it.
    pub async fn until_sent(&self, chat: i64, part: &str) -> Vec<String> {
        for _ in 0..300 {
            let sent = self.sent_to(chat);
            if sent.iter().any(|t| t.contains(part)) {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("waited 30 s for “{part}” to chat {chat}; sent {:?}", self.sent_to(chat));
    }
}
