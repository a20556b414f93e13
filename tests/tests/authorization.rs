//! Who may do what: every route of the Worker and every frame of a conversation socket, for
//! every kind of caller — viewer, responder, admin, owner, a removed teammate, another site's
//! owner, and someone signed out — against the real worker. Both matrices come from tables
//! here; the route table is checked against `edge/src/router.rs`, so a new route cannot be
//! added without saying who may call it.

use std::collections::BTreeSet;
use std::time::Duration;

use integration::{Agent, Edge, Socket, Visitor, say};
use reqwest::Method;
use shared::protocol::{ClientFrame, ErrorCode, Event, Phase, ServerFrame};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// Anyone: the widget's API, pages, assets, sign-in. Not exercised per role here.
    Public,
    /// Proven by something other than a session (the setup token, a bot's signature, a
    /// benchmark worker), tested in their own files.
    Credential,
    /// Any signed-in teammate of the site.
    Member,
    /// Any signed-in teammate, same origin, with the CSRF token.
    Acting,
    /// Owners and admins (reads), with the CSRF token for writes.
    Manager,
}

use Access::*;

/// Every route the router has, and who may call it.
const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/api/health", Public),
    ("POST", "/api/setup", Credential),
    ("GET", "/api/sites/:site/config", Public),
    ("GET", "/api/texts/:lang", Public),
    ("POST", "/api/sites/:site/conversations", Public),
    ("POST", "/api/sites/:site/conversations/resume", Credential),
    ("POST", "/api/sites/:site/conversations/continue", Credential),
    ("OPTIONS", "/api/sites/:site/*rest", Public),
    ("GET", "/api/conversations/:id/ws", Public),
    ("POST", "/api/bot/conversations/:id/reply", Credential),
    ("POST", "/api/channels/telegram/:site", Credential),
    ("GET", "/api/channels/whatsapp/:site", Credential),
    ("POST", "/api/channels/whatsapp/:site", Credential),
    ("POST", "/api/admin/login", Public),
    ("POST", "/api/admin/logout", Acting),
    ("GET", "/api/admin/me", Member),
    ("PATCH", "/api/admin/me", Acting),
    ("GET", "/api/admin/me/availability", Member),
    ("PUT", "/api/admin/me/availability", Acting),
    ("GET", "/api/admin/me/email", Member),
    ("PUT", "/api/admin/me/email", Acting),
    ("GET", "/api/admin/hooks", Manager),
    ("POST", "/api/admin/hooks", Manager),
    ("PATCH", "/api/admin/hooks/:id", Manager),
    ("DELETE", "/api/admin/hooks/:id", Manager),
    ("POST", "/api/admin/hooks/:id/rotate", Manager),
    ("POST", "/api/admin/hooks/:id/test", Manager),
    ("GET", "/api/admin/hooks/:id/deliveries", Manager),
    ("POST", "/api/admin/hooks/:id/deliveries/:delivery/redeliver", Manager),
    ("GET", "/api/admin/invitations", Manager),
    ("POST", "/api/admin/invitations", Manager),
    ("DELETE", "/api/admin/invitations/:id", Manager),
    ("POST", "/api/account/invite/info", Credential),
    ("POST", "/api/account/invite", Credential),
    ("POST", "/api/account/reset", Public),
    ("POST", "/api/account/reset/finish", Credential),
    ("GET", "/api/unsubscribe", Credential),
    ("POST", "/api/unsubscribe", Credential),
    ("GET", "/api/admin/team", Member),
    ("POST", "/api/admin/team", Manager),
    ("PATCH", "/api/admin/team/:id", Manager),
    ("DELETE", "/api/admin/team/:id", Manager),
    ("GET", "/api/admin/tickets", Member),
    ("GET", "/api/admin/usage", Member),
    ("GET", "/api/admin/settings", Member),
    ("PUT", "/api/admin/settings", Manager),
    ("GET", "/api/admin/tickets.csv", Member),
    ("GET", "/api/admin/channels", Manager),
    ("PUT", "/api/admin/channels/telegram", Manager),
    ("DELETE", "/api/admin/channels/telegram", Manager),
    ("PUT", "/api/admin/channels/whatsapp", Manager),
    ("DELETE", "/api/admin/channels/whatsapp", Manager),
    ("GET", "/api/admin/secrets", Manager),
    ("PUT", "/api/admin/secrets/model-key", Manager),
    ("DELETE", "/api/admin/secrets/model-key", Manager),
    ("POST", "/api/admin/secrets/webhook", Manager),
    ("DELETE", "/api/admin/secrets/webhook-previous", Manager),
    ("POST", "/api/admin/secrets/identity", Manager),
    ("DELETE", "/api/admin/secrets/identity-previous", Manager),
    ("GET", "/api/admin/conversations/:id/transcript", Member),
    ("POST", "/api/admin/conversations/:id/assist", Acting),
    ("GET", "/api/admin/conversations", Member),
    ("GET", "/api/admin/conversations/:id/ws", Member),
    ("GET", "/api/admin/inbox/ws", Member),
    ("GET", "/admin", Public),
    ("GET", "/admin/*rest", Public),
    ("GET", "/widget/*file", Public),
    ("HEAD", "/widget/*file", Public),
    ("GET", "/chat/:site", Public),
    ("GET", "/api/bench/echo/:id/ws", Credential),
    ("GET", "/api/bench/sites/:key/load", Credential),
    ("POST", "/api/bench/sites/:key/reports", Credential),
    ("POST", "/api/bench/sites/:key/floor", Credential),
    ("POST", "/api/bench/sites/:key/fetched", Credential),
    ("POST", "/api/bench/sites/:key/ingress", Credential),
    ("POST", "/api/bench/conversations/:id/fail-reads", Credential),
    ("ANY", "/api/*rest", Public),
];

/// The routes `edge/src/router.rs` registers, as (METHOD, path).
fn router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../edge/src/router.rs");
    source
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            // `(Method::Get, "/api/health", handler),`
            if let Some(rest) = line.strip_prefix("(Method::") {
                let (method, rest) = rest.split_once(',')?;
                let path = rest.trim_start().strip_prefix('"')?.split('"').next()?;
                return Some((method.to_uppercase(), path.to_owned()));
            }
            // The `/api/` fallback, whatever the method.
            let path = line.split_once("api.insert(\"")?.1.split('"').next()?;
            Some(("ANY".to_owned(), path.to_owned()))
        })
        .collect()
}

#[test]
fn the_table_names_every_route_of_the_router() {
    let table: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    let router = router_routes();
    assert!(router.len() >= 30, "the router was read: {router:?}");
    let missing: Vec<_> = router.difference(&table).collect();
    let stale: Vec<_> = table.difference(&router).collect();
    assert!(missing.is_empty(), "routes without an access rule: {missing:?}");
    assert!(stale.is_empty(), "rules for routes that no longer exist: {stale:?}");
}

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Viewer,
    Responder,
    Admin,
    Owner,
    Removed,
    OtherSite,
    SignedOut,
}

const CALLERS: [Caller; 7] = [
    Caller::Viewer,
    Caller::Responder,
    Caller::Admin,
    Caller::Owner,
    Caller::Removed,
    Caller::OtherSite,
    Caller::SignedOut,
];

struct World {
    edge: Edge,
    owner: Agent,
    viewer: Agent,
    responder: Agent,
    admin: Agent,
    removed: Agent,
    other: Agent,
    conversation: String,
}

const SITE: &str = "acme";

async fn world() -> World {
    let edge = Edge::start();
    edge.site(
        SITE,
        &[
            ("own@acme.test", "Olga", "owner"),
            ("adm@acme.test", "Adam", "admin"),
            ("res@acme.test", "Rita", "responder"),
            ("vie@acme.test", "Vera", "viewer"),
            ("rex@acme.test", "Rex", "responder"),
            ("gone@acme.test", "Gus", "responder"),
        ],
    );
    edge.site("rival", &[("oz@rival.test", "Oz", "owner")]);
    let owner = Agent::login(&edge, SITE, "own@acme.test").await;
    let removed = Agent::login(&edge, SITE, "gone@acme.test").await;
    let res = owner
        .request(Method::DELETE, &format!("/api/admin/team/{}", removed.me.agent.id), None)
        .await;
    assert_eq!(res.status(), 204);
    let mut visitor = Visitor::join(&edge, SITE).await;
    visitor.say("m1", "I need help with an order").await;
    World {
        viewer: Agent::login(&edge, SITE, "vie@acme.test").await,
        responder: Agent::login(&edge, SITE, "res@acme.test").await,
        admin: Agent::login(&edge, SITE, "adm@acme.test").await,
        other: Agent::login(&edge, "rival", "oz@rival.test").await,
        conversation: visitor.conversation_id.clone(),
        removed,
        owner,
        edge,
    }
}

impl World {
    /// The caller's session; the removed teammate's session ended with the removal.
    fn agent(&self, caller: Caller) -> Option<&Agent> {
        match caller {
            Caller::Viewer => Some(&self.viewer),
            Caller::Responder => Some(&self.responder),
            Caller::Admin => Some(&self.admin),
            Caller::Owner => Some(&self.owner),
            Caller::Removed => Some(&self.removed),
            Caller::OtherSite => Some(&self.other),
            Caller::SignedOut => None,
        }
    }

    /// A new webhook endpoint of acme's (nothing listens there), and a delivery of its test
    /// event: what the endpoint routes act on.
    async fn hook(&self) -> (String, i64) {
        // A site has at most 10 endpoints: one is made when none is left (a call removed it).
        let listed: Vec<serde_json::Value> =
            self.owner.get("/api/admin/hooks").await.json().await.unwrap();
        let id = match listed.first() {
            Some(h) => h["id"].as_str().unwrap().to_owned(),
            None => {
                let body = serde_json::json!({ "url": "http://127.0.0.1:9/none", "events": ["conversation.ended"] });
                let res = self.owner.request(Method::POST, "/api/admin/hooks", Some(body)).await;
                assert_eq!(res.status(), 201);
                let made: serde_json::Value = res.json().await.unwrap();
                made["endpoint"]["id"].as_str().unwrap().to_owned()
            }
        };
        let test =
            self.owner.request(Method::POST, &format!("/api/admin/hooks/{id}/test"), None).await;
        let delivery =
            test.json::<serde_json::Value>().await.unwrap()["delivery"].as_i64().unwrap();
        (id, delivery)
    }

    /// A new invitation of acme's to revoke.
    async fn invitation(&self, n: usize) -> String {
        let body =
            serde_json::json!({ "email": format!("invited{n}@acme.test"), "role": "viewer" });
        let res = self.owner.request(Method::POST, "/api/admin/invitations", Some(body)).await;
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// A new teammate of acme to change or remove, so each request has a target.
    async fn victim(&self, n: usize) -> String {
        let body = serde_json::json!({ "email": format!("victim{n}@acme.test"), "name": "Victim",
            "role": "viewer", "password": integration::PASSWORD });
        let res = self.owner.request(Method::POST, "/api/admin/team", Some(body)).await;
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }
}

/// What a route answers when the call is allowed.
fn success(method: &str, path: &str) -> u16 {
    match (method, path) {
        (_, p) if p.ends_with("/ws") => 101,
        ("POST", "/api/admin/team" | "/api/admin/invitations" | "/api/admin/hooks") => 201,
        (
            "DELETE",
            "/api/admin/team/:id" | "/api/admin/invitations/:id" | "/api/admin/hooks/:id",
        )
        | ("POST", "/api/admin/logout") => 204,
        // Every check passed, and the site has no model to draft with.
        ("POST", "/api/admin/conversations/:id/assist") => 409,
        // Every check passed, and no Bot API answers at the address given.
        ("PUT", "/api/admin/channels/telegram") => 502,
        _ => 200,
    }
}

/// Whether the route acts on something of acme's named in the path (so another site's owner
/// reaches nothing), rather than on the caller's own site.
fn names_acme_resource(path: &str) -> bool {
    path.contains(":id")
}

fn expected(access: Access, caller: Caller, method: &str, path: &str) -> u16 {
    let ok = success(method, path);
    match caller {
        Caller::SignedOut | Caller::Removed => 401,
        Caller::OtherSite if names_acme_resource(path) => {
            if path.contains("/team/") {
                404
            } else if path.ends_with("/ws") {
                // Upgraded, then told the conversation does not exist and closed for good,
                // exactly as for a made-up id (`refusals.rs`, and the socket cells below).
                101
            } else {
                404
            }
        }
        // Another site's owner acts on their own site: allowed there, invisible here.
        Caller::OtherSite => ok,
        Caller::Viewer | Caller::Responder if access == Manager => 403,
        // Drafting a reply is for those who reply.
        Caller::Viewer if path.ends_with("/assist") => 403,
        _ => ok,
    }
}

async fn call(w: &World, caller: Caller, method: &str, path: &str, n: usize) -> u16 {
    let concrete = if path.contains("/team/:id") {
        path.replace(":id", &w.victim(n).await)
    } else if path.contains("/invitations/:id") {
        path.replace(":id", &w.invitation(n).await)
    } else if path.contains("/hooks/:id") {
        let (id, delivery) = w.hook().await;
        path.replace(":id", &id).replace(":delivery", &delivery.to_string())
    } else {
        path.replace(":id", &w.conversation)
    };
    // Logging out ends the session the rest of the matrix uses: log out a fresh one.
    let fresh;
    let agent = match (caller, method) {
        (Caller::SignedOut, _) => None,
        (Caller::Removed, _) => w.agent(caller),
        (_, "POST") if path == "/api/admin/logout" => {
            let me = &w.agent(caller).unwrap().me;
            fresh = Agent::login(&w.edge, &me.site_key, &me.email).await;
            Some(&fresh)
        }
        _ => w.agent(caller),
    };
    if concrete.ends_with("/ws") {
        let url = w.edge.ws_url(&concrete);
        return Socket::upgrade_status(&url, agent.map(|a| a.cookie.as_str())).await;
    }
    let body = match (method, path) {
        ("POST", "/api/admin/team") => Some(serde_json::json!({
            "email": format!("new{n}@t.test"), "name": "New", "role": "viewer",
            "password": integration::PASSWORD })),
        ("PATCH", p) if p.starts_with("/api/admin/hooks/") => {
            Some(serde_json::json!({ "enabled": true }))
        }
        ("PATCH", _) => Some(serde_json::json!({ "name": format!("Renamed {n}") })),
        ("PUT", "/api/admin/me/availability") => Some(serde_json::json!({ "away": false })),
        ("PUT", "/api/admin/me/email") => {
            Some(serde_json::json!({ "new_requests": "never", "reminders": false }))
        }
        ("POST", "/api/admin/hooks") => Some(
            serde_json::json!({ "url": "http://127.0.0.1:9/none", "events": ["conversation.ended"] }),
        ),
        ("POST", "/api/admin/invitations") => {
            Some(serde_json::json!({ "email": format!("invite{n}@t.test"), "role": "viewer" }))
        }
        ("PUT", "/api/admin/settings") => {
            let mut s: serde_json::Value = serde_json::from_str(integration::DEMO_SITE).unwrap();
            s["title"] = format!("Changed by {caller:?}").into();
            Some(s)
        }
        ("POST", "/api/admin/conversations/:id/assist") => {
            Some(serde_json::json!({ "action": "suggest" }))
        }
        ("PUT", "/api/admin/channels/whatsapp") => Some(serde_json::json!({
            "phone_number_id": "106540352242922", "access_token": "EAAGaaaaaaaaaaaaaaaaaaaaaaaa",
            "app_secret": "0123456789abcdef", "api_base": "http://127.0.0.1:9" })),
        ("PUT", "/api/admin/channels/telegram") => Some(serde_json::json!({
            "token": "123:AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "api_base": "http://127.0.0.1:9" })),
        ("PUT", "/api/admin/secrets/model-key") => Some(
            serde_json::json!({ "key": "sk-test-98765", "base_url": "https://models.test/v1" }),
        ),
        _ => None,
    };
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let res = match agent {
        Some(a) => a.request(method, &concrete, body).await,
        None => {
            let mut req =
                reqwest::Client::new().request(method, format!("{}{concrete}", w.edge.base));
            if let Some(b) = body {
                req = req.json(&b);
            }
            req.send().await.unwrap()
        }
    };
    res.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_route_for_every_caller() {
    let w = world().await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for (method, path, access) in
        ROUTES.iter().filter(|(_, _, a)| matches!(a, Member | Acting | Manager))
    {
        for caller in CALLERS {
            cells += 1;
            let want = expected(*access, caller, method, path);
            let got = call(&w, caller, method, path, cells).await;
            if got != want {
                failures.push(format!("{method} {path} as {caller:?}: {got}, expected {want}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cells >= 20 * 7, "the matrix ran {cells} cells");

    // Another site's owner changed only their own site.
    let settings: serde_json::Value =
        w.owner.get("/api/admin/settings").await.json().await.unwrap();
    assert_ne!(settings["title"], "Changed by OtherSite");
    let team: Vec<serde_json::Value> = w.owner.get("/api/admin/team").await.json().await.unwrap();
    assert!(
        team.iter().all(|m| m["name"] != "New" || m["email"].as_str().unwrap().starts_with("new"))
    );
    let theirs: Vec<serde_json::Value> = w.other.get("/api/admin/team").await.json().await.unwrap();
    assert!(theirs.iter().all(|m| !m["email"].as_str().unwrap().ends_with("acme.test")));
}

/// The state a frame is tried in.
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// The AI is answering.
    Bot,
    /// The visitor asked for a person.
    Escalated,
    /// Rex (a responder, not in the matrix) holds it.
    HeldByRex,
    /// Rex handed it back asking the visitor to rate the chat.
    RatingAsked,
    /// Rex closed it as spam.
    ClosedByRex,
}

/// What a frame should do for a caller.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Ok,
    Refused(ErrorCode),
}

use Outcome::{Ok as Done, Refused};

const FORBIDDEN: Outcome = Refused(ErrorCode::Forbidden);
const NOT_HOLDER: Outcome = Refused(ErrorCode::NotAssignee);

/// One row per frame: the state it is tried in, the frame, and the outcome for visitor,
/// viewer, responder, admin and owner.
fn frame_rows(rita_id: &str) -> Vec<(&'static str, Setup, ClientFrame, [Outcome; 5])> {
    let leave = ClientFrame::LeaveMessage {
        client_id: "f1".into(),
        name: "Ana".into(),
        email: "ana@shop.test".into(),
        text: "Call me back".into(),
    };
    let identify =
        ClientFrame::Identify { name: Some("Ana".into()), email: None, user_id: None, token: None };
    let reassign = ClientFrame::Reassign { agent_id: rita_id.to_owned() };
    let note = ClientFrame::Note { client_id: "n1".into(), text: "internal".into() };
    vec![
        (
            "send",
            Setup::Bot,
            say("s1", "hello"),
            [Done, FORBIDDEN, NOT_HOLDER, NOT_HOLDER, NOT_HOLDER],
        ),
        (
            "send to a held chat",
            Setup::HeldByRex,
            say("s2", "hi"),
            [Done, FORBIDDEN, NOT_HOLDER, NOT_HOLDER, NOT_HOLDER],
        ),
        ("note", Setup::Bot, note, [FORBIDDEN, FORBIDDEN, Done, Done, Done]),
        (
            "request_human",
            Setup::Bot,
            ClientFrame::RequestHuman,
            [Done, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        ("claim", Setup::Escalated, ClientFrame::Claim, [FORBIDDEN, FORBIDDEN, Done, Done, Done]),
        ("take over", Setup::Bot, ClientFrame::Claim, [FORBIDDEN, FORBIDDEN, Done, Done, Done]),
        (
            "claim a held chat",
            Setup::HeldByRex,
            ClientFrame::Claim,
            [
                FORBIDDEN,
                FORBIDDEN,
                Refused(ErrorCode::AlreadyClaimed),
                Refused(ErrorCode::AlreadyClaimed),
                Refused(ErrorCode::AlreadyClaimed),
            ],
        ),
        (
            "hand_back",
            Setup::HeldByRex,
            ClientFrame::HandBack { ask_rating: false },
            [FORBIDDEN, FORBIDDEN, NOT_HOLDER, Done, Done],
        ),
        (
            "rate the chat",
            Setup::RatingAsked,
            ClientFrame::Rate { ticket: 1, score: 5, comment: "Great".into() },
            [Done, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            "reassign to Rita",
            Setup::HeldByRex,
            reassign,
            [FORBIDDEN, FORBIDDEN, NOT_HOLDER, Done, Done],
        ),
        (
            "end a held chat",
            Setup::HeldByRex,
            ClientFrame::End { spam: false },
            [FORBIDDEN, FORBIDDEN, NOT_HOLDER, Done, Done],
        ),
        (
            "end as spam",
            Setup::Bot,
            ClientFrame::End { spam: true },
            [FORBIDDEN, FORBIDDEN, Done, Done, Done],
        ),
        (
            "reopen",
            Setup::ClosedByRex,
            ClientFrame::Reopen,
            [FORBIDDEN, FORBIDDEN, Done, Done, Done],
        ),
        ("leave_message", Setup::Bot, leave, [Done, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
        ("identify", Setup::Bot, identify, [Done, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
        (
            "hello again",
            Setup::Bot,
            integration::hello_visitor("x", 0),
            [Refused(ErrorCode::InvalidState); 5],
        ),
    ]
}

/// Whether a frame is one that shows the action took effect.
fn took_effect(frame: &ClientFrame, reply: &ServerFrame) -> bool {
    match (frame, reply) {
        (
            ClientFrame::Send { client_id, .. }
            | ClientFrame::Note { client_id, .. }
            | ClientFrame::LeaveMessage { client_id, .. },
            ServerFrame::Ack { client_id: got, .. },
        ) => got == client_id,
        (ClientFrame::Identify { .. }, ServerFrame::Visitor(v)) => v.name.as_deref() == Some("Ana"),
        (ClientFrame::RequestHuman, ServerFrame::State(s)) => s.phase == Phase::Escalated,
        (ClientFrame::Claim, ServerFrame::State(s)) => s.phase == Phase::Active,
        (ClientFrame::Rate { .. }, ServerFrame::Item(i)) => {
            matches!(i.body, shared::protocol::ItemBody::Event(Event::Rated { .. }))
        }
        (ClientFrame::HandBack { ask_rating: false }, ServerFrame::State(s)) => {
            s.phase == Phase::Bot
        }
        (ClientFrame::Reassign { agent_id }, ServerFrame::State(s)) => {
            s.assignee.as_ref().is_some_and(|a| a.id == *agent_id)
        }
        (ClientFrame::End { .. }, ServerFrame::State(s)) => s.phase == Phase::Ended,
        (ClientFrame::Reopen, ServerFrame::State(s)) => s.phase == Phase::Bot,
        _ => false,
    }
}

async fn outcome(socket: &mut Socket, frame: &ClientFrame) -> Option<Outcome> {
    socket.send(frame).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Some(reply) = socket.try_next(deadline - tokio::time::Instant::now()).await {
        if let ServerFrame::Error(e) = &reply {
            return Some(Refused(e.code));
        }
        if took_effect(frame, &reply) {
            return Some(Done);
        }
    }
    None
}

async fn prepare(w: &World, rex: &Agent, setup: Setup) -> Visitor {
    let mut v = Visitor::join(&w.edge, SITE).await;
    match setup {
        Setup::Bot => {}
        Setup::Escalated => {
            v.socket.send(&ClientFrame::RequestHuman).await;
            v.socket
                .until(
                    "escalated",
                    |f| matches!(f, ServerFrame::State(s) if s.phase == Phase::Escalated),
                )
                .await;
        }
        Setup::RatingAsked => {
            let mut desk = held_by(rex, &mut v).await;
            desk.send(&ClientFrame::HandBack { ask_rating: true }).await;
            v.socket
                .until("the request for a rating", |f| {
                    matches!(f, ServerFrame::Item(i) if matches!(i.body, shared::protocol::ItemBody::Event(Event::RatingAsked { .. })))
                })
                .await;
            v.socket
                .until(
                    "handed back",
                    |f| matches!(f, ServerFrame::State(s) if s.phase == Phase::Bot),
                )
                .await;
        }
        Setup::HeldByRex => {
            held_by(rex, &mut v).await;
        }
        Setup::ClosedByRex => {
            let mut desk = held_by(rex, &mut v).await;
            desk.send(&ClientFrame::End { spam: true }).await;
            v.socket
                .until("closed", |f| matches!(f, ServerFrame::State(s) if s.phase == Phase::Ended))
                .await;
        }
    }
    v
}

/// Rex claims the visitor's conversation; both sides have heard it (so it is not taken for
/// the outcome of the frame tried next). Rex's socket, to act further.
async fn held_by(rex: &Agent, v: &mut Visitor) -> Socket {
    let (mut desk, _) = rex.open(&v.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    let active = |f: &ServerFrame| matches!(f, ServerFrame::State(s) if s.phase == Phase::Active);
    desk.until("claimed", active).await;
    v.socket.until("claimed", active).await;
    desk
}

/// The benchmark's routes exist only on a worker started with `BENCHMARK=1`: on any other,
/// nobody reads a site's load or writes reports into its index through them.
#[tokio::test(flavor = "multi_thread")]
async fn benchmark_routes_are_not_served_by_a_deployment() {
    let w = world().await;
    let http = reqwest::Client::new();
    let load = http.get(format!("{}/api/bench/sites/{SITE}/load", w.edge.base)).send().await;
    assert_eq!(load.unwrap().status(), 404);
    let batch =
        serde_json::json!({ "upto": 1, "summary": {}, "tickets": [], "mentions": [], "usage": [] });
    for route in ["reports", "floor", "fetched", "ingress"] {
        let url = format!("{}/api/bench/sites/{SITE}/{route}", w.edge.base);
        assert_eq!(http.post(url).json(&batch).send().await.unwrap().status(), 404);
    }
    let echo = w.edge.ws_url(&format!("/api/bench/echo/{}/ws", "0".repeat(32)));
    assert_eq!(Socket::upgrade_status(&echo, None).await, 404);
    // Nobody makes a conversation act as if its storage failed.
    let mut v = Visitor::join(&w.edge, SITE).await;
    let url =
        format!("{}/api/bench/conversations/{}/fail-reads?reads=9", w.edge.base, v.conversation_id);
    assert_eq!(http.post(url).send().await.unwrap().status(), 404);
    v.say("m1", "still served").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_socket_frame_for_every_caller() {
    let w = world().await;
    let rex = Agent::login(&w.edge, SITE, "rex@acme.test").await;
    let mut failures = Vec::new();
    let mut cells = 0;
    let rows = frame_rows(&w.responder.me.agent.id);
    for (name, setup, frame, outcomes) in &rows {
        // Visitor, viewer, responder, admin, owner: a fresh conversation each.
        for (i, want) in outcomes.iter().enumerate() {
            cells += 1;
            let mut v = prepare(&w, &rex, *setup).await;
            let got = if i == 0 {
                outcome(&mut v.socket, frame).await
            } else {
                let agent = [&w.viewer, &w.responder, &w.admin, &w.owner][i - 1];
                let (mut socket, _) = agent.open(&v.conversation_id).await;
                outcome(&mut socket, frame).await
            };
            if got != Some(*want) {
                failures.push(format!("{name} as caller {i}: {got:?}, expected {want:?}"));
            }
        }
        // Someone signed out cannot open the socket at all; to another site's owner the
        // conversation does not exist (told so, then a final close, as for a made-up id).
        let v = prepare(&w, &rex, *setup).await;
        let url = w.edge.ws_url(&format!("/api/admin/conversations/{}/ws", v.conversation_id));
        cells += 1;
        let got = Socket::upgrade_status(&url, None).await;
        if got != 401 {
            failures.push(format!("{name} signed out: upgrade {got}, expected 401"));
        }
        cells += 1;
        let mut other = w.other.socket(&v.conversation_id).await;
        other.try_send_raw(&serde_json::to_string(&integration::hello_agent(0)).unwrap()).await;
        let told = other.error().await.code;
        let closed = other.next_within(Duration::from_secs(5)).await;
        if told != ErrorCode::UnknownConversation
            || !matches!(closed, integration::Next::Closed(4004))
        {
            failures.push(format!("{name} as other site: {told:?}, then {closed:?}"));
        }
        // A teammate removed while their socket is open: it closes, and nothing they send
        // takes effect.
        cells += 1;
        let n = cells;
        let email = format!("leaver{n}@acme.test");
        let body = serde_json::json!({ "email": email, "name": format!("Leaver {n}"), "role": "admin",
            "password": integration::PASSWORD });
        let res = w.owner.request(Method::POST, "/api/admin/team", Some(body)).await;
        assert_eq!(res.status(), 201);
        let leaver = Agent::login(&w.edge, SITE, &email).await;
        let (mut socket, _) = leaver.open(&v.conversation_id).await;
        let res = w
            .owner
            .request(Method::DELETE, &format!("/api/admin/team/{}", leaver.me.agent.id), None)
            .await;
        assert_eq!(res.status(), 204);
        if !socket.closed_within(Duration::from_secs(5)).await {
            failures.push(format!("{name}: a removed teammate's socket stayed open"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, rows.len() * 8);
}
