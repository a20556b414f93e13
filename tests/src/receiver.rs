//! A local HTTP endpoint for the webhooks' tests: records every request (head, headers, body)
//! and answers with the statuses it is told, in order (200 once they run out).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::llm_mock::{read_request, response};

/// A request's headers as the `standardwebhooks` crate takes them.
pub fn header_map(head: &str) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for line in head.lines().skip(1) {
        if let Some((k, v)) = line.split_once(':')
            && let (Ok(k), Ok(v)) =
                (http::HeaderName::from_bytes(k.trim().as_bytes()), v.trim().parse())
        {
            map.append(k, v);
        }
    }
    map
}

/// One request received.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    pub json: serde_json::Value,
    /// The status it was answered with.
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    /// Whether `secret` verifies this request, by the third-party `standardwebhooks` crate.
    pub fn verifies_with(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret)
            .is_ok_and(|w| w.verify(&self.body, &self.headers).is_ok())
    }
}

pub struct Receiver {
    pub url: String,
    answers: Arc<Mutex<VecDeque<u16>>>,
    seen: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().unwrap().port());
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (queue, log) = (answers.clone(), seen.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let Some((head, body)) = read_request(&mut stream).await else { continue };
                let status = queue.lock().unwrap().pop_front().unwrap_or(200);
                let json = serde_json::from_slice(&body).unwrap_or_default();
                let headers = header_map(&head);
                log.lock().unwrap().push(Received { headers, body, json, answered: status });
                let line = format!("{status} Answer");
                let _ = stream.write_all(response(&line, "").as_bytes()).await;
            }
        });
        Receiver { url, answers, seen, task }
    }

    /// The next requests are answered with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until what was received satisfies `done`.
    pub async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..300 {
            let seen = self.seen();
            if done(&seen) {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let types: Vec<String> = self.seen().iter().map(|r| r.json["type"].to_string()).collect();
        panic!("waited 30 s for {what}; received {types:?}");
    }
}
