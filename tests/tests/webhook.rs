//! The webhook engine against the owner's bot on loopback: every visitor message arrives
//! signed, the bot answers in its response or later through the signed reply API, and stale
//! or unsigned replies are refused.

use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use integration::llm_mock::{read_request, response};
use integration::{Edge, Visitor, WEBHOOK_SECRET, bot_text, demo_settings};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

fn signature(timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The owner's bot: checks each signature, answers "sync" at once and everything else later.
struct OwnerBot {
    url: String,
    seen: Arc<Mutex<Vec<(bool, serde_json::Value)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OwnerBot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn owner_bot() -> OwnerBot {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let Some((head, body)) = read_request(&mut stream).await else { continue };
            let timestamp = header(&head, "x-takeover-timestamp").unwrap_or("");
            let signed =
                header(&head, "x-takeover-signature") == Some(&signature(timestamp, &body));
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let sync = json["text"].as_str().is_some_and(|t| t.contains("sync"));
            log.lock().unwrap().push((signed, json));
            let answer = if sync {
                response("200 OK", r#"{"text":"Answered at once by the owner's bot."}"#)
            } else {
                response("202 Accepted", "")
            };
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    OwnerBot { url, seen, task }
}

async fn reply(
    edge: &Edge,
    conversation: &str,
    body: &serde_json::Value,
    sign: bool,
) -> reqwest::Response {
    let body = body.to_string();
    let timestamp =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
            .to_string();
    let signed = if sign { signature(&timestamp, body.as_bytes()) } else { "sha256=00".into() };
    reqwest::Client::new()
        .post(format!("{}/api/bot/conversations/{conversation}/reply", edge.base))
        .header("Content-Type", "application/json")
        .header("X-Takeover-Timestamp", timestamp)
        .header("X-Takeover-Signature", signed)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owners_bot_answers_in_its_response_or_later_through_the_api() {
    let bot = owner_bot().await;
    let edge = Edge::start();
    let settings =
        demo_settings(|s| s["engine"] = serde_json::json!({ "kind": "webhook", "url": bot.url }));
    let site = edge.site_with("hooked", &settings, &[("own@t.test", "Olga", "owner")]);
    let mut visitor = Visitor::join(&edge, &site).await;

    visitor.say("v1", "please answer in sync").await;
    let f = visitor.socket.until("the answer in the response", |f| bot_text(f).is_some()).await;
    assert_eq!(bot_text(&f), Some("Answered at once by the owner's bot."));

    let turn = visitor.say("v2", "what about my order?").await;
    // Wait until the bot has been asked, then answer through the API.
    for _ in 0..100 {
        if bot.seen.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = bot.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|(signed, _)| *signed), "every webhook call is signed");
    let (_, asked) = &seen[1];
    assert_eq!(asked["conversation_id"], visitor.conversation_id.as_str());
    assert_eq!(asked["turn"], turn);
    assert_eq!(asked["text"], "what about my order?");
    assert_eq!(asked["conversation"].as_array().unwrap().len(), 3);

    let answer = serde_json::json!({ "turn": turn, "text": "It ships tomorrow." });
    let unsigned = reply(&edge, &visitor.conversation_id, &answer, false).await;
    assert_eq!(unsigned.status(), 401);
    let stored = reply(&edge, &visitor.conversation_id, &answer, true).await;
    assert_eq!(stored.status(), 200);
    let f = visitor.socket.until("the later answer", |f| bot_text(f).is_some()).await;
    assert_eq!(bot_text(&f), Some("It ships tomorrow."));

    // The same turn again is no longer the AI's to answer.
    let again = reply(&edge, &visitor.conversation_id, &answer, true).await;
    assert_eq!(again.status(), 409);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap()["code"], "stale_turn");
}
