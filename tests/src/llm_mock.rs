//! A local OpenAI-compatible chat-completions server on loopback, for the LLM engine's tests.
//! What it answers depends on the visitor's last message: "slow" never answers in time,
//! "garbage" streams nonsense, "error" fails with 500, "person" calls the handover tool, and
//! anything else streams a three-part answer. Asked to write a ticket, it names the language
//! it was asked to write in: subject "Subject (LANG)".

use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::llm::{HANDOVER_TOOL, TICKET_TOOL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The deployment's `LLM_API_KEY` in every test worker.
pub const KEY: &str = "test-key";
/// A site's own model key, which the mock accepts too.
pub const SITE_KEY: &str = "site-own-key-1234";

pub struct MockLlm {
    pub base_url: String,
    /// Every request body received, in order.
    pub seen: Arc<Mutex<Vec<serde_json::Value>>>,
    /// The `Authorization` header of every request, in order (`None` when absent).
    pub keys: Arc<Mutex<Vec<Option<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockLlm {
    pub async fn start() -> MockLlm {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the mock model");
        let port = listener.local_addr().expect("mock address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keys = Arc::new(Mutex::new(Vec::new()));
        let (log, key_log) = (seen.clone(), keys.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, log.clone(), key_log.clone()));
            }
        });
        MockLlm { base_url: format!("http://127.0.0.1:{port}/v1"), seen, keys, task }
    }
}

/// A whole HTTP/1.1 response that closes the connection; JSON when there is a body.
pub fn response(status: &str, json_body: &str) -> String {
    let kind = if json_body.is_empty() { "" } else { "Content-Type: application/json\r\n" };
    let length = json_body.len();
    format!(
        "HTTP/1.1 {status}\r\n{kind}Content-Length: {length}\r\nConnection: close\r\n\r\n{json_body}"
    )
}

/// One HTTP/1.1 request: its head and body.
pub async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((head, buf[head_end..].to_vec()))
}

fn event(value: serde_json::Value) -> String {
    format!("data: {value}\n\n")
}

fn content(text: &str) -> String {
    event(serde_json::json!({ "choices": [{ "index": 0, "delta": { "content": text } }] }))
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<serde_json::Value>>>,
    keys: Arc<Mutex<Vec<Option<String>>>>,
) {
    let Some((head, body)) = read_request(&mut stream).await else { return };
    let auth = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case("authorization").then(|| v.trim().to_owned())
    });
    keys.lock().expect("mock log").push(auth.clone());
    let authorised =
        [KEY, SITE_KEY].iter().any(|k| auth.as_deref() == Some(&format!("Bearer {k}")));
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    seen.lock().expect("mock log").push(body.clone());
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_lowercase();
    if !authorised || last.contains("error") {
        let status = if authorised { "500 Internal Server Error" } else { "401 Unauthorized" };
        let _ = stream.write_all(response(status, "").as_bytes()).await;
        return;
    }
    if body["tools"][0]["function"]["name"] == TICKET_TOOL {
        let _ = stream.write_all(ticket_answer(&body).as_bytes()).await;
        return;
    }
    if body["stream"] == false {
        let _ = stream.write_all(assist_answer(&body, &last).await.as_bytes()).await;
        return;
    }
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let events: Vec<String> = if last.contains("slow") {
        tokio::time::sleep(Duration::from_secs(5)).await;
        vec![content("Too late."), "data: [DONE]\n\n".into()]
    } else if last.contains("garbage") {
        vec!["data: {this is not json\n\n".into()]
    } else if last.contains("person") {
        let call = |args: &str, name: Option<&str>| {
            let mut f = serde_json::json!({ "arguments": args });
            if let Some(n) = name {
                f["name"] = n.into();
            }
            event(
                serde_json::json!({ "choices": [{ "index": 0, "delta": { "tool_calls": [{ "index": 0, "id": "call_1", "type": "function", "function": f }] } }] }),
            )
        };
        vec![
            call("{\"reason\":\"The visitor ", Some(HANDOVER_TOOL)),
            call("wants a person\"}", None),
            event(
                serde_json::json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": "tool_calls" }] }),
            ),
            "data: [DONE]\n\n".into(),
        ]
    } else {
        let usage = serde_json::json!({
            "choices": [],
            "usage": { "prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42 }
        });
        vec![
            content("Our store "),
            content("opens at 9 "),
            content("every day."),
            event(usage),
            "data: [DONE]\n\n".into(),
        ]
    };
    for e in events {
        if stream.write_all(e.as_bytes()).await.is_err() {
            return;
        }
        let _ = stream.flush().await;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let _ = stream.shutdown().await;
}

/// A non-streamed draft for a teammate, saying what it was asked: "Improved: DRAFT",
/// "[LANG] DRAFT" for a translation, "Suggested: …" naming the conversation's last message.
/// A last message with "slow" answers too late, "garbage" is not JSON, "empty" has no text.
async fn assist_answer(body: &serde_json::Value, last: &str) -> String {
    if last.contains("slow") {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    if last.contains("garbage") {
        return response("200 OK", "{this is not json");
    }
    let system = body["messages"][0]["content"].as_str().unwrap_or("");
    let said = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let text = if last.contains("empty") {
        "  ".to_owned()
    } else if system.contains("Rewrite it clearer") {
        format!("Improved: {said}")
    } else if system.contains("You translate") {
        let lang = system
            .split("ISO 639-1 code ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphabetic()).next())
            .unwrap_or("unknown");
        format!("[{lang}] {said}")
    } else {
        format!("Suggested: about “{said}”")
    };
    let answer = serde_json::json!({ "choices": [{ "index": 0, "message": { "role": "assistant", "content": text } }] });
    response("200 OK", &answer.to_string())
}

/// A non-streamed answer calling the ticket tool, in the language the request asked for.
fn ticket_answer(body: &serde_json::Value) -> String {
    let system = body["messages"][0]["content"].as_str().unwrap_or("");
    let lang = system
        .split("ISO 639-1 code ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphabetic()).next())
        .unwrap_or("unknown");
    let args = serde_json::json!({ "subject": format!("Subject ({lang})"), "summary": "Summary by the model." });
    let answer = serde_json::json!({ "choices": [{ "index": 0, "message": { "role": "assistant",
        "tool_calls": [{ "id": "call_t", "type": "function",
            "function": { "name": TICKET_TOOL, "arguments": args.to_string() } }] } }] })
    .to_string();
    response("200 OK", &answer)
}
