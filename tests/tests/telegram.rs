//! The takeover cycle on Telegram, against the real worker and a local Bot API: connecting a
//! bot registers its webhook with a secret; updates without that secret are refused and
//! nothing is stored; a message sent again is stored once; the AI answers in the chat, the
//! visitor asks for a person with /human, an agent claims and replies under their name, hands
//! back, and the AI answers again; a photo gets a polite reply; a reply Telegram fails is
//! retried, and one refused for good is shown to the team.

use integration::receiver::Receiver;
use integration::telegram_mock::{BOT, MockTelegram, TOKEN};
use integration::{Agent, Edge, demo_settings, event};
use reqwest::Method;
use serde_json::{Value, json};
use shared::protocol::{ClientFrame, Event, ItemBody};

const OWNER: &str = "own@t.test";
const CHAT: i64 = 5_550_001;

struct Bot<'a> {
    edge: &'a Edge,
    site: String,
    secret: String,
    next_id: i64,
}

impl Bot<'_> {
    /// Posts an update as Telegram would, with `secret` in its header.
    async fn post(&self, secret: &str, update: &Value) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/api/channels/telegram/{}", self.edge.base, self.site))
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(update)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    fn message(&mut self, fields: Value) -> Value {
        self.next_id += 1;
        let mut message = json!({
            "message_id": self.next_id,
            "date": 1_700_000_000,
            "chat": { "id": CHAT, "type": "private", "first_name": "Tara" },
            "from": { "id": CHAT, "is_bot": false, "first_name": "Tara", "last_name": "Quinn",
                      "username": "tara_q" },
        });
        for (k, v) in fields.as_object().unwrap() {
            message[k] = v.clone();
        }
        json!({ "update_id": 9000 + self.next_id, "message": message })
    }

    async fn say(&mut self, text: &str) -> Value {
        let update = self.message(json!({ "text": text }));
        assert_eq!(self.post(&self.secret.clone(), &update).await, 200, "{text}");
        update
    }
}

/// Connects the mock's bot to `site` as its owner; the bot Telegram would then drive.
async fn connected<'a>(
    edge: &'a Edge,
    site: &str,
    owner: &Agent,
    telegram: &MockTelegram,
) -> Bot<'a> {
    let connect = json!({ "token": TOKEN, "api_base": telegram.base });
    let res = owner.request(Method::PUT, "/api/admin/channels/telegram", Some(connect)).await;
    assert_eq!(res.status(), 200);
    let hook = telegram.calls().into_iter().rev().find(|c| c.method == "setWebhook").unwrap();
    let secret = hook.body["secret_token"].as_str().unwrap().to_owned();
    Bot { edge, site: site.to_owned(), secret, next_id: 100 }
}

async fn conversations(agent: &Agent) -> Vec<Value> {
    agent.get("/api/admin/conversations").await.json().await.unwrap()
}

/// The inbox once the conversation's report has reached it (at the site's pace).
async fn listed(agent: &Agent) -> Vec<Value> {
    for _ in 0..100 {
        let all = conversations(agent).await;
        if !all.is_empty() {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the conversation was never listed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_takeover_cycle_on_telegram() {
    let telegram = MockTelegram::start().await;
    let edge = Edge::start();
    let site = edge.site("tg", &[(OWNER, "Olga", "owner"), ("ana@t.test", "Ana", "responder")]);
    let owner = Agent::login(&edge, &site, OWNER).await;

    // Connecting: a malformed token and one Telegram refuses change nothing.
    let connect = |token: &str| json!({ "token": token, "api_base": telegram.base });
    let res =
        owner.request(Method::PUT, "/api/admin/channels/telegram", Some(connect("nope"))).await;
    assert_eq!(res.status(), 400);
    let refused = "987:AAHsomeoneElsesTokenThatTelegramRefuses";
    let res =
        owner.request(Method::PUT, "/api/admin/channels/telegram", Some(connect(refused))).await;
    assert_eq!(res.status(), 502);
    let status: Value = owner.get("/api/admin/channels").await.json().await.unwrap();
    assert_eq!(status["telegram"], Value::Null, "{status}");
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let res = ana.request(Method::PUT, "/api/admin/channels/telegram", Some(connect(TOKEN))).await;
    assert_eq!(res.status(), 403, "a responder connects nothing");

    let res =
        owner.request(Method::PUT, "/api/admin/channels/telegram", Some(connect(TOKEN))).await;
    assert_eq!(res.status(), 200);
    let status: Value = res.json().await.unwrap();
    assert_eq!(status["telegram"]["bot"], format!("@{BOT}"));
    assert!(!status.to_string().contains(TOKEN), "the token never comes back: {status}");
    let hook = telegram.calls().into_iter().find(|c| c.method == "setWebhook").unwrap();
    let url = format!("{}/api/channels/telegram/{site}", edge.base);
    assert_eq!(hook.body["url"], url);
    assert_eq!(status["telegram"]["webhook_url"], url);
    let secret = hook.body["secret_token"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32, "a secret worth the name: {secret}");
    let mut bot = Bot { edge: &edge, site: site.clone(), secret, next_id: 100 };
    // The site's own servers hear of the escalation, named with its channel.
    let hooks = Receiver::start().await;
    let endpoint = json!({ "url": hooks.url, "events": ["conversation.escalated"] });
    assert_eq!(owner.request(Method::POST, "/api/admin/hooks", Some(endpoint)).await.status(), 201);

    // Forged updates: no secret, a wrong one; and a body that is no update.
    let update = bot.message(json!({ "text": "How long does shipping take?" }));
    assert_eq!(bot.post("wrong-secret", &update).await, 401);
    let missing = reqwest::Client::new()
        .post(format!("{}/api/channels/telegram/{site}", edge.base))
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(bot.post(&bot.secret.clone(), &json!([1, 2])).await, 400);
    assert!(conversations(&owner).await.is_empty(), "nothing stored for a refused update");

    // The AI answers from the FAQ, with the button to ask for a person; Telegram's retry of
    // the same update is stored once.
    assert_eq!(bot.post(&bot.secret.clone(), &update).await, 200);
    assert_eq!(bot.post(&bot.secret.clone(), &update).await, 200);
    let sent = telegram.until_sent(CHAT, "3 to 5 business days").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let answer = telegram.calls().into_iter().find(|c| c.method == "sendMessage").unwrap();
    assert_eq!(answer.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "human");
    let listed = listed(&owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["channel"], "telegram");
    assert_eq!(listed[0]["visitor_name"], "Tara Quinn");
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let (mut socket, welcome) = ana.open(&id).await;
    let visitor_messages = welcome
        .backlog
        .iter()
        .filter(|i| matches!(&i.body, ItemBody::Message(m) if m.author == shared::protocol::Author::Visitor))
        .count();
    assert_eq!(visitor_messages, 1, "the retried update is stored once");
    let peer = welcome.visit.as_ref().and_then(|v| v.channel.clone()).expect("the channel");
    assert_eq!((peer.handle.as_deref(), peer.address.as_str()), (Some("@tara_q"), "5550001"));

    // A photo: a polite reply, and a line for the team.
    let photo = bot.message(json!({ "photo": [{ "file_id": "x", "width": 1, "height": 1 }] }));
    assert_eq!(bot.post(&bot.secret.clone(), &photo).await, 200);
    telegram.until_sent(CHAT, "only read text").await;
    socket
        .until("the unsupported line", |f| matches!(event(f), Some(Event::ChannelUnsupported { what, .. }) if what == "a photo"))
        .await;

    // The visitor asks for a person; Ana claims and replies under her name.
    bot.say("/human").await;
    telegram.until_sent(CHAT, "Waiting for support agent").await;
    let heard = hooks.until("the escalation", |r| !r.is_empty()).await;
    assert_eq!(heard[0].json["conversation"]["channel"], "telegram", "{}", heard[0].json);
    let mail = edge.mail_until("the owner's mail", |m| m.iter().any(|m| m.is_to(OWNER))).await;
    let mail = mail.iter().find(|m| m.is_to(OWNER)).unwrap();
    assert!(mail.text.contains("Writes from: Telegram @tara_q"), "{}", mail.text);
    socket.send(&ClientFrame::Claim).await;
    telegram.until_sent(CHAT, "Ana joined the conversation").await;
    socket.send(&integration::say("a1", "Hi Tara, let me check your parcel.")).await;
    telegram.until_sent(CHAT, "Ana: Hi Tara, let me check your parcel.").await;
    bot.say("Thanks!").await;
    socket
        .until("the visitor's words", |f| matches!(f, shared::protocol::ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.text == "Thanks!")))
        .await;

    // A reply Telegram fails twice is sent on the third try; one refused for good is shown.
    telegram.fail_next(&[(502, "Bad Gateway"), (429, "Too Many Requests: retry after 1")]);
    socket.send(&integration::say("a2", "Found it: it arrives tomorrow.")).await;
    socket.send(&integration::say("a2b", "It comes by courier.")).await;
    let sent = telegram.until_sent(CHAT, "It comes by courier").await;
    let at = |part: &str| sent.iter().position(|t| t.contains(part));
    assert!(at("Ana: Found it") < at("courier"), "a retried line keeps its place: {sent:?}");
    telegram.fail_next(&[(403, "Forbidden: bot was blocked by the user")]);
    socket.send(&integration::say("a3", "Anything else?")).await;
    socket
        .until("the undelivered line", |f| matches!(event(f), Some(Event::ChannelUndelivered { error, .. }) if error.contains("blocked")))
        .await;

    // Handed back: the AI answers again, in order after the team's lines.
    socket.send(&ClientFrame::HandBack { ask_rating: false }).await;
    telegram.until_sent(CHAT, "our assistant again").await;
    bot.say("Do you ship internationally?").await;
    let sent = telegram.until_sent(CHAT, "ship to").await;
    let at = |part: &str| sent.iter().position(|t| t.contains(part)).unwrap();
    assert!(
        at("Ana joined") < at("Ana: Found it") && at("Ana: Found it") < at("our assistant again")
    );
    assert!(!sent.iter().any(|t| t.contains("Anything else?")), "refused for good: {sent:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_to_answer_a_message_is_left_in_two_steps() {
    let telegram = MockTelegram::start().await;
    let edge = Edge::start();
    // The site's default when nobody can answer (no console is open here): leave a message.
    let settings = demo_settings(|s| s["takeover"] = json!({}));
    let site = edge.site_with("tgform", &settings, &[(OWNER, "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, OWNER).await;
    let mut bot = connected(&edge, &site, &owner, &telegram).await;

    bot.say("/human").await;
    telegram.until_sent(CHAT, "First, an email address").await;
    // A question instead of an address: the exchange ends and the AI answers it.
    bot.say("How long does shipping take?").await;
    telegram.until_sent(CHAT, "3 to 5 business days").await;
    bot.say("/human").await;
    for _ in 0..300 {
        let asked = telegram.sent_to(CHAT).iter().filter(|t| t.contains("First, an email")).count();
        if asked == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    bot.say("tara@").await;
    telegram.until_sent(CHAT, "doesn't look like an email").await;
    bot.say("tara@example.com").await;
    telegram.until_sent(CHAT, "Now your message for the team").await;
    bot.say("Please call me about order 88, it came broken.").await;
    telegram.until_sent(CHAT, "your message is with the team").await;

    let mut listed = listed(&owner).await;
    for _ in 0..100 {
        if listed[0]["phase"] == "escalated" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        listed = conversations(&owner).await;
    }
    assert_eq!(listed[0]["phase"], "escalated");
    assert_eq!(listed[0]["left_message"], true, "{:?}", listed[0]);
    let (_socket, welcome) = owner.open(listed[0]["id"].as_str().unwrap()).await;
    assert_eq!(welcome.visitor.email.as_deref(), Some("tara@example.com"));
    assert_eq!(welcome.visitor.name.as_deref(), Some("Tara Quinn"));
    let said: Vec<&str> = welcome
        .backlog
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) if m.author == shared::protocol::Author::Visitor => {
                Some(m.text.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        ["How long does shipping take?", "Please call me about order 88, it came broken."],
        "the question and the message are stored, not the steps"
    );
}
