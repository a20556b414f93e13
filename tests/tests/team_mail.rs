//! Team mail through a real worker, read back from the messages local wrangler writes (parsed
//! as a mail client would): a new request mails the teammates whose choice says so (owners
//! and admins by default) with who waits, what they need, the last messages and a link into
//! the console; each teammate chooses; a flood gives digests; a request still unclaimed gets
//! one reminder; a message left for the team is mailed too; the unsubscribe link works and
//! cannot be forged.

use std::collections::BTreeSet;
use std::time::Duration;

use integration::mail::Mail;
use integration::{Agent, Edge, Visitor, demo_settings, event};
use reqwest::Method;
use shared::mail::{EmailPrefs, MyEmail, RequestMail};
use shared::protocol::{ClientFrame, Event};

const TEAM: &[(&str, &str, &str)] = &[
    ("own@t.test", "Olga", "owner"),
    ("adm@t.test", "Adam", "admin"),
    ("ana@t.test", "Ana", "responder"),
    ("vic@t.test", "Vic", "viewer"),
];

/// Visitors wait for a person even with no console open: the mail is what reaches the team.
fn waiting_settings(email: serde_json::Value) -> String {
    demo_settings(|s| {
        s["takeover"] = serde_json::json!({ "when_nobody_available": "wait" });
        s["email"] = email.clone();
    })
}

async fn ask(edge: &Edge, site: &str, name: &str, need: &str) -> Visitor {
    let mut v = Visitor::join(edge, site).await;
    let me = ClientFrame::Identify {
        name: Some(name.into()),
        email: Some(format!("{name}@v.test")),
        user_id: None,
        token: None,
    };
    v.socket.send(&me).await;
    v.say("v1", need).await;
    request(&mut v).await;
    v
}

async fn request(v: &mut Visitor) {
    v.socket.send(&ClientFrame::RequestHuman).await;
    v.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
}

fn link(edge: &Edge, v: &Visitor) -> String {
    format!("{}/admin/c/{}", edge.base, v.conversation_id)
}

/// The conversations a teammate's mail links to.
fn linked(mail: &[Mail], to: &str) -> BTreeSet<String> {
    mail.iter()
        .filter(|m| m.is_to(to))
        .flat_map(|m| {
            m.text
                .split_whitespace()
                .filter_map(|w| w.split("/admin/c/").nth(1).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn prefs(agent: &Agent, new_requests: RequestMail, reminders: bool) {
    let body = serde_json::to_value(EmailPrefs { new_requests, reminders }).unwrap();
    let res = agent.request(Method::PUT, "/api/admin/me/email", Some(body)).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_request_mails_owners_and_admins_with_who_waits_and_a_link() {
    let edge = Edge::start();
    let site = edge.site_with("mail-new", &waiting_settings(serde_json::json!({})), TEAM);
    let mia = ask(&edge, &site, "Mia", "My order 1234 never arrived, can someone check it?").await;

    let mail = edge.mail_until("mail to the owner and the admin", |m| m.len() >= 2).await;
    let to: BTreeSet<&str> = mail.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    assert_eq!(to, BTreeSet::from(["own@t.test", "adm@t.test"]));
    for m in &mail {
        assert_eq!(m.from, "takeover@localhost");
        assert_eq!(m.subject, "Mia asked for a person — Northwind Outfitters");
        assert!(m.text.contains("Mia — waiting"), "{}", m.text);
        assert!(m.text.contains("Needs: My order 1234 never arrived"), "{}", m.text);
        assert!(m.text.contains("Mia@v.test"), "{}", m.text);
        assert!(m.text.contains("Last messages:"), "{}", m.text);
        assert!(m.text.contains(&link(&edge, &mia)), "{}", m.text);
        assert!(m.html.contains(&format!("href=\"{}\"", link(&edge, &mia))), "{}", m.html);
        let unsubscribe = m.list_unsubscribe.as_deref().unwrap_or_default();
        assert!(unsubscribe.contains("/api/unsubscribe?"), "{unsubscribe}");
        assert_eq!(m.list_unsubscribe_post.as_deref(), Some("List-Unsubscribe=One-Click"));
    }

    // The same wait is mailed once, however often the conversation reports it.
    let mut mia = mia;
    mia.say("v2", "Still here, order 1234").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(edge.mail().len(), 2, "one mail per teammate per request");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_teammate_chooses_which_mail_they_get() {
    let edge = Edge::start();
    let site = edge.site_with("mail-prefs", &waiting_settings(serde_json::json!({})), TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let adam = Agent::login(&edge, &site, "adm@t.test").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;

    // Until chosen: by role.
    let mine: MyEmail = ana.get("/api/admin/me/email").await.json().await.unwrap();
    assert_eq!(mine.prefs, EmailPrefs::default_for(shared::protocol::Role::Responder));
    assert!(mine.sending);
    assert_eq!(mine.email, "ana@t.test");

    prefs(&olga, RequestMail::Never, true).await;
    // No business hours: the site is always "in hours", so this is never.
    prefs(&adam, RequestMail::OutsideHours, true).await;
    prefs(&ana, RequestMail::Always, false).await;
    let read: MyEmail = ana.get("/api/admin/me/email").await.json().await.unwrap();
    assert_eq!(read.prefs, EmailPrefs { new_requests: RequestMail::Always, reminders: false });

    // Hostile bodies change nothing.
    let bad = serde_json::json!({ "new_requests": "sometimes", "reminders": true });
    assert_eq!(ana.request(Method::PUT, "/api/admin/me/email", Some(bad)).await.status(), 400);
    let no_csrf = reqwest::Client::new()
        .put(format!("{}/api/admin/me/email", edge.base))
        .header("Cookie", &ana.cookie)
        .json(&serde_json::json!({ "new_requests": "never", "reminders": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);

    let bo = ask(&edge, &site, "Bo", "Where can I change my delivery address?").await;
    let mail = edge.mail_until("mail to Ana", |m| !m.is_empty()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mail = if edge.mail().len() > mail.len() { edge.mail() } else { mail };
    assert_eq!(mail.len(), 1, "only Ana asked for every request: {mail:#?}");
    assert!(mail[0].is_to("ana@t.test"));
    assert!(mail[0].text.contains(&link(&edge, &bo)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_requests_gives_a_digest_without_what_was_claimed_meanwhile() {
    // A short window, so the digest comes within the test.
    let edge = Edge::start_with(&[("MAIL_WINDOW_SECS", "8")]);
    let team = &[("own@t.test", "Olga", "owner")];
    let site = edge.site_with("mail-flood", &waiting_settings(serde_json::json!({})), team);
    let mut visitors = Vec::new();
    for i in 0..8 {
        let mut v = Visitor::join(&edge, &site).await;
        v.say("v1", &format!("Question number {i} about my order")).await;
        visitors.push(v);
    }
    for v in &mut visitors {
        request(v).await;
    }
    let ids: BTreeSet<String> = visitors.iter().map(|v| v.conversation_id.clone()).collect();

    // Three mails at most in the window; then the rest wait.
    let first = edge
        .mail_until("the first mails", |m| m.len() >= 3 || linked(m, "own@t.test") == ids)
        .await;
    let sent = linked(&first, "own@t.test");
    eprintln!("first {} mails cover {} of 8 requests", first.len(), sent.len());
    // One not mailed yet is claimed before the digest: it is left out.
    let claimed = ids.difference(&sent).next().cloned();
    if let Some(id) = &claimed {
        let olga = Agent::login(&edge, &site, "own@t.test").await;
        let (mut desk, _) = olga.open(id).await;
        desk.send(&ClientFrame::Claim).await;
        desk.until("claimed", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    }
    let want: BTreeSet<String> =
        ids.iter().filter(|id| Some(*id) != claimed.as_ref()).cloned().collect();
    let all = edge
        .mail_within(Duration::from_secs(30), "the digest", |m| linked(m, "own@t.test") == want)
        .await;
    let subjects: Vec<&String> = all.iter().map(|m| &m.subject).collect();
    assert!(all.len() <= 4, "3 mails, then one digest: {subjects:#?}");
    assert!(subjects.iter().any(|s| s.contains(" visitors asked for a person")), "{subjects:#?}");
    // Nothing more comes, and nothing for the claimed request.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(edge.mail().len(), all.len());
    assert!(claimed.is_none_or(|id| !linked(&edge.mail(), "own@t.test").contains(&id)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_still_unclaimed_gets_one_reminder() {
    let edge = Edge::start();
    let email = serde_json::json!({ "remind_after_secs": 3, "remind_everyone": true });
    let site = edge.site_with("mail-remind", &waiting_settings(email), TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let adam = Agent::login(&edge, &site, "adm@t.test").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    // Ana takes no request mail but does take reminders: with remind_everyone she gets them.
    prefs(&ana, RequestMail::Never, true).await;
    // Adam takes request mail but no reminders.
    prefs(&adam, RequestMail::Always, false).await;

    let kim = ask(&edge, &site, "Kim", "I was charged twice for one order").await;
    let lou = ask(&edge, &site, "Lou", "Can I return shoes after 40 days?").await;
    let (mut desk, _) = olga.open(&lou.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    desk.until("claimed", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;

    let is_reminder = |m: &Mail| m.subject.starts_with("Still unclaimed after");
    let mail = edge
        .mail_until("reminders to Olga and Ana", |m| {
            m.iter().filter(|m| is_reminder(m)).count() >= 2
        })
        .await;
    let reminders: Vec<&Mail> = mail.iter().filter(|m| is_reminder(m)).collect();
    for r in &reminders {
        assert!(r.subject.contains("Kim"), "{}", r.subject);
        assert!(r.text.contains(&link(&edge, &kim)));
        assert!(!r.text.contains(&link(&edge, &lou)), "the claimed request is not reminded of");
    }
    let to: BTreeSet<&str> =
        reminders.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    assert_eq!(to, BTreeSet::from(["own@t.test", "ana@t.test"]));
    assert!(edge.mail_to("ana@t.test").iter().all(is_reminder), "Ana takes no request mail");

    // Once per request.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(edge.mail().iter().filter(|m| is_reminder(m)).count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_left_for_the_team_is_mailed() {
    let edge = Edge::start();
    // With nobody available the visitor leaves a message.
    let form = demo_settings(|s| s["takeover"]["when_nobody_available"] = "leave_message".into());
    let site = edge.site_with("mail-left", &form, TEAM);
    let mut v = Visitor::join(&edge, &site).await;
    v.say("v1", "hello").await;
    v.socket.send(&ClientFrame::RequestHuman).await;
    v.socket.until("the form", |f| matches!(event(f), Some(Event::OutOfHours { .. }))).await;
    let form = ClientFrame::LeaveMessage {
        client_id: "form".into(),
        name: "Nia".into(),
        email: "nia@v.test".into(),
        text: "Please call me back about my refund".into(),
    };
    v.socket.send(&form).await;
    let mail = edge.mail_until("mail to the owner and the admin", |m| m.len() >= 2).await;
    for m in &mail {
        assert_eq!(m.subject, "Nia left a message for the team — Northwind Outfitters");
        assert!(m.text.contains("nia@v.test"), "{}", m.text);
        assert!(m.text.contains("Please call me back about my refund"), "{}", m.text);
        assert!(m.text.contains(&link(&edge, &v)), "{}", m.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_unsubscribe_link_turns_mail_off_and_cannot_be_forged() {
    let edge = Edge::start();
    let site = edge.site_with("mail-unsub", &waiting_settings(serde_json::json!({})), TEAM);
    ask(&edge, &site, "Mia", "Do you ship to Norway?").await;
    let mail =
        edge.mail_until("mail to the owner", |m| m.iter().any(|m| m.is_to("own@t.test"))).await;
    let header = mail.iter().find(|m| m.is_to("own@t.test")).unwrap().list_unsubscribe.clone();
    let url = header.unwrap().trim_matches(|c| c == '<' || c == '>').to_owned();
    assert!(url.starts_with(&edge.base), "{url}");
    let http = reqwest::Client::new();

    // Opening the link (a mail scanner does) changes nothing: it shows a button.
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<button type=\"submit\""));
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let mine: MyEmail = olga.get("/api/admin/me/email").await.json().await.unwrap();
    assert_eq!(mine.prefs.new_requests, RequestMail::Always);

    // Another member's id, or a changed token, is refused.
    let adam = Agent::login(&edge, &site, "adm@t.test").await;
    let forged = url.replace(&olga.me.agent.id, &adam.me.agent.id);
    assert_eq!(http.post(&forged).send().await.unwrap().status(), 404);
    let tampered = format!("{}0", url.trim_end_matches(|c: char| c.is_ascii_hexdigit()));
    assert_eq!(http.post(&tampered).send().await.unwrap().status(), 404);

    // The mail client's one-click POST.
    let res = http.post(&url).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mine: MyEmail = olga.get("/api/admin/me/email").await.json().await.unwrap();
    assert_eq!(mine.prefs, EmailPrefs::none());

    let before = edge.mail().len();
    ask(&edge, &site, "Zed", "Is the store open on Sunday?").await;
    let after = edge.mail_until("mail to the admin", |m| m.len() > before).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let fresh: Vec<Mail> = edge.mail().into_iter().skip(before).collect();
    assert!(fresh.iter().all(|m| !m.is_to("own@t.test")), "{:#?}", after.len());
    assert!(fresh.iter().any(|m| m.is_to("adm@t.test")));
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_follows_the_team_as_it_is_when_sent() {
    let edge = Edge::start();
    let site = edge.site_with("mail-team", &waiting_settings(serde_json::json!({})), TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    // Adam's new address is where his mail goes; Ana chooses every request.
    let adam = Agent::login(&edge, &site, "adm@t.test").await;
    let change =
        serde_json::json!({ "email": "adam@new.test", "current_password": integration::PASSWORD });
    assert_eq!(adam.request(Method::PATCH, "/api/admin/me", Some(change)).await.status(), 200);
    prefs(&ana, RequestMail::Always, false).await;

    let kim = ask(&edge, &site, "Kim", "My parcel is damaged, what now?").await;
    let mail = edge.mail_until("three mails", |m| m.len() >= 3).await;
    let to: BTreeSet<&str> = mail.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    assert_eq!(to, BTreeSet::from(["own@t.test", "adam@new.test", "ana@t.test"]));

    // Ana claims, then leaves the team: the request is back in the queue, a new wait, and
    // it is mailed again, to the team as it is now.
    let (mut desk, _) = ana.open(&kim.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    desk.until("claimed", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    let ana_id = ana.me.agent.id.clone();
    assert_eq!(
        olga.request(Method::DELETE, &format!("/api/admin/team/{ana_id}"), None).await.status(),
        204
    );
    let mail = edge.mail_until("the request mailed again", |m| m.len() >= 5).await;
    let again: Vec<&Mail> = mail.iter().skip(3).collect();
    let to: BTreeSet<&str> = again.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    assert_eq!(to, BTreeSet::from(["own@t.test", "adam@new.test"]));
    assert!(again.iter().all(|m| m.text.contains(&link(&edge, &kim))));
}
