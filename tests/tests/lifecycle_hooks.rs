//! Lifecycle webhooks through a real worker to an endpoint this test runs, every delivery
//! verified by the third-party `standardwebhooks` crate: the cycle's events in order with
//! their actors; retries on the schedule with the same event id, across a kill -9 of workerd;
//! no retry after another 4xx, and a redelivery from the console; 410 disables the endpoint;
//! during a rotation both secrets verify.

use std::collections::BTreeSet;
use std::time::Duration;

use integration::receiver::{Received, Receiver};
use integration::{Agent, Edge, Visitor, demo_settings, event};
use reqwest::Method;
use shared::hooks::{Delivery, Endpoint, EndpointSecret};
use shared::protocol::{ClientFrame, Event};

const TEAM: &[(&str, &str, &str)] =
    &[("own@t.test", "Olga", "owner"), ("ana@t.test", "Ana", "responder")];

async fn endpoint(owner: &Agent, url: &str, events: &[&str]) -> EndpointSecret {
    let body = serde_json::json!({ "url": url, "events": events });
    let res = owner.request(Method::POST, "/api/admin/hooks", Some(body)).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn types(seen: &[Received]) -> Vec<String> {
    seen.iter().map(|r| r.json["type"].as_str().unwrap_or_default().to_owned()).collect()
}

fn site(edge: &Edge, key: &str) -> String {
    let waiting =
        demo_settings(|s| s["takeover"] = serde_json::json!({ "when_nobody_available": "wait" }));
    edge.site_with(key, &waiting, TEAM)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_takeover_cycle_reaches_the_endpoint_signed_and_in_order() {
    let edge = Edge::start();
    let site = site(&edge, "hooks-cycle");
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let receiver = Receiver::start().await;
    let all: Vec<&str> = shared::hooks::EVENTS.to_vec();
    let made = endpoint(&olga, &receiver.url, &all).await;
    assert!(made.secret.starts_with("whsec_"));
    let bare = made.secret.trim_end_matches('=');
    assert!(made.endpoint.hint.ends_with(&bare[bare.len() - 4..]), "{}", made.endpoint.hint);

    // Hostile endpoints are refused.
    let bad =
        |url: &str, events: serde_json::Value| serde_json::json!({ "url": url, "events": events });
    for body in [
        bad("http://crm.example/hooks", serde_json::json!(["conversation.claimed"])),
        bad("https://crm.example/hooks", serde_json::json!(["conversation.deleted"])),
        bad("https://crm.example/hooks", serde_json::json!([])),
        bad("javascript:alert(1)", serde_json::json!(["conversation.claimed"])),
    ] {
        assert_eq!(olga.request(Method::POST, "/api/admin/hooks", Some(body)).await.status(), 400);
    }
    let hooks: Vec<Endpoint> = olga.get("/api/admin/hooks").await.json().await.unwrap();
    assert_eq!(hooks.len(), 1);

    let mut v = Visitor::join(&edge, &site).await;
    v.say("v1", "Where is my order 77?").await;
    v.socket.send(&ClientFrame::RequestHuman).await;
    v.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
    let (mut desk, _) = ana.open(&v.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    desk.until("claimed", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    desk.send(&integration::say("a1", "Let me check order 77 for you.")).await;
    desk.send(&ClientFrame::HandBack { ask_rating: false }).await;
    desk.until("handed back", |f| matches!(event(f), Some(Event::AiResumed { .. }))).await;
    desk.send(&ClientFrame::End { spam: false }).await;

    let want = [
        "conversation.started",
        "message.created",
        "conversation.escalated",
        "conversation.claimed",
        "ticket.created",
        "conversation.released",
        "ticket.resolved",
        "conversation.ended",
    ];
    let seen = receiver
        .until("every event of the cycle", |s| {
            let got: BTreeSet<String> = types(s).into_iter().collect();
            want.iter().all(|w| got.contains(*w))
        })
        .await;
    for r in &seen {
        assert!(r.verifies_with(&made.secret), "verified by standardwebhooks: {}", r.json);
        assert_eq!(r.header("webhook-id"), r.json["id"].as_str().unwrap());
        assert_eq!(r.json["site"], site.as_str());
        assert_eq!(r.json["conversation"]["id"], v.conversation_id.as_str());
        assert!(!r.verifies_with(&shared::signing::new_secret([7; 32])), "another secret fails");
    }
    let ids: BTreeSet<String> = seen.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), seen.len(), "every event has its own id");
    let claimed = seen.iter().find(|r| r.json["type"] == "conversation.claimed").unwrap();
    assert_eq!(claimed.json["actor"]["type"], "agent");
    assert_eq!(claimed.json["actor"]["name"], "Ana");
    assert_eq!(claimed.json["ticket"]["number"], 1);
    let said: Vec<&str> = seen
        .iter()
        .filter(|r| r.json["type"] == "message.created")
        .filter_map(|r| r.json["data"]["text"].as_str())
        .collect();
    assert!(
        said.contains(&"Where is my order 77?") && said.contains(&"Let me check order 77 for you.")
    );
    // A change of state follows the one before it.
    let order: Vec<String> =
        types(&seen).into_iter().filter(|t| t.starts_with("conversation.")).collect();
    let expected: Vec<&str> =
        want.iter().copied().filter(|t| t.starts_with("conversation.")).collect();
    assert_eq!(order, expected);

    // The console's list of deliveries.
    let path = format!("/api/admin/hooks/{}/deliveries", made.endpoint.id);
    let listed: Vec<Delivery> = olga.get(&path).await.json().await.unwrap();
    assert!(listed.len() >= want.len());
    assert!(
        listed
            .iter()
            .all(|d| d.status == "delivered" && d.attempts == 1 && d.last_code == Some(200))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delivery_is_retried_with_the_same_id_across_a_crash() {
    let mut edge = Edge::start();
    let site = site(&edge, "hooks-retry");
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let receiver = Receiver::start().await;
    let made = endpoint(&olga, &receiver.url, &["conversation.escalated"]).await;
    receiver.answer(&[500]);

    let mut v = Visitor::join(&edge, &site).await;
    v.say("v1", "hello").await;
    v.socket.send(&ClientFrame::RequestHuman).await;
    v.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
    let first = receiver.until("the first attempt", |s| !s.is_empty()).await;
    assert_eq!(first[0].answered, 500);

    // workerd dies before the retry is due (5 s later); the delivery is in storage.
    assert!(edge.kill_worker());
    edge.restart();
    let seen = receiver.until("the retry", |s| s.len() >= 2).await;
    assert_eq!(seen[1].answered, 200);
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"), "one event, one id");
    assert_eq!(seen[0].body, seen[1].body);
    assert!(seen.iter().all(|r| r.verifies_with(&made.secret)));
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let path = format!("/api/admin/hooks/{}/deliveries", made.endpoint.id);
    let listed: Vec<Delivery> = olga.get(&path).await.json().await.unwrap();
    assert_eq!((listed[0].status.as_str(), listed[0].attempts), ("delivered", 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_4xx_is_not_retried_410_disables_and_a_rotation_signs_with_both_secrets() {
    let edge = Edge::start();
    let site = site(&edge, "hooks-answers");
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let receiver = Receiver::start().await;
    let made = endpoint(&olga, &receiver.url, &["conversation.escalated"]).await;
    let id = &made.endpoint.id;
    let test = format!("/api/admin/hooks/{id}/test");
    let deliveries = format!("/api/admin/hooks/{id}/deliveries");

    // 400: failed at once, never tried again.
    receiver.answer(&[400]);
    assert_eq!(olga.request(Method::POST, &test, None).await.status(), 200);
    receiver.until("the test event", |s| !s.is_empty()).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(receiver.seen().len(), 1, "no retry after a 400");
    let listed: Vec<Delivery> = olga.get(&deliveries).await.json().await.unwrap();
    let failed = &listed[0];
    assert_eq!(
        (failed.status.as_str(), failed.last_code, failed.kind.as_str()),
        ("failed", Some(400), "webhook.test")
    );

    // Redelivered from the console: the same event id, delivered.
    let again = format!("/api/admin/hooks/{id}/deliveries/{}/redeliver", failed.id);
    assert_eq!(olga.request(Method::POST, &again, None).await.status(), 200);
    let seen = receiver.until("the redelivery", |s| s.len() >= 2).await;
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"));
    let listed: Vec<Delivery> = olga.get(&deliveries).await.json().await.unwrap();
    assert_eq!(listed[0].status, "delivered");

    // A rotation: for a day both secrets sign every delivery.
    let rotated: EndpointSecret = olga
        .request(Method::POST, &format!("/api/admin/hooks/{id}/rotate"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(rotated.secret, made.secret);
    assert!(rotated.endpoint.previous_until.is_some());
    olga.request(Method::POST, &test, None).await;
    let seen = receiver.until("a delivery after the rotation", |s| s.len() >= 3).await;
    assert!(seen[2].verifies_with(&made.secret) && seen[2].verifies_with(&rotated.secret));
    assert_eq!(seen[2].header("webhook-signature").split(' ').count(), 2);

    // 410 Gone: the endpoint is disabled, and hears nothing more.
    receiver.answer(&[410]);
    olga.request(Method::POST, &test, None).await;
    receiver.until("the 410", |s| s.len() >= 4).await;
    let mut disabled = false;
    for _ in 0..50 {
        let hooks: Vec<Endpoint> = olga.get("/api/admin/hooks").await.json().await.unwrap();
        if !hooks[0].enabled {
            assert!(hooks[0].disabled_reason.as_deref().unwrap_or_default().contains("410"));
            disabled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(disabled, "410 disables the endpoint");
    let mut v = Visitor::join(&edge, &site).await;
    v.say("v1", "hello").await;
    v.socket.send(&ClientFrame::RequestHuman).await;
    v.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.seen().len(), 4, "a disabled endpoint hears nothing");

    // Enabled again by an admin: events flow again.
    let on = serde_json::json!({ "enabled": true });
    let res = olga.request(Method::PATCH, &format!("/api/admin/hooks/{id}"), Some(on)).await;
    assert_eq!(res.status(), 200);
    olga.request(Method::POST, &test, None).await;
    receiver.until("a delivery once enabled", |s| s.len() >= 5).await;
}
