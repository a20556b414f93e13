//! Hostile teammates against accounts and sessions: an admin reaching for the owner's
//! account, a session left open changing the password, removed and demoted teammates acting
//! through sockets opened before. Each case asserts the clear refusal and that nothing
//! changed; account changes reach open sockets at once.

use std::time::Duration;

use integration::{Agent, Edge, PASSWORD, Visitor};
use reqwest::Method;
use shared::protocol::{ClientFrame, ErrorCode, Participant, Role, ServerFrame};

const SOON: Duration = Duration::from_secs(5);

async fn can_login(edge: &Edge, site: &str, email: &str, password: &str) -> bool {
    reqwest::Client::new()
        .post(format!("{}/api/admin/login", edge.base))
        .header("CF-Connecting-IP", integration::client_ip())
        .json(&serde_json::json!({ "site_key": site, "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

fn member_path(agent: &Agent) -> String {
    format!("/api/admin/team/{}", agent.me.agent.id)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_cannot_touch_an_owners_account() {
    let edge = Edge::start();
    let site =
        edge.site("owned", &[("own@t.test", "Olga", "owner"), ("adm@t.test", "Adam", "admin")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let admin = Agent::login(&edge, &site, "adm@t.test").await;
    let path = member_path(&owner);
    let attempts = [
        ("the owner's password", serde_json::json!({ "password": "attacker-chosen-1" })),
        ("the owner's name", serde_json::json!({ "name": "Pwned" })),
        ("the owner's email", serde_json::json!({ "email": "attacker@evil.test" })),
        ("the owner's role", serde_json::json!({ "role": "viewer" })),
        (
            "all at once",
            serde_json::json!({ "name": "X", "password": "attacker-chosen-1", "role": "admin" }),
        ),
    ];
    for (what, change) in attempts {
        let res = admin.request(Method::PATCH, &path, Some(change)).await;
        assert_eq!(integration::refusal(res).await, (403, "forbidden".into()), "{what}");
    }
    let res = admin.request(Method::DELETE, &path, None).await;
    assert_eq!(integration::refusal(res).await, (403, "forbidden".into()), "removing the owner");
    // An admin cannot make themselves (or anyone) an owner either.
    let res = admin
        .request(Method::PATCH, &member_path(&admin), Some(serde_json::json!({ "role": "owner" })))
        .await;
    assert_eq!(integration::refusal(res).await, (403, "forbidden".into()), "self-promotion");

    // Nothing changed: the owner signs in as before, with the same name, email and role.
    assert!(can_login(&edge, &site, "own@t.test", PASSWORD).await);
    assert!(!can_login(&edge, &site, "attacker@evil.test", "attacker-chosen-1").await);
    let team: Vec<serde_json::Value> = owner.get("/api/admin/team").await.json().await.unwrap();
    let olga = team.iter().find(|m| m["email"] == "own@t.test").unwrap();
    assert_eq!((olga["name"].as_str(), olga["role"].as_str()), (Some("Olga"), Some("owner")));
    assert_eq!(owner.get("/api/admin/me").await.status(), 200, "the owner's session lives on");
}

#[tokio::test(flavor = "multi_thread")]
async fn your_own_password_and_email_change_only_with_your_current_password() {
    let edge = Edge::start();
    let site = edge
        .site("selfcare", &[("res@t.test", "Rita", "responder"), ("b@t.test", "Bo", "responder")]);
    let rita = Agent::login(&edge, &site, "res@t.test").await;
    let attempts = [
        ("no current password", serde_json::json!({ "password": "a-new-password-1" })),
        (
            "a wrong one",
            serde_json::json!({ "password": "a-new-password-1", "current_password": "guess-guess" }),
        ),
        ("email, none", serde_json::json!({ "email": "rita@evil.test" })),
    ];
    for (what, change) in attempts {
        let res = rita.request(Method::PATCH, "/api/admin/me", Some(change)).await;
        assert_eq!(integration::refusal(res).await, (403, "wrong_password".into()), "{what}");
    }
    assert!(can_login(&edge, &site, "res@t.test", PASSWORD).await, "the password did not change");

    // Taken emails and weak passwords are refused with the current password too.
    let taken = serde_json::json!({ "email": "b@t.test", "current_password": PASSWORD });
    let res = rita.request(Method::PATCH, "/api/admin/me", Some(taken)).await;
    assert_eq!(integration::refusal(res).await, (409, "member_exists".into()));
    let weak = serde_json::json!({ "password": "short", "current_password": PASSWORD });
    let res = rita.request(Method::PATCH, "/api/admin/me", Some(weak)).await;
    assert_eq!(integration::refusal(res).await, (400, "weak_password".into()));

    // Guessing the current password is limited like signing in (five wrong guesses).
    for _ in 0..5 {
        let guess = serde_json::json!({ "password": "a-new-password-1", "current_password": "nope-nope-nope" });
        rita.request(Method::PATCH, "/api/admin/me", Some(guess)).await;
    }
    let right = serde_json::json!({ "password": "a-new-password-1", "current_password": PASSWORD });
    let res = rita.request(Method::PATCH, "/api/admin/me", Some(right)).await;
    assert_eq!(
        integration::refusal(res).await,
        (429, "too_many_attempts".into()),
        "five wrong guesses lock"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_password_ends_every_other_session_and_closes_their_sockets() {
    let edge = Edge::start();
    let site = edge
        .site("rotate", &[("own@t.test", "Olga", "owner"), ("res@t.test", "Rita", "responder")]);
    let visitor = Visitor::join(&edge, &site).await;
    let laptop = Agent::login(&edge, &site, "res@t.test").await;
    let phone = Agent::login(&edge, &site, "res@t.test").await;
    let mut phone_inbox = phone.inbox().await;
    phone_inbox.until_json("the snapshot", |v| v["type"] == "snapshot").await;
    let (mut phone_chat, _) = phone.open(&visitor.conversation_id).await;
    let (mut laptop_chat, _) = laptop.open(&visitor.conversation_id).await;

    let change =
        serde_json::json!({ "password": "rita-new-password", "current_password": PASSWORD });
    let res = laptop.request(Method::PATCH, "/api/admin/me", Some(change)).await;
    assert_eq!(res.status(), 200);
    // The phone's session is over, its sockets closed as "session ended" (4001).
    assert_eq!(phone.get("/api/admin/me").await.status(), 401);
    assert_eq!(phone_inbox.close_code_within(SOON).await, Some(4001));
    assert_eq!(phone_chat.close_code_within(SOON).await, Some(4001));
    // The laptop, where the change was made, carries on.
    assert_eq!(laptop.get("/api/admin/me").await.status(), 200);
    assert_eq!(laptop_chat.close_code_within(Duration::from_millis(500)).await, None);
    assert!(can_login(&edge, &site, "res@t.test", "rita-new-password").await);
    assert!(!can_login(&edge, &site, "res@t.test", PASSWORD).await);

    // An owner resetting a teammate's password ends all of that teammate's sessions.
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let reset = serde_json::json!({ "password": "set-by-the-owner-1" });
    let res = owner.request(Method::PATCH, &member_path(&laptop), Some(reset)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(laptop.get("/api/admin/me").await.status(), 401);
    assert_eq!(laptop_chat.close_code_within(SOON).await, Some(4001));

    // Signing out closes that session's sockets too.
    let mut owner_inbox = owner.inbox().await;
    owner_inbox.until_json("the snapshot", |v| v["type"] == "snapshot").await;
    let res = owner.request(Method::POST, "/api/admin/logout", None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(owner_inbox.close_code_within(SOON).await, Some(4001));
}

#[tokio::test(flavor = "multi_thread")]
async fn removed_and_demoted_teammates_lose_their_open_sockets_at_once() {
    let edge = Edge::start();
    let site = edge.site(
        "revoked",
        &[
            ("own@t.test", "Olga", "owner"),
            ("res@t.test", "Rita", "responder"),
            ("dem@t.test", "Dora", "responder"),
        ],
    );
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("v1", "hello").await;

    // Removed: the conversation socket and the inbox socket close; nothing sent after counts,
    // and the conversation Rita held goes back to Pending for the rest of the team.
    let rita = Agent::login(&edge, &site, "res@t.test").await;
    let mut inbox = rita.inbox().await;
    inbox.until_json("the snapshot", |v| v["type"] == "snapshot").await;
    let (mut chat, _) = rita.open(&visitor.conversation_id).await;
    chat.send(&ClientFrame::Claim).await;
    chat.until("the claim", |f| matches!(f, ServerFrame::State(s) if s.assignee.is_some())).await;
    let res = owner.request(Method::DELETE, &member_path(&rita), None).await;
    assert_eq!(res.status(), 204);
    // A client that ignores the close (it has not even read it) and writes on: nothing it
    // sends counts.
    let note = ClientFrame::Note { client_id: "after".into(), text: "still here".into() };
    chat.send(&note).await;
    chat.send(&ClientFrame::End { spam: true }).await;
    assert_eq!(chat.close_code_within(SOON).await, Some(4001), "conversation socket");
    assert_eq!(inbox.close_code_within(SOON).await, Some(4001), "inbox socket");
    let url = edge.ws_url(&format!("/api/admin/conversations/{}/ws", visitor.conversation_id));
    assert_eq!(integration::Socket::upgrade_status(&url, Some(&rita.cookie)).await, 401);
    visitor
        .socket
        .until("back to Pending", |f| {
            matches!(integration::event(f), Some(shared::protocol::Event::Requeued { agent }) if agent.name == "Rita")
        })
        .await;
    let history = integration::history(&edge, &visitor).await;
    let by_rita = |i: &shared::protocol::Item| matches!(&i.body, shared::protocol::ItemBody::Message(m) if format!("{:?}", m.author).contains("Rita"));
    assert!(!history.iter().any(by_rita), "Rita said nothing");
    let (_, team_view) = owner.open(&visitor.conversation_id).await;
    assert!(
        !team_view.backlog.iter().any(|i| format!("{i:?}").contains("still here")),
        "no note after the removal"
    );
    assert_ne!(team_view.state.phase, shared::protocol::Phase::Ended, "not closed by Rita");

    // Demoted to viewer: the socket closes as "access changed" (4003); the reconnect is a
    // viewer's, and a claim is refused.
    let dora = Agent::login(&edge, &site, "dem@t.test").await;
    let (mut chat, _) = dora.open(&visitor.conversation_id).await;
    let demote = serde_json::json!({ "role": "viewer" });
    let res = owner.request(Method::PATCH, &member_path(&dora), Some(demote)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(chat.close_code_within(SOON).await, Some(4003));
    let (mut chat, welcome) = dora.open(&visitor.conversation_id).await;
    assert!(
        matches!(welcome.you, Participant::Agent { role: Role::Viewer, .. }),
        "{:?}",
        welcome.you
    );
    chat.send(&ClientFrame::Claim).await;
    assert_eq!(chat.error().await.code, ErrorCode::Forbidden);
    let state = integration::history(&edge, &visitor).await;
    assert!(state.iter().all(|i| !format!("{i:?}").contains("Dora")), "Dora did nothing");

    // Renamed: sockets reconnect under the new name, so bubbles never show the old one.
    let (mut chat, _) = owner.open(&visitor.conversation_id).await;
    let rename = serde_json::json!({ "name": "Olga M." });
    let res = owner.request(Method::PATCH, &member_path(&owner), Some(rename)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(chat.close_code_within(SOON).await, Some(4003));
    let (mut chat, _) = owner.open(&visitor.conversation_id).await;
    chat.send(&ClientFrame::Claim).await;
    let joined = chat
        .until("the owner's claim", |f| matches!(f, ServerFrame::State(s) if s.assignee.is_some()))
        .await;
    assert!(
        matches!(joined, ServerFrame::State(s) if s.assignee.as_ref().is_some_and(|a| a.name == "Olga M."))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_on_purpose_cannot_lock_a_teammate_out() {
    let edge = Edge::start();
    let site = edge.site("lockout", &[("own@t.test", "Olga", "owner")]);
    let login = |ip: &'static str, password: &'static str| {
        let (base, site) = (edge.base.clone(), site.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/api/admin/login"))
                .header("CF-Connecting-IP", ip)
                .json(&serde_json::json!({ "site_key": site, "email": "own@t.test", "password": password }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for _ in 0..5 {
        assert_eq!(login("203.0.113.9", "wrong-wrong-wrong").await, 401);
    }
    // The attacker's address is locked for this email, even with the right password…
    assert_eq!(login("203.0.113.9", PASSWORD).await, 429);
    // …and the owner, anywhere else, signs in.
    assert_eq!(login("198.51.100.20", PASSWORD).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn running_setup_again_ends_the_sessions_of_the_accounts_it_resets() {
    let mut edge = Edge::start();
    let site = edge.site("recover", &[("own@t.test", "Olga", "owner")]);
    let hijacked = Agent::login(&edge, &site, "own@t.test").await;
    edge.restart_with_new_setup_token();
    assert_eq!(hijacked.get("/api/admin/me").await.status(), 200, "sessions survive a restart");
    let owner = serde_json::json!({ "email": "own@t.test", "name": "Olga", "role": "owner",
        "password": "recovered-password-1" });
    let settings: serde_json::Value = serde_json::from_str(integration::DEMO_SITE).unwrap();
    let res = edge
        .setup_raw(
            &serde_json::json!({ "site_key": site, "settings": settings, "members": [owner] }),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(hijacked.get("/api/admin/me").await.status(), 401, "the old session is over");
    assert!(can_login(&edge, &site, "own@t.test", "recovered-password-1").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn guesses_sent_all_at_once_meet_the_lock_too() {
    let edge = Edge::start();
    let site = edge.site("burst", &[("own@t.test", "Olga", "owner")]);
    let guesses = (0..12).map(|i| {
        let (base, site) = (edge.base.clone(), site.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/admin/login"))
                .header("CF-Connecting-IP", "203.0.113.50")
                .json(&serde_json::json!({ "site_key": site, "email": "own@t.test",
                    "password": format!("guess-number-{i}") }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let answers: Vec<u16> =
        futures_util::future::join_all(guesses).await.into_iter().map(|r| r.unwrap()).collect();
    let checked = answers.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "only five guesses were checked: {answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 12 - checked, "{answers:?}");
}
