//! Nobody waits in the dark, through a real worker: with no teammate available (no console
//! open, everyone Away, only viewers) a request for a person offers the contact form at once;
//! a waiting visitor is told the expected wait (the owner's figure, else the team's recent
//! claims); out of hours the offer says when the team is back.

use std::time::Duration;

use integration::{Agent, Edge, Visitor, demo_settings, event};
use reqwest::Method;
use shared::api::Availability;
use shared::hours::BusinessHours;
use shared::protocol::{ClientFrame, Event};

const TEAM: &[(&str, &str, &str)] = &[
    ("own@t.test", "Olga", "owner"),
    ("ana@t.test", "Ana", "responder"),
    ("vic@t.test", "Vic", "viewer"),
];

/// The product's default: the contact form when nobody is available.
fn settings(takeover: serde_json::Value) -> String {
    demo_settings(|s| s["takeover"] = takeover.clone())
}

/// What a new visitor asking for a person meets.
async fn ask(edge: &Edge, site: &str) -> Event {
    let mut visitor = Visitor::join(edge, site).await;
    visitor.say("v1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    let f = visitor
        .socket
        .until("the answer to the request", |f| {
            matches!(event(f), Some(Event::Escalated { .. } | Event::OutOfHours { .. }))
        })
        .await;
    event(&f).cloned().unwrap()
}

fn nobody() -> Event {
    Event::OutOfHours { back_at: None, unstaffed: true }
}

async fn set_away(agent: &Agent, away: bool) -> reqwest::Response {
    let body = serde_json::json!({ "away": away });
    agent.request(Method::PUT, "/api/admin/me/availability", Some(body)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_available_a_visitor_gets_the_form_at_once() {
    let edge = Edge::start();
    let site = edge.site_with("staffing", &settings(serde_json::json!({})), TEAM);

    // Nobody has the console open.
    assert_eq!(ask(&edge, &site).await, nobody());

    // A viewer watching the inbox cannot answer: still nobody.
    let vic = Agent::login(&edge, &site, "vic@t.test").await;
    let _vic_inbox = vic.inbox().await;
    assert_eq!(ask(&edge, &site).await, nobody());

    // Ana opens her console: the visitor waits for her.
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let ana_inbox = ana.inbox().await;
    assert!(matches!(ask(&edge, &site).await, Event::Escalated { offline: false, .. }));

    // Away: not offered, and it is remembered.
    let res = set_away(&ana, true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Availability>().await.unwrap(), Availability { away: true });
    let read: Availability = ana.get("/api/admin/me/availability").await.json().await.unwrap();
    assert!(read.away);
    assert_eq!(ask(&edge, &site).await, nobody());

    // Back: offered again.
    assert_eq!(set_away(&ana, false).await.status(), 200);
    assert!(matches!(ask(&edge, &site).await, Event::Escalated { .. }));

    // Console closed: nobody again, once the socket is gone.
    drop(ana_inbox);
    let mut last = Event::Unclaimed;
    for _ in 0..20 {
        last = ask(&edge, &site).await;
        if last == nobody() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(last, nobody());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_site_may_keep_visitors_waiting_instead() {
    let edge = Edge::start();
    let wait = settings(serde_json::json!({ "when_nobody_available": "wait" }));
    let site = edge.site_with("waiting", &wait, TEAM);
    assert!(matches!(ask(&edge, &site).await, Event::Escalated { .. }));
}

#[tokio::test(flavor = "multi_thread")]
async fn availability_refuses_what_it_cannot_trust() {
    let edge = Edge::start();
    let site = edge.site_with("avail-input", &settings(serde_json::json!({})), TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/admin/me/availability", edge.base);

    // No session, no CSRF token, a body that is not an availability: refused, nothing kept.
    let anonymous = client.put(&url).json(&serde_json::json!({ "away": true })).send().await;
    assert_eq!(anonymous.unwrap().status(), 401);
    let forged = client
        .put(&url)
        .header("Cookie", &ana.cookie)
        .json(&serde_json::json!({ "away": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let wrong = ana.request(Method::PUT, "/api/admin/me/availability", Some("away".into())).await;
    assert_eq!(wrong.status(), 400);
    let wrong = ana
        .request(Method::PUT, "/api/admin/me/availability", Some(serde_json::json!({ "away": 1 })))
        .await;
    assert_eq!(wrong.status(), 400);
    let read: Availability = ana.get("/api/admin/me/availability").await.json().await.unwrap();
    assert!(!read.away);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_visitor_is_told_the_expected_wait() {
    let edge = Edge::start();
    // The owner's figure.
    let usual = settings(serde_json::json!({ "usual_wait_secs": 300 }));
    let site = edge.site_with("usual", &usual, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let _inbox = ana.inbox().await;
    assert!(matches!(
        ask(&edge, &site).await,
        Event::Escalated { expected_wait_secs: Some(300), .. }
    ));

    // No figure: nothing is promised until three claims were seen, then about a minute.
    let site = edge.site_with("estimated", &settings(serde_json::json!({})), TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let _inbox = ana.inbox().await;
    for n in 0..3 {
        let mut visitor = Visitor::join(&edge, &site).await;
        visitor.say("v1", "hello").await;
        visitor.socket.send(&ClientFrame::RequestHuman).await;
        let f = visitor
            .socket
            .until("the escalation", |f| matches!(event(f), Some(Event::Escalated { .. })))
            .await;
        assert!(
            matches!(event(&f), Some(Event::Escalated { expected_wait_secs: None, .. })),
            "claim {n}: nothing to estimate from yet"
        );
        let (mut socket, _) = ana.open(&visitor.conversation_id).await;
        socket.send(&ClientFrame::Claim).await;
        visitor
            .socket
            .until("the join", |f| matches!(event(f), Some(Event::AgentJoined { .. })))
            .await;
    }
    // The claims reach the site as ticket reports: wait for them, then the estimate appears.
    let mut told = None;
    for _ in 0..40 {
        if let Event::Escalated { expected_wait_secs, .. } = ask(&edge, &site).await
            && expected_wait_secs.is_some()
        {
            told = expected_wait_secs;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(told, Some(60), "three quick claims: about a minute");

    // Each ticket carries its wait, in the API and the export.
    let csv = ana.get("/api/admin/tickets.csv").await.text().await.unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "waited_seconds").expect("a waited column");
    let waited: Vec<&str> =
        csv.lines().skip(1).map(|l| l.split(',').nth(column).unwrap_or("")).collect();
    assert!(waited.len() >= 3 && waited.iter().all(|w| w.parse::<u64>().is_ok()), "{csv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_hours_the_offer_says_when_the_team_is_back() {
    let edge = Edge::start();
    // Open one minute a week, on tomorrow's weekday at 03:00 UTC: closed now, back then.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = chrono::DateTime::from_timestamp_millis(now.as_millis() as i64).unwrap();
    let tomorrow = (now + chrono::Duration::days(1)).format("%a").to_string().to_lowercase();
    let hours = serde_json::json!({
        "enabled": true,
        "time_zone": "UTC",
        "weekly": [{ "day": tomorrow, "start": "03:00", "end": "03:01" }],
    });
    let schedule: BusinessHours = serde_json::from_value(hours.clone()).unwrap();
    let expected = schedule.next_opening(now.timestamp_millis()).unwrap();
    assert!(expected.is_some());
    let closed = demo_settings(|s| s["business_hours"] = hours.clone());
    let site = edge.site_with("back-at", &closed, TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let _inbox = ana.inbox().await;
    assert_eq!(ask(&edge, &site).await, Event::OutOfHours { back_at: expected, unstaffed: false });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_that_stopped_saying_it_is_there_stops_counting() {
    // Consoles say `present` every 30 s and count for 150 s; here, for 2 s.
    let edge = Edge::start_with(&[("PRESENCE_STALE_MS", "2000")]);
    let site = edge.site_with("stale", &settings(serde_json::json!({})), TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    // A socket that stays open but says nothing, as a sleeping laptop's would.
    let mut inbox = ana.inbox().await;
    assert!(matches!(ask(&edge, &site).await, Event::Escalated { .. }), "just connected");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(ask(&edge, &site).await, nobody(), "silent past the limit: not offered");
    // Saying it again makes her count again.
    inbox.send_raw(shared::protocol::PRESENT).await;
    let mut last = nobody();
    for _ in 0..10 {
        last = ask(&edge, &site).await;
        if last != nobody() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matches!(last, Event::Escalated { .. }), "{last:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_assistant_promises_no_one_when_nobody_can_come() {
    let edge = Edge::start();
    let site = edge.site_with("no-promise", &settings(serde_json::json!({})), TEAM);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "I want to talk to a human").await;
    let offer = visitor
        .socket
        .until("the AI's handover", |f| matches!(event(f), Some(Event::OutOfHours { .. })))
        .await;
    assert_eq!(event(&offer), Some(&nobody()));
    let said: Vec<String> = integration::history(&edge, &visitor)
        .await
        .iter()
        .filter_map(|i| match &i.body {
            shared::protocol::ItemBody::Message(m) if m.author == shared::protocol::Author::Bot => {
                Some(m.text.clone())
            }
            _ => None,
        })
        .collect();
    assert!(!said.iter().any(|t| t.contains("bringing in someone")), "{said:?}");
}

/// A console pings its conversation's socket every 30 s; a socket silent for as long as a
/// console counts as present (a sleeping laptop's, which still looks open) no longer keeps the
/// conversation held: its holder is away, and it goes back to the queue. One that pings keeps
/// it.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_conversation_is_let_go_once_its_holders_socket_stops_pinging() {
    // Consoles count for 150 s without a word; here, for 4 s.
    let edge = Edge::start_with(&[("PRESENCE_STALE_MS", "4000")]);
    let quick = settings(serde_json::json!({ "assignee_offline_secs": 1 }));
    let site = edge.site_with("slept", &quick, TEAM);
    let mut held = Vec::new();
    for email in ["ana@t.test", "own@t.test"] {
        let agent = Agent::login(&edge, &site, email).await;
        let inbox = agent.inbox().await;
        let mut visitor = Visitor::join(&edge, &site).await;
        visitor.say("v1", "hello").await;
        visitor.socket.send(&ClientFrame::RequestHuman).await;
        let (mut socket, _) = agent.open(&visitor.conversation_id).await;
        socket.send(&ClientFrame::Claim).await;
        let joined = |f: &_| matches!(event(f), Some(Event::AgentJoined { .. }));
        visitor.socket.until("the join", joined).await;
        // Both consoles close their inboxes: the site tells each conversation its holder is
        // away, and is told "not yet" while the conversation socket counts as open.
        drop(inbox);
        held.push((visitor, socket));
    }
    let (mut olga_visitor, mut olga) = held.pop().unwrap();
    let (mut ana_visitor, _ana_silent) = held.pop().unwrap();
    let requeued = |f: &_| matches!(event(f), Some(Event::Requeued { .. }));
    let started = tokio::time::Instant::now();
    let mut ana_requeued_at = None;
    // The site asks again every 10 s: two rounds after Ana's is let go.
    while started.elapsed() < Duration::from_secs(45) {
        olga.send_raw(shared::protocol::PING).await;
        if let Some(f) = olga_visitor.socket.try_next(Duration::from_millis(300)).await {
            assert!(!requeued(&f), "Olga pings: her conversation stays hers");
        }
        if ana_requeued_at.is_none()
            && let Some(f) = ana_visitor.socket.try_next(Duration::from_millis(300)).await
            && requeued(&f)
        {
            ana_requeued_at = Some(started.elapsed());
        }
        if ana_requeued_at.is_some_and(|at| started.elapsed() > at + Duration::from_secs(21)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(ana_requeued_at.is_some(), "Ana's silent socket kept her conversation");
    assert!(edge.log().contains("not yet (HTTP 425)"), "the notices were put off at first");
}
