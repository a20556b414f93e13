//! Team accounts by email, through a real worker and the mail it sends: an owner or admin
//! invites a teammate, who sets their own name and password from the link (once, within 7
//! days); "Forgot password" mails a link that sets a new one (once, within an hour) and ends
//! every session of the account, answering the same whether or not the email is a
//! teammate's.

use std::time::Duration;

use integration::mail::Mail;
use integration::{Agent, Edge, PASSWORD};
use reqwest::Method;
use shared::links::{Invitation, InviteInfo};
use shared::protocol::Role;

const TEAM: &[(&str, &str, &str)] = &[
    ("own@t.test", "Olga", "owner"),
    ("adm@t.test", "Adam", "admin"),
    ("ana@t.test", "Ana", "responder"),
];

/// The link's token (after `#token=`) and the page it opens.
fn token_in(mail: &Mail, page: &str) -> String {
    let url = mail
        .text
        .split_whitespace()
        .find(|w| w.contains(&format!("/admin/{page}?site=")))
        .unwrap_or_else(|| panic!("a {page} link in {}", mail.text));
    url.split("#token=").nth(1).expect("a token after #").to_owned()
}

async fn post(edge: &Edge, path: &str, body: serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", edge.base))
        .header("CF-Connecting-IP", integration::client_ip())
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn login_status(edge: &Edge, site: &str, email: &str, password: &str) -> u16 {
    let body = serde_json::json!({ "site_key": site, "email": email, "password": password });
    post(edge, "/api/admin/login", body).await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_teammate_joins_with_their_own_name_and_password() {
    let edge = Edge::start();
    let site = edge.site("invites", TEAM);
    let adam = Agent::login(&edge, &site, "adm@t.test").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;

    // Who may invite whom.
    let owner = serde_json::json!({ "email": "boss@t.test", "role": "owner" });
    assert_eq!(
        adam.request(Method::POST, "/api/admin/invitations", Some(owner)).await.status(),
        403
    );
    let new = serde_json::json!({ "email": "Neo@T.test", "role": "responder" });
    let by_responder = ana.request(Method::POST, "/api/admin/invitations", Some(new.clone())).await;
    assert_eq!(by_responder.status(), 403);
    let taken = serde_json::json!({ "email": "ana@t.test", "role": "viewer" });
    assert_eq!(
        adam.request(Method::POST, "/api/admin/invitations", Some(taken)).await.status(),
        409
    );
    let junk = serde_json::json!({ "email": "not an email", "role": "viewer" });
    assert_eq!(
        adam.request(Method::POST, "/api/admin/invitations", Some(junk)).await.status(),
        400
    );
    let shape = serde_json::json!({ "email": "x@t.test", "role": "emperor" });
    assert_eq!(
        adam.request(Method::POST, "/api/admin/invitations", Some(shape)).await.status(),
        400
    );

    let res = adam.request(Method::POST, "/api/admin/invitations", Some(new)).await;
    assert_eq!(res.status(), 201);
    let made: Invitation = res.json().await.unwrap();
    assert_eq!((made.email.as_str(), made.role), ("neo@t.test", Role::Responder));
    let listed: Vec<Invitation> = adam.get("/api/admin/invitations").await.json().await.unwrap();
    assert_eq!(listed, vec![made.clone()]);

    let mail = edge.mail_until("the invitation", |m| m.iter().any(|m| m.is_to("neo@t.test"))).await;
    let invite = mail.iter().find(|m| m.is_to("neo@t.test")).unwrap();
    assert_eq!(invite.subject, "Adam invited you to the Northwind Outfitters team");
    assert!(invite.text.contains(&format!("{}/admin/invite?site={site}#token=", edge.base)));
    assert!(invite.list_unsubscribe.is_none(), "an invitation is not a list mail");
    let token = token_in(invite, "invite");

    let link = serde_json::json!({ "site_key": site, "token": token });
    let res = post(&edge, "/api/account/invite/info", link.clone()).await;
    // The site object's answer, passed on by the Worker (whose copy of the headers arrives
    // immutable), still says what it is.
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let info: InviteInfo = res.json().await.unwrap();
    assert_eq!(info.email, "neo@t.test");
    assert_eq!(
        (info.role, info.site_title.as_str(), info.invited_by.as_str()),
        (Role::Responder, "Northwind Outfitters", "Adam")
    );

    // A weak password is refused and the link still works; then the teammate joins.
    let weak =
        serde_json::json!({ "site_key": site, "token": token, "name": "Neo", "password": "short" });
    assert_eq!(post(&edge, "/api/account/invite", weak).await.status(), 400);
    let join = serde_json::json!({ "site_key": site, "token": token, "name": "Neo", "password": PASSWORD });
    assert_eq!(post(&edge, "/api/account/invite", join.clone()).await.status(), 201);
    let neo = Agent::login(&edge, &site, "neo@t.test").await;
    assert_eq!((neo.me.agent.name.as_str(), neo.me.role), ("Neo", Role::Responder));

    // Once only; the list is empty; the page says the link is spent.
    assert_eq!(post(&edge, "/api/account/invite", join).await.status(), 410);
    assert_eq!(post(&edge, "/api/account/invite/info", link).await.status(), 410);
    let listed: Vec<Invitation> = adam.get("/api/admin/invitations").await.json().await.unwrap();
    assert!(listed.is_empty());

    // A revoked invitation's link stops working.
    let again = serde_json::json!({ "email": "tri@t.test", "role": "viewer" });
    let made: Invitation = adam
        .request(Method::POST, "/api/admin/invitations", Some(again))
        .await
        .json()
        .await
        .unwrap();
    let mail =
        edge.mail_until("the second invitation", |m| m.iter().any(|m| m.is_to("tri@t.test"))).await;
    let token = token_in(mail.iter().find(|m| m.is_to("tri@t.test")).unwrap(), "invite");
    let path = format!("/api/admin/invitations/{}", made.id);
    assert_eq!(adam.request(Method::DELETE, &path, None).await.status(), 204);
    let join = serde_json::json!({ "site_key": site, "token": token, "name": "Tri", "password": PASSWORD });
    assert_eq!(post(&edge, "/api/account/invite", join).await.status(), 410);
    assert_eq!(login_status(&edge, &site, "tri@t.test", PASSWORD).await, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let edge = Edge::start();
    let site = edge.site("resets", TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let mut inbox = ana.inbox().await;

    // The same answer for a teammate, a stranger, and a site that does not exist.
    let ask = |email: &str, site: &str| serde_json::json!({ "site_key": site, "email": email });
    let known = post(&edge, "/api/account/reset", ask("ANA@t.test", &site)).await;
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap();
    let stranger =
        post(&edge, "/api/account/reset", ask("nobody@t.test", &site)).await.text().await.unwrap();
    let nowhere = post(&edge, "/api/account/reset", ask("ana@t.test", "no-such-site"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(known, stranger);
    assert_eq!(known, nowhere);

    let mail = edge.mail_until("the reset link", |m| !m.is_empty()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(edge.mail().len(), 1, "nothing is mailed to an address not on the team");
    assert!(mail[0].is_to("ana@t.test"));
    assert_eq!(mail[0].subject, "Set a new password for Northwind Outfitters");
    let token = token_in(&mail[0], "reset");

    let weak = serde_json::json!({ "site_key": site, "token": token, "password": "short" });
    assert_eq!(post(&edge, "/api/account/reset/finish", weak).await.status(), 400);
    let wrong = serde_json::json!({ "site_key": site, "token": "ab".repeat(32), "password": "a brand new password" });
    assert_eq!(post(&edge, "/api/account/reset/finish", wrong).await.status(), 410);
    let set =
        serde_json::json!({ "site_key": site, "token": token, "password": "a brand new password" });
    assert_eq!(post(&edge, "/api/account/reset/finish", set.clone()).await.status(), 200);

    // Every session ended, at once: the open inbox closes, the cookie no longer works.
    assert_eq!(inbox.close_code_within(Duration::from_secs(10)).await, Some(4001));
    assert_eq!(ana.get("/api/admin/me").await.status(), 401);
    assert_eq!(login_status(&edge, &site, "ana@t.test", PASSWORD).await, 401);
    assert_eq!(login_status(&edge, &site, "ana@t.test", "a brand new password").await, 200);
    // Once only.
    assert_eq!(post(&edge, "/api/account/reset/finish", set).await.status(), 410);

    // At most three reset mails an hour per teammate, however often anyone asks.
    for _ in 0..4 {
        assert_eq!(post(&edge, "/api/account/reset", ask("adm@t.test", &site)).await.status(), 200);
    }
    edge.mail_until("three mails to Adam", |m| {
        m.iter().filter(|m| m.is_to("adm@t.test")).count() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(edge.mail_to("adm@t.test").len(), 3);
}
