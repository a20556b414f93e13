//! The webhook engine against the owner's bot on loopback. Every call to the bot is verified
//! here by the third-party `standardwebhooks` crate with the site's own signing secret; the
//! bot answers in its response or later through the reply API, signed over method, path and
//! time (computed here from the documented string, not with the worker's code). Stale,
//! unsigned, replayed, cross-conversation and cross-site replies are refused.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use integration::llm_mock::{read_request, response};
use integration::receiver::header_map;
use integration::{Agent, Edge, Visitor, bot_text, demo_settings};
use reqwest::Method;
use sha2::Sha256;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// What a bot developer writes from the README: HMAC-SHA256 over
/// "takeover-bot-reply\nPOST\n{path}\n{timestamp}\n{body}" with the decoded `whsec_` key.
fn reply_signature(secret: &str, path: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("takeover-bot-reply\nPOST\n{path}\n{timestamp}\n{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// One call the bot received: whether each known secret verified it, and its body.
#[derive(Clone, Debug)]
struct Call {
    verified_by: Vec<bool>,
    headers: http::HeaderMap,
    raw: Vec<u8>,
    json: serde_json::Value,
}

/// The owner's bot: answers "sync" at once and everything else later (202).
struct OwnerBot {
    url: String,
    secrets: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Vec<Call>>>,
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
    let secrets = Arc::new(Mutex::new(Vec::<String>::new()));
    let (log, known) = (seen.clone(), secrets.clone());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let Some((head, body)) = read_request(&mut stream).await else { continue };
            let headers = header_map(&head);
            let verified_by = known
                .lock()
                .unwrap()
                .iter()
                .map(|s| standardwebhooks::Webhook::new(s).unwrap().verify(&body, &headers).is_ok())
                .collect();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let sync = json["text"].as_str().is_some_and(|t| t.contains("sync"));
            log.lock().unwrap().push(Call { verified_by, headers, raw: body, json });
            let answer = if sync {
                response("200 OK", r#"{"text":"Answered at once by the owner's bot."}"#)
            } else {
                response("202 Accepted", "")
            };
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    OwnerBot { url, secrets, seen, task }
}

impl OwnerBot {
    async fn calls(&self, n: usize) -> Vec<Call> {
        for _ in 0..200 {
            if self.seen.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        self.seen.lock().unwrap().clone()
    }
}

async fn post_reply(
    edge: &Edge,
    conversation: &str,
    body: &str,
    timestamp: i64,
    signature: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/bot/conversations/{conversation}/reply", edge.base))
        .header("Content-Type", "application/json")
        .header("X-Takeover-Timestamp", timestamp.to_string())
        .header("X-Takeover-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn signed_reply(
    edge: &Edge,
    secret: &str,
    conversation: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    let body = body.to_string();
    let path = format!("/api/bot/conversations/{conversation}/reply");
    let ts = now_secs();
    post_reply(edge, conversation, &body, ts, &reply_signature(secret, &path, ts, &body)).await
}

async fn new_secret(owner: &Agent) -> String {
    let res = owner.request(Method::POST, "/api/admin/secrets/webhook", None).await;
    assert_eq!(res.status(), 200);
    let created: serde_json::Value = res.json().await.unwrap();
    created["secret"].as_str().unwrap().to_owned()
}

fn hooked(url: &str) -> String {
    demo_settings(|s| s["engine"] = serde_json::json!({ "kind": "webhook", "url": url }))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owners_bot_answers_in_its_response_or_later_through_the_api() {
    let bot = owner_bot().await;
    let edge = Edge::start();
    let site = edge.site_with("hooked", &hooked(&bot.url), &[("own@t.test", "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let secret = new_secret(&owner).await;
    bot.secrets.lock().unwrap().push(secret.clone());
    let mut visitor = Visitor::join(&edge, &site).await;

    visitor.say("v1", "please answer in sync").await;
    let f = visitor.socket.until("the answer in the response", |f| bot_text(f).is_some()).await;
    assert_eq!(bot_text(&f), Some("Answered at once by the owner's bot."));

    let turn = visitor.say("v2", "what about my order?").await;
    let seen = bot.calls(2).await;
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter().all(|c| c.verified_by == [true]),
        "every call verifies with standardwebhooks"
    );
    assert_ne!(seen[0].headers["webhook-id"], seen[1].headers["webhook-id"]);
    let asked = &seen[1].json;
    assert_eq!(asked["conversation_id"], visitor.conversation_id.as_str());
    assert_eq!(asked["turn"], turn);
    assert_eq!(asked["text"], "what about my order?");
    assert_eq!(asked["conversation"].as_array().unwrap().len(), 3);

    let answer = serde_json::json!({ "turn": turn, "text": "It ships tomorrow." });
    let unsigned =
        post_reply(&edge, &visitor.conversation_id, &answer.to_string(), now_secs(), "v1,AAAA")
            .await;
    assert_eq!(integration::refusal(unsigned).await, (401, "bad_signature".into()));
    let stored = signed_reply(&edge, &secret, &visitor.conversation_id, &answer).await;
    assert_eq!(stored.status(), 200);
    let f = visitor.socket.until("the later answer", |f| bot_text(f).is_some()).await;
    assert_eq!(bot_text(&f), Some("It ships tomorrow."));

    // The same turn again is no longer the AI's to answer.
    let again = signed_reply(&edge, &secret, &visitor.conversation_id, &answer).await;
    assert_eq!(integration::refusal(again).await, (409, "stale_turn".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn captured_or_misdirected_signatures_are_refused_and_store_nothing() {
    let bot = owner_bot().await;
    let edge = Edge::start();
    let site = edge.site_with("hooked2", &hooked(&bot.url), &[("own@t.test", "Olga", "owner")]);
    let other = edge.site_with("hooked3", &hooked(&bot.url), &[("o3@t.test", "Oz", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let secret = new_secret(&owner).await;
    let other_owner = Agent::login(&edge, &other, "o3@t.test").await;
    let other_secret = new_secret(&other_owner).await;
    bot.secrets.lock().unwrap().push(secret.clone());

    let mut visitor = Visitor::join(&edge, &site).await;
    let turn = visitor.say("v1", "where is my parcel?").await;
    let mut neighbour = Visitor::join(&edge, &site).await;
    let neighbour_turn = neighbour.say("n1", "and mine?").await;
    let call = bot
        .calls(2)
        .await
        .into_iter()
        .find(|c| c.json["conversation_id"] == visitor.conversation_id.as_str())
        .expect("the bot was asked about the visitor's message");
    let before = integration::history(&edge, &visitor).await;

    // 1. Our own signed call to the bot, replayed at the reply API: its body, id, time and
    //    signature verbatim (the signature of a call never verifies as a reply).
    let ts: i64 = call.headers["webhook-timestamp"].to_str().unwrap().parse().unwrap();
    let sig = call.headers["webhook-signature"].to_str().unwrap().to_owned();
    let raw = String::from_utf8(call.raw.clone()).unwrap();
    let replayed = post_reply(&edge, &visitor.conversation_id, &raw, ts, &sig).await;
    assert_eq!(integration::refusal(replayed).await, (401, "bad_signature".into()));

    // 2. A valid reply for one conversation sent to another: the path is signed.
    let body = serde_json::json!({ "turn": neighbour_turn, "text": "Rerouted" }).to_string();
    let path = format!("/api/bot/conversations/{}/reply", visitor.conversation_id);
    let sig = reply_signature(&secret, &path, now_secs(), &body);
    let moved = post_reply(&edge, &neighbour.conversation_id, &body, now_secs(), &sig).await;
    assert_eq!(integration::refusal(moved).await, (401, "bad_signature".into()));

    // 3. Another site's secret.
    let answer = serde_json::json!({ "turn": turn, "text": "From the wrong site" });
    let foreign = signed_reply(&edge, &other_secret, &visitor.conversation_id, &answer).await;
    assert_eq!(integration::refusal(foreign).await, (401, "bad_signature".into()));

    // 4. Too old, and from the future: half a minute past the 5-minute window, as whole
    //    seconds on two clocks a busy second apart would make 301 s in the future 300 s
    //    (inside) by the worker's clock. (The exact boundary is `shared::signing`'s test.)
    let body = answer.to_string();
    let path = format!("/api/bot/conversations/{}/reply", visitor.conversation_id);
    for ts in [now_secs() - 330, now_secs() + 330] {
        let sig = reply_signature(&secret, &path, ts, &body);
        let stale = post_reply(&edge, &visitor.conversation_id, &body, ts, &sig).await;
        assert_eq!(
            integration::refusal(stale).await,
            (401, "bad_signature".into()),
            "timestamp {ts}"
        );
    }

    // 5. A signed body that changed on the way.
    let sig = reply_signature(&secret, &path, now_secs(), &body);
    let tampered = body.replace("wrong site", "right site");
    let changed = post_reply(&edge, &visitor.conversation_id, &tampered, now_secs(), &sig).await;
    assert_eq!(integration::refusal(changed).await, (401, "bad_signature".into()));

    // 6. Oversize, and not JSON once signed.
    let huge = "x".repeat(70 * 1024);
    let sig = reply_signature(&secret, &path, now_secs(), &huge);
    let big = post_reply(&edge, &visitor.conversation_id, &huge, now_secs(), &sig).await;
    assert_eq!(big.status(), 413);
    let sig = reply_signature(&secret, &path, now_secs(), "{not json");
    let junk = post_reply(&edge, &visitor.conversation_id, "{not json", now_secs(), &sig).await;
    assert_eq!(integration::refusal(junk).await, (400, "malformed_body".into()));

    assert_eq!(integration::history(&edge, &visitor).await, before, "nothing was stored");
    drop(neighbour);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_keeps_the_old_secret_valid_and_a_site_without_the_bot_refuses_replies() {
    let bot = owner_bot().await;
    let edge = Edge::start();
    let site = edge.site_with("rotating", &hooked(&bot.url), &[("own@t.test", "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let old = new_secret(&owner).await;
    let new = new_secret(&owner).await;
    assert_ne!(old, new);
    bot.secrets.lock().unwrap().extend([old.clone(), new.clone()]);
    let status: serde_json::Value = owner.get("/api/admin/secrets").await.json().await.unwrap();
    assert!(status["webhook"]["hint"].as_str().unwrap().starts_with("whsec_…"));
    assert!(status["webhook_previous"]["expires_at"].is_i64(), "{status}");
    assert!(!status.to_string().contains(&new[8..]), "the secret is never shown again");

    let mut visitor = Visitor::join(&edge, &site).await;
    let turn = visitor.say("v1", "hello there").await;
    let call = bot.calls(1).await[0].clone();
    assert_eq!(call.verified_by, [true, true], "signed with both while the rotation runs");
    assert_eq!(call.headers["webhook-signature"].to_str().unwrap().matches("v1,").count(), 2);

    // A bot still on the old secret is heard.
    let answer = serde_json::json!({ "turn": turn, "text": "Signed with the old secret" });
    let res = signed_reply(&edge, &old, &visitor.conversation_id, &answer).await;
    assert_eq!(res.status(), 200);
    visitor.socket.until("the answer", |f| bot_text(f).is_some()).await;

    // Once the site answers with the FAQ again, replies through the API are refused.
    let faq = integration::demo_settings(|_| {});
    let res = owner
        .request(Method::PUT, "/api/admin/settings", Some(serde_json::from_str(&faq).unwrap()))
        .await;
    assert_eq!(res.status(), 200);
    let turn = visitor.say("v2", "Do you ship abroad?").await;
    let late = serde_json::json!({ "turn": turn, "text": "Bot is not the engine any more" });
    let res = signed_reply(&edge, &new, &visitor.conversation_id, &late).await;
    assert_eq!(integration::refusal(res).await, (409, "not_webhook_engine".into()));
}
