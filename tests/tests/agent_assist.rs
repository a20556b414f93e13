//! AI help for teammates against a local model server: a suggested reply, an improved draft, a
//! translation into the visitor's language; none is sent or stored or counted as AI usage,
//! every failure of the model is a clear refusal, and only teammates of the site who answer
//! visitors may ask.

use std::time::Duration;

use integration::llm_mock::MockLlm;
use integration::{Agent, Edge, Visitor, bot_text, demo_settings};
use reqwest::Method;
use serde_json::{Value, json};
use shared::protocol::{ClientFrame, ErrorCode, ItemBody, ServerFrame};

fn llm_settings(base_url: &str) -> String {
    demo_settings(|s| {
        s["engine"] = json!({
            "kind": "llm", "base_url": base_url, "model": "test-model",
            "system_prompt": "You are the shop's assistant.", "timeout_ms": 2_000
        })
    })
}

/// `POST …/assist` with `ask`: the status and the body.
async fn ask_model(agent: &Agent, id: &str, ask: Value) -> (u16, Value) {
    let path = format!("/api/admin/conversations/{id}/assist");
    let res = agent.request(Method::POST, &path, Some(ask)).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

async fn assist(agent: &Agent, id: &str, action: &str, text: &str) -> (u16, Value) {
    ask_model(agent, id, json!({ "action": action, "text": text })).await
}

async fn replies_counted(agent: &Agent) -> u64 {
    let usage: Vec<Value> = agent.get("/api/admin/usage").await.json().await.unwrap();
    usage.iter().map(|d| d["replies"].as_u64().unwrap_or(0)).sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn drafts_come_to_the_composer_and_nothing_is_sent_stored_or_counted() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let site = edge.site_with(
        "assist",
        &llm_settings(&model.base_url),
        &[("ana@t.test", "Ana", "responder"), ("vic@t.test", "Vic", "viewer")],
    );
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor
        .say("q1", "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous m'aider ?")
        .await;
    visitor.socket.until("the AI's answer", |f| bot_text(f).is_some()).await;
    let id = visitor.conversation_id.clone();
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    // Usage is counted as the conversation reports: let the AI's one answer arrive.
    let mut counted = 0;
    for _ in 0..50 {
        counted = replies_counted(&ana).await;
        if counted == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counted, 1);

    let (status, suggested) = assist(&ana, &id, "suggest", "").await;
    assert_eq!(status, 200, "{suggested}");
    assert_eq!(suggested["text"], "Suggested: about “Our store opens at 9 every day.”");
    let asked = model.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(asked["stream"], false);
    let system = asked["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("Standard shipping takes 3 to 5 business days"), "grounded in the FAQ");
    assert!(system.contains("ISO 639-1 code fr"), "in the visitor's language: {system}");
    let said: Vec<&str> = asked["messages"].as_array().unwrap()[1..]
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert!(said[0].starts_with("Bonjour, ma commande"), "the conversation: {said:?}");

    let (status, improved) = assist(&ana, &id, "improve", "we refund u tmrw").await;
    assert_eq!((status, improved["text"].as_str()), (200, Some("Improved: we refund u tmrw")));
    let (status, translated) = assist(&ana, &id, "translate", "Your refund is on its way.").await;
    assert_eq!(
        (status, translated["text"].as_str()),
        (200, Some("[fr] Your refund is on its way."))
    );

    // Nothing reached the visitor, nothing was stored, no AI reply was counted.
    assert!(
        visitor
            .socket
            .try_next(Duration::from_millis(500))
            .await
            .is_none_or(|f| bot_text(&f).is_none())
    );
    let transcript: Value =
        ana.get(&format!("/api/admin/conversations/{id}/transcript")).await.json().await.unwrap();
    let texts: Vec<&str> = transcript["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["body"]["data"]["text"].as_str())
        .collect();
    assert!(
        texts.iter().all(|t| !t.starts_with("Suggested")
            && !t.starts_with("Improved")
            && !t.starts_with("[fr]")),
        "{texts:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(replies_counted(&ana).await, 1, "drafts are not AI replies");

    // The model failing: each a refusal that says so.
    for (draft, status, code) in [
        ("this one is slow", 504, "model_timeout"),
        ("garbage please", 502, "model_failed"),
        ("trigger an error", 502, "model_failed"),
        ("empty answer", 502, "model_failed"),
    ] {
        let (got, body) = assist(&ana, &id, "improve", draft).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{draft}: {body}");
        assert!(!body["message"].as_str().unwrap_or("").is_empty());
    }
    // Hostile or empty asks: refused before any model is called.
    let calls = model.seen.lock().unwrap().len();
    let (got, body) = assist(&ana, &id, "improve", "   ").await;
    assert_eq!((got, body["code"].as_str()), (400, Some("empty_draft")));
    let (got, body) = assist(&ana, &id, "translate", &"x".repeat(5_000)).await;
    assert_eq!((got, body["code"].as_str()), (400, Some("too_long")));
    let (got, _) = assist(&ana, &id, "rewrite_everything", "hi").await;
    assert_eq!(got, 400);
    let vic = Agent::login(&edge, &site, "vic@t.test").await;
    let (got, _) = assist(&vic, &id, "suggest", "").await;
    assert_eq!(got, 403, "a viewer does not answer visitors");
    let no_csrf = reqwest::Client::new()
        .post(format!("{}/api/admin/conversations/{id}/assist", edge.base))
        .header("Cookie", &ana.cookie)
        .json(&json!({ "action": "suggest" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    assert_eq!(model.seen.lock().unwrap().len(), calls, "no model call for a refused ask");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_model_or_for_another_site_there_is_no_help() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let faq_site = edge.site("assist-faq", &[("own@t.test", "Olga", "owner")]);
    let llm_site = edge.site_with(
        "assist-other",
        &llm_settings(&model.base_url),
        &[("eve@t.test", "Eve", "owner")],
    );
    let mut visitor = Visitor::join(&edge, &faq_site).await;
    visitor.say("q1", "How long does shipping take?").await;
    visitor.socket.until("the AI's answer", |f| bot_text(f).is_some()).await;
    let olga = Agent::login(&edge, &faq_site, "own@t.test").await;
    let (got, body) = assist(&olga, &visitor.conversation_id, "suggest", "").await;
    assert_eq!((got, body["code"].as_str()), (409, Some("no_model")), "{body}");

    // Each draft spends a model key: 30 a minute per teammate (a fixed window, so within two
    // windows' worth the limit shows).
    let mut limited = None;
    for _ in 0..62 {
        let (got, body) = assist(&olga, &visitor.conversation_id, "suggest", "").await;
        if got == 429 {
            limited = Some(body);
            break;
        }
        assert_eq!(got, 409);
    }
    let limited = limited.expect("AI drafts are rate limited");
    assert_eq!(limited["code"], "rate_limited");
    // Reading in one's language has a limit of its own: the drafts' spent one holds it not.
    let read = json!({ "action": "translate_for_team", "seq": 1, "language": "en" });
    let (got, _) = ask_model(&olga, &visitor.conversation_id, read).await;
    assert_eq!(got, 409, "no model, but not limited");

    // Another site's owner, whose own site has a model: not their conversation (and the
    // limit is theirs alone: Olga's spent one does not hold Eve back).
    let eve = Agent::login(&edge, &llm_site, "eve@t.test").await;
    let (got, _) = assist(&eve, &visitor.conversation_id, "suggest", "").await;
    assert_eq!(got, 404, "another site's conversation is not there");
    assert!(model.seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teammate_reads_the_visitor_in_their_language_and_their_own_words_stay_with_the_team() {
    let model = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &model.base_url)]);
    let site = edge.site_with(
        "translate",
        &llm_settings(&model.base_url),
        &[("ana@t.test", "Ana", "responder")],
    );
    let mut visitor = Visitor::join(&edge, &site).await;
    let asked = visitor.say("q1", "Bonjour, où en est ma commande ? Elle n'est pas arrivée.").await;
    let answer = visitor.socket.until("the AI's answer", |f| bot_text(f).is_some()).await;
    let ServerFrame::Item(answer) = answer else { unreachable!() };
    let id = visitor.conversation_id.clone();
    let ana = Agent::login(&edge, &site, "ana@t.test").await;

    // The visitor's message and the AI's answer, each in the teammate's language.
    let ask = |seq: u64, language: &str| json!({ "action": "translate_for_team", "seq": seq, "language": language });
    let (status, read) = ask_model(&ana, &id, ask(asked, "en")).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["text"], "[en] Bonjour, où en est ma commande ? Elle n'est pas arrivée.");
    let system = model.seen.lock().unwrap().last().unwrap()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(system.contains("ISO 639-1 code en"), "into the teammate's language: {system}");
    let (status, read) = ask_model(&ana, &id, ask(answer.seq, "de")).await;
    assert_eq!(status, 200, "{read}");
    assert!(read["text"].as_str().unwrap().starts_with("[de] "), "{read}");

    // Refused before any model call: no message named, a language that is no code, an item
    // that is no message, a message that does not exist.
    let calls = model.seen.lock().unwrap().len();
    for (ask, status, code) in [
        (json!({ "action": "translate_for_team", "language": "en" }), 400, "no_message"),
        (ask(asked, "EN"), 400, "bad_language"),
        (ask(asked, "english"), 400, "bad_language"),
        (json!({ "action": "translate_for_team", "seq": asked }), 400, "bad_language"),
        (ask(9_999, "en"), 404, "unknown_message"),
        // Past JavaScript's exact integers: refused before it is passed on (it was a 500).
        (ask(u64::MAX, "en"), 400, "no_message"),
        (
            json!({ "action": "translate_for_team", "seq": asked, "language": "en", "text": "x".repeat(4_001) }),
            400,
            "too_long",
        ),
    ] {
        let (got, body) = ask_model(&ana, &id, ask.clone()).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{ask}: {body}");
    }
    assert_eq!(model.seen.lock().unwrap().len(), calls);

    // Ana takes over and sends her words translated: the team keeps what she wrote, the
    // visitor gets the translation alone, live and in their history.
    let (mut desk, _) = ana.open(&id).await;
    desk.send(&ClientFrame::Claim).await;
    let sent = ClientFrame::Send {
        client_id: "a1".into(),
        text: "Votre colis part aujourd'hui.".into(),
        original: Some("Your parcel leaves today.".into()),
    };
    desk.send(&sent).await;
    let kept = desk
        .until("Ana's reply, for the team", |f| {
            matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.client_id.as_deref() == Some("a1")))
        })
        .await;
    let ServerFrame::Item(kept) = kept else { unreachable!() };
    let ItemBody::Message(kept) = kept.body else { unreachable!() };
    assert_eq!(kept.original.as_deref(), Some("Your parcel leaves today."));
    let seen = visitor
        .socket
        .until_json("Ana's reply, for the visitor", |f| {
            f["type"] == "item" && f["body"]["data"]["text"] == "Votre colis part aujourd'hui."
        })
        .await;
    assert!(!seen.to_string().contains("Your parcel"), "the visitor's frame: {seen}");
    let backlog = integration::history(&edge, &visitor).await;
    assert!(
        !serde_json::to_string(&backlog).unwrap().contains("Your parcel"),
        "the visitor's history keeps the original out"
    );
    let text = ana
        .get(&format!("/api/admin/conversations/{id}/transcript?format=text"))
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("(translated; written as: Your parcel leaves today.)"), "{text}");

    // An original too long is refused with its own reason; one that is blank is no original.
    desk.send(&ClientFrame::Send {
        client_id: "a2".into(),
        text: "Bonne journée".into(),
        original: Some("x".repeat(4_001)),
    })
    .await;
    let refused = desk.error().await;
    assert_eq!(refused.code, ErrorCode::MessageTooLong);
    assert!(refused.message.contains("translation was made from"), "{}", refused.message);
    desk.send(&ClientFrame::Send {
        client_id: "a3".into(),
        text: "Bonne journée".into(),
        original: Some(" \u{200b} ".into()),
    })
    .await;
    let plain = desk
        .until("the reply without an original", |f| {
            matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Message(m) if m.client_id.as_deref() == Some("a3")))
        })
        .await;
    let ServerFrame::Item(plain) = plain else { unreachable!() };
    assert!(matches!(plain.body, ItemBody::Message(m) if m.original.is_none()));

    // A visitor has no original to keep.
    visitor
        .socket
        .send(&ClientFrame::Send {
            client_id: "q2".into(),
            text: "Merci".into(),
            original: Some("Thanks".into()),
        })
        .await;
    let refused = visitor.socket.error().await;
    assert_eq!(refused.code, ErrorCode::Forbidden);
}
