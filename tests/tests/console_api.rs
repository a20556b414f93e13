//! What the agents' console stands on: internal notes, mentions, tickets with summaries,
//! exports, and team management with its role rules.

use integration::{Agent, Edge, Visitor, say};
use reqwest::Method;
use shared::api::{InboxFrame, Member, Ticket, TicketStatus, Transcript};
use shared::protocol::{ClientFrame, Event, ItemBody, ServerFrame};

fn note(client_id: &str, text: &str) -> ClientFrame {
    ClientFrame::Note { client_id: client_id.into(), text: text.into() }
}

#[tokio::test(flavor = "multi_thread")]
async fn notes_reach_teammates_only_and_mentions_notify() {
    let edge = Edge::start();
    let site = edge.site(
        "notes",
        &[("ana@t.test", "Ana", "responder"), ("ben@t.test", "Ben Ito", "responder")],
    );
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "hello").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let ben = Agent::login(&edge, &site, "ben@t.test").await;
    let mut ben_inbox = ben.inbox().await;
    ben_inbox.until_json("the snapshot", |v| v["type"] == "snapshot").await;
    let (mut a, _) = ana.open(&visitor.conversation_id).await;
    let (mut b, _) = ben.open(&visitor.conversation_id).await;

    a.send(&note("n1", "VIP customer, @Ben Ito please check the refund")).await;
    a.until("the note's ack", |f| matches!(f, ServerFrame::Ack { .. })).await;
    b.until("the note", |f| matches!(f, ServerFrame::Item(i) if matches!(&i.body, ItemBody::Note(m) if m.text.contains("VIP")))).await;
    let mention = ben_inbox.until_json("the mention", |v| v["type"] == "mention").await;
    let mention: InboxFrame = serde_json::from_value(mention).unwrap();
    assert!(matches!(mention, InboxFrame::Mention { by, .. } if by.name == "Ana"));

    // The visitor never sees it: not live, not in a resync. (Their own later message is
    // acknowledged after the note was handled, so the note had its chance to leak.)
    visitor.say("m-after", "marker").await;
    while let Some(f) = visitor.socket.try_next(std::time::Duration::from_millis(300)).await {
        assert!(
            !matches!(f, ServerFrame::Item(ref i) if !i.body.is_public()),
            "note leaked: {f:?}"
        );
    }
    let seen = integration::history(&edge, &visitor).await;
    assert!(seen.iter().all(|i| i.body.is_public()), "note leaked in the backlog");
    let (_, agent_view) = ana.open(&visitor.conversation_id).await;
    assert!(agent_view.backlog.iter().any(|i| !i.body.is_public()), "teammates keep the note");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_takeover_cycle_makes_a_summarised_ticket_and_exports_hold_every_event() {
    let edge = Edge::start();
    let site = edge.site("tickets", &[("ana@t.test", "Ana", "responder")]);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "hola").await;
    visitor.say("m2", "Mi pedido 1234 llegó roto y necesito un reembolso urgente").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut inbox = ana.inbox().await;
    let (mut desk, _) = ana.open(&visitor.conversation_id).await;
    for cycle in 1..=2u32 {
        desk.send(&ClientFrame::Claim).await;
        desk.until("the state", |f| matches!(f, ServerFrame::State(s) if s.ticket == Some(cycle)))
            .await;
        desk.send(&say(&format!("r{cycle}"), "Lo reviso ahora")).await;
        desk.until("ack", |f| matches!(f, ServerFrame::Ack { .. })).await;
        desk.send(&ClientFrame::HandBack { ask_rating: false }).await;
        desk.until("resume", |f| matches!(f, ServerFrame::State(s) if s.ticket.is_none())).await;
        let frame = inbox
            .until_json("the resolved ticket", |v| {
                v["type"] == "ticket" && v["number"] == cycle && v["status"] == "resolved"
            })
            .await;
        let InboxFrame::Ticket(ticket) = serde_json::from_value(frame).unwrap() else {
            unreachable!()
        };
        assert_eq!(ticket.subject, "Mi pedido 1234 llegó roto y necesito un reembolso urgente");
        assert_eq!(ticket.language.as_deref(), Some("es"));
        assert_eq!(ticket.assignee.map(|a| a.name).as_deref(), Some("Ana"));
    }

    let tickets: Vec<Ticket> = ana.get("/api/admin/tickets").await.json().await.unwrap();
    assert_eq!(tickets.len(), 2);
    assert!(tickets.iter().all(|t| t.status == TicketStatus::Resolved));

    let csv = ana.get("/api/admin/tickets.csv").await.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,conversation_id,number,status,subject"), "{csv}");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains("Mi pedido 1234"));

    let id = &visitor.conversation_id;
    let json: Transcript =
        ana.get(&format!("/api/admin/conversations/{id}/transcript")).await.json().await.unwrap();
    assert_eq!(json.tickets.len(), 2);
    let kinds: Vec<&str> = json
        .items
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Event(Event::Escalated { .. }) => Some("escalated"),
            ItemBody::Event(Event::AgentJoined { .. }) => Some("joined"),
            ItemBody::Event(Event::AgentLeft { .. }) => Some("left"),
            ItemBody::Event(Event::AiResumed { .. }) => Some("resumed"),
            _ => None,
        })
        .collect();
    // The FAQ bot had no answer for the refund and handed over; then two cycles.
    assert_eq!(kinds, ["escalated", "joined", "left", "resumed", "joined", "left", "resumed"]);
    let text = ana
        .get(&format!("/api/admin/conversations/{id}/transcript?format=text"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text.matches("──────── Live chat · ticket").count(), 2, "{text}");
    assert_eq!(text.matches("──────── AI resumed · by Ana").count(), 2, "{text}");
    assert!(
        text.contains("Ana joined the conversation") && text.contains("Ana left the conversation")
    );
    assert!(text.contains("Visitor: Mi pedido 1234"));
}

#[tokio::test(flavor = "multi_thread")]
async fn team_management_follows_the_roles() {
    let edge = Edge::start();
    let site = edge.site(
        "team",
        &[
            ("own@t.test", "Olga", "owner"),
            ("adm@t.test", "Adam", "admin"),
            ("res@t.test", "Rita", "responder"),
        ],
    );
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let admin = Agent::login(&edge, &site, "adm@t.test").await;
    let responder = Agent::login(&edge, &site, "res@t.test").await;
    let new = |email: &str, role: &str| serde_json::json!({ "email": email, "name": "", "role": role, "password": integration::PASSWORD });

    let res = responder
        .request(Method::POST, "/api/admin/team", Some(new("x@t.test", "responder")))
        .await;
    assert_eq!(res.status(), 403, "responders do not manage the team");
    let res = admin.request(Method::POST, "/api/admin/team", Some(new("o2@t.test", "owner"))).await;
    assert_eq!(res.status(), 403, "only an owner adds an owner");
    let res =
        admin.request(Method::POST, "/api/admin/team", Some(new("vic@t.test", "viewer"))).await;
    assert_eq!(res.status(), 201);
    let vic: Member = res.json().await.unwrap();
    assert_eq!(vic.name, "", "a teammate may start without a display name");

    // A teammate sets their own display name.
    let vic_session = Agent::login(&edge, &site, "vic@t.test").await;
    let res = vic_session
        .request(Method::PATCH, "/api/admin/me", Some(serde_json::json!({ "name": "Vic" })))
        .await;
    assert_eq!(res.status(), 200);
    let res = vic_session
        .request(Method::PATCH, "/api/admin/me", Some(serde_json::json!({ "role": "owner" })))
        .await;
    assert_eq!(res.status(), 403, "nobody promotes themselves");

    // The last owner stays an owner.
    let res = owner
        .request(
            Method::PATCH,
            &format!("/api/admin/team/{}", owner.me.agent.id),
            Some(serde_json::json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = admin
        .request(Method::DELETE, &format!("/api/admin/team/{}", responder.me.agent.id), None)
        .await;
    assert_eq!(res.status(), 204);
    let team: Vec<Member> = owner.get("/api/admin/team").await.json().await.unwrap();
    let names: Vec<&str> = team.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Olga", "Adam", "Vic"]);
    assert_eq!(
        responder.get("/api/admin/me").await.status(),
        401,
        "a removed teammate is signed out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csrf_login_limits_and_the_one_time_setup_token() {
    let edge = Edge::start();
    let site = edge.site("guard", &[("own@t.test", "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let client = reqwest::Client::new();

    // A state-changing request without the CSRF token is refused and changes nothing.
    let res = client
        .post(format!("{}/api/admin/team", edge.base))
        .header("Cookie", &owner.cookie)
        .json(&serde_json::json!({ "email": "x@t.test", "name": "X", "role": "admin", "password": integration::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "csrf");
    let team: Vec<Member> = owner.get("/api/admin/team").await.json().await.unwrap();
    assert_eq!(team.len(), 1);

    // Five wrong passwords lock the email for a while, with a clear message.
    let attempt = |password: &'static str| {
        client
            .post(format!("{}/api/admin/login", edge.base))
            .json(&serde_json::json!({ "site_key": site, "email": "own@t.test", "password": password }))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password!").await.unwrap().status(), 401);
    }
    let res = attempt(integration::PASSWORD).await.unwrap();
    assert_eq!(res.status(), 429, "even the right password waits out the lock");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("Try again in"));

    // The same setup token cannot set the same site up twice.
    let res = edge.setup_again(&site).await;
    assert_eq!(res.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_changes_are_checked_and_reach_open_widgets_live() {
    let edge = Edge::start();
    let site = edge
        .site("settings", &[("own@t.test", "Olga", "owner"), ("res@t.test", "Rita", "responder")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let responder = Agent::login(&edge, &site, "res@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("m1", "hello").await;
    // A visitor who has left gets nothing pushed: only open widgets are told.
    let gone = Visitor::join(&edge, &site).await;
    let gone_id = gone.conversation_id.clone();
    drop(gone);
    let online = || async {
        let all: Vec<serde_json::Value> =
            owner.get("/api/admin/conversations").await.json().await.unwrap();
        let of = |id: &str| all.iter().find(|c| c["id"] == id).map(|c| c["visitor_online"].clone());
        (of(&visitor.conversation_id), of(&gone_id))
    };
    let mut seen = online().await;
    for _ in 0..50 {
        if seen == (Some(true.into()), Some(false.into())) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = online().await;
    }
    assert_eq!(seen, (Some(true.into()), Some(false.into())), "the index knows who is online");

    let mut settings: serde_json::Value =
        owner.get("/api/admin/settings").await.json().await.unwrap();
    settings["title"] = "Northwind Support".into();
    let res = responder.request(Method::PUT, "/api/admin/settings", Some(settings.clone())).await;
    assert_eq!(res.status(), 403, "responders do not change settings");
    let mut bad = settings.clone();
    bad["color"] = "red; background: url(x)".into();
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(bad)).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "invalid_settings");

    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings)).await;
    assert_eq!(res.status(), 200);
    let pushed =
        visitor.socket.until("the new settings", |f| matches!(f, ServerFrame::Config(_))).await;
    assert!(matches!(pushed, ServerFrame::Config(c) if c.title == "Northwind Support"));
    let config: serde_json::Value = reqwest::get(format!("{}/api/sites/{site}/config", edge.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["title"], "Northwind Support");
}

#[tokio::test(flavor = "multi_thread")]
async fn business_hours_are_checked_and_tell_widgets_whether_someone_is_in() {
    let edge = Edge::start();
    let site = edge.site("hours", &[("own@t.test", "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let config = || async {
        reqwest::get(format!("{}/api/sites/{site}/config", edge.base))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    assert_eq!(config().await["open_now"], true, "no schedule: always open");

    let mut settings: serde_json::Value =
        owner.get("/api/admin/settings").await.json().await.unwrap();
    settings["business_hours"] =
        serde_json::json!({ "enabled": true, "time_zone": "Mars/Olympus", "weekly": [] });
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings.clone())).await;
    assert_eq!(res.status(), 400);
    let message =
        res.json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("IANA"), "{message}");

    // A schedule with no opening hours at all: nobody is ever in.
    settings["business_hours"] =
        serde_json::json!({ "enabled": true, "time_zone": "Europe/Berlin", "weekly": [] });
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings.clone())).await;
    assert_eq!(res.status(), 200);
    assert_eq!(config().await["open_now"], false);

    // Open around the clock every day: always in, whatever the time zone says.
    let all_day: Vec<serde_json::Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| serde_json::json!({ "day": d, "start": "00:00", "end": "24:00" }))
        .collect();
    settings["business_hours"]["weekly"] = all_day.into();
    let res = owner.request(Method::PUT, "/api/admin/settings", Some(settings)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(config().await["open_now"], true);
}
