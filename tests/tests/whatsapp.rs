//! The takeover cycle on WhatsApp, against the real worker and a local Cloud API: Meta's
//! subscription handshake answers only our verify token; webhooks without a valid
//! `X-Hub-Signature-256` are refused and nothing is stored; a webhook sent again is stored
//! once; the AI answers with a reply button, the button brings a person, who replies under
//! their name; once the customer service window has closed (shortened here by
//! `CHANNEL_WINDOW_SECS`) a reply is refused and nothing is sent, until the customer writes
//! again.

use std::time::Duration;

use integration::whatsapp_mock::{APP_SECRET, MockWhatsApp, PHONE_NUMBER_ID, TOKEN, signature};
use integration::{Agent, Edge};
use reqwest::Method;
use serde_json::{Value, json};
use shared::protocol::{Author, ClientFrame, ErrorCode, ItemBody, ServerFrame};

const OWNER: &str = "own@t.test";
const CUSTOMER: &str = "15551234567";
const WINDOW_SECS: u64 = 6;

fn webhook(id: &str, message: Value) -> Value {
    let mut message = message;
    message["from"] = CUSTOMER.into();
    message["id"] = id.into();
    message["timestamp"] = "1700000000".into();
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "WABA", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550000000", "phone_number_id": PHONE_NUMBER_ID },
            "contacts": [{ "profile": { "name": "Wanda Lee" }, "wa_id": CUSTOMER }],
            "messages": [message],
        } }] }] })
}

fn text(id: &str, body: &str) -> Value {
    webhook(id, json!({ "type": "text", "text": { "body": body } }))
}

async fn post(edge: &Edge, site: &str, body: &Value, signature: Option<String>) -> u16 {
    let raw = body.to_string();
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/channels/whatsapp/{site}", edge.base))
        .header("Content-Type", "application/json")
        .body(raw);
    if let Some(s) = signature {
        req = req.header("X-Hub-Signature-256", s);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn signed(edge: &Edge, site: &str, body: &Value) -> u16 {
    post(edge, site, body, Some(signature(body.to_string().as_bytes()))).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_takeover_on_whatsapp_within_its_window() {
    let graph = MockWhatsApp::start().await;
    let edge = Edge::start_with(&[("CHANNEL_WINDOW_SECS", &WINDOW_SECS.to_string())]);
    let site = edge.site("wa", &[(OWNER, "Olga", "owner"), ("ana@t.test", "Ana", "responder")]);
    let owner = Agent::login(&edge, &site, OWNER).await;

    let connect = |number: &str| {
        json!({ "phone_number_id": number, "access_token": TOKEN, "app_secret": APP_SECRET,
                "api_base": graph.base })
    };
    let res =
        owner.request(Method::PUT, "/api/admin/channels/whatsapp", Some(connect("+1 555"))).await;
    assert_eq!(res.status(), 400, "the phone number itself is not its ID");
    let res = owner
        .request(Method::PUT, "/api/admin/channels/whatsapp", Some(connect(PHONE_NUMBER_ID)))
        .await;
    assert_eq!(res.status(), 200);
    let status: Value = res.json().await.unwrap();
    let wa = &status["whatsapp"];
    assert_eq!(wa["callback_url"], format!("{}/api/channels/whatsapp/{site}", edge.base));
    assert!(!status.to_string().contains(TOKEN) && !status.to_string().contains(APP_SECRET));
    let verify = wa["verify_token"].as_str().unwrap().to_owned();

    // Meta's handshake: only our verify token gets the challenge back.
    let handshake = |token: &str| {
        format!(
            "{}/api/channels/whatsapp/{site}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
            edge.base
        )
    };
    let wrong = reqwest::get(handshake("guess")).await.unwrap();
    assert_eq!(wrong.status(), 403);
    let right = reqwest::get(handshake(&verify)).await.unwrap();
    assert_eq!(right.status(), 200);
    assert_eq!(right.text().await.unwrap(), "1158201444");

    // Unsigned, wrongly signed, signed over another body: refused, nothing stored.
    let first = text("wamid.A1", "How long does shipping take?");
    assert_eq!(post(&edge, &site, &first, None).await, 401);
    assert_eq!(post(&edge, &site, &first, Some(format!("sha256={}", "0".repeat(64)))).await, 401);
    let other = signature(text("wamid.A1", "something else").to_string().as_bytes());
    assert_eq!(post(&edge, &site, &first, Some(other)).await, 401);
    let listed: Vec<Value> = owner.get("/api/admin/conversations").await.json().await.unwrap();
    assert!(listed.is_empty(), "nothing stored: {listed:?}");

    // Signed: stored once however often Meta retries, answered with the reply button.
    assert_eq!(signed(&edge, &site, &first).await, 200);
    assert_eq!(signed(&edge, &site, &first).await, 200);
    graph.until_delivered("3 to 5 business days").await;
    let answer = graph.sent().into_iter().find(|s| s.status == 200).unwrap();
    assert_eq!(answer.body["to"], CUSTOMER);
    assert_eq!(answer.body["interactive"]["action"]["buttons"][0]["reply"]["id"], "human");
    let mut id = None;
    for _ in 0..100 {
        let listed: Vec<Value> = owner.get("/api/admin/conversations").await.json().await.unwrap();
        if let Some(c) = listed.first() {
            assert_eq!(
                (c["channel"].as_str(), c["visitor_name"].as_str()),
                (Some("whatsapp"), Some("Wanda Lee"))
            );
            id = c["id"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = id.expect("the conversation is listed");
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let (mut socket, welcome) = ana.open(&id).await;
    let asked = welcome
        .backlog
        .iter()
        .filter(|i| matches!(&i.body, ItemBody::Message(m) if m.author == Author::Visitor))
        .count();
    assert_eq!(asked, 1, "Meta's retry is stored once");
    let visit = welcome.visit.clone().unwrap();
    assert_eq!(visit.reply_window_ms, Some(WINDOW_SECS as i64 * 1000));
    assert_eq!(visit.channel.unwrap().handle.as_deref(), Some("+15551234567"));

    // The button brings a person; Ana's reply carries her name.
    let button = webhook(
        "wamid.A2",
        json!({ "type": "interactive",
        "interactive": { "type": "button_reply", "button_reply": { "id": "human", "title": "Talk to a human" } } }),
    );
    assert_eq!(signed(&edge, &site, &button).await, 200);
    graph.until_delivered("Waiting for support agent").await;
    socket.send(&ClientFrame::Claim).await;
    graph.until_delivered("Ana joined the conversation").await;
    socket.send(&integration::say("a1", "Hi Wanda, on it.")).await;
    graph.until_delivered("Ana: Hi Wanda, on it.").await;

    // The window closes: a reply is refused with its reason, nothing is sent or stored.
    tokio::time::sleep(Duration::from_secs(WINDOW_SECS + 1)).await;
    let before = graph.sent().len();
    socket.send(&integration::say("a2", "Are you still there?")).await;
    let refusal = socket.error().await;
    assert_eq!((refusal.code, refusal.client_id.as_deref()), (ErrorCode::WindowClosed, Some("a2")));
    assert!(!refusal.retryable, "it waits for the customer, not for a retry");
    // Meta reports later that a message it had accepted could not be delivered: the team sees
    // why. A report about a number we have no conversation with starts none.
    let failed = |recipient: &str, id: &str| {
        json!({ "object": "whatsapp_business_account", "entry": [{ "id": "WABA",
        "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": { "phone_number_id": PHONE_NUMBER_ID },
            "statuses": [{ "id": id, "status": "failed", "timestamp": "1700000100", "recipient_id": recipient,
                "errors": [{ "code": 131047, "title": "Re-engagement message" }] }] } }] }] })
    };
    assert_eq!(signed(&edge, &site, &failed(CUSTOMER, "wamid.out1")).await, 200);
    assert_eq!(signed(&edge, &site, &failed("15550009999", "wamid.out2")).await, 200);
    socket
        .until("the failure shown", |f| matches!(integration::event(f), Some(shared::protocol::Event::ChannelUndelivered { error, .. }) if error.contains("131047")))
        .await;
    let listed: Vec<Value> = owner.get("/api/admin/conversations").await.json().await.unwrap();
    assert_eq!(listed.len(), 1, "no conversation for a report alone");

    // Meta sending an old message again, or a reaction, reopens nothing and is answered by
    // nothing.
    assert_eq!(signed(&edge, &site, &first).await, 200);
    let reaction = webhook(
        "wamid.R1",
        json!({ "type": "reaction", "reaction": { "message_id": "wamid.out", "emoji": "👍" } }),
    );
    assert_eq!(signed(&edge, &site, &reaction).await, 200);
    socket.send(&integration::say("a2b", "Hello?")).await;
    assert_eq!(socket.error().await.code, ErrorCode::WindowClosed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(graph.sent().len(), before, "nothing sent outside the window");

    // The customer writes again: the window reopens.
    assert_eq!(signed(&edge, &site, &text("wamid.A3", "Yes, still here")).await, 200);
    socket
        .until("the customer's words", |f| matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.text == "Yes, still here")))
        .await;
    socket.send(&integration::say("a3", "Great, it ships today.")).await;
    let delivered = graph.until_delivered("Ana: Great, it ships today.").await;
    assert!(!delivered.iter().any(|t| t.contains("Are you still there?")));

    // Handed back: the AI answers again.
    socket.send(&ClientFrame::HandBack { ask_rating: false }).await;
    graph.until_delivered("our assistant again").await;
    assert_eq!(signed(&edge, &site, &text("wamid.A4", "Do you ship internationally?")).await, 200);
    graph.until_delivered("ship to 40 countries").await;
}
