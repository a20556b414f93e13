//! Replies mailed to a visitor who left, through a real worker and read back from the mail
//! local wrangler writes: the email asked while waiting is checked and kept; replies the
//! visitor did not see are gathered into one mail in the conversation's language, with a
//! link that opens the chat on another device (and nothing for a link altered or of another
//! site); nothing is mailed to a visitor who is there or came back in time, or who gave no
//! email; the next mail waits for the gap.

use std::time::Duration;

use integration::mail::Mail;
use integration::{Agent, Edge, Socket, Visitor, demo_settings, event, refusal};
use reqwest::Method;
use shared::api::ConversationCreated;
use shared::protocol::{ClientFrame, ErrorCode, Event, ItemBody, ServerFrame};

const TEAM: &[(&str, &str, &str)] = &[("own@t.test", "Olga", "owner")];
/// The worker gathers replies this long; the gap between two mails is five times as long.
const WINDOW_SECS: u64 = 2;

fn settings() -> String {
    demo_settings(|s| s["takeover"] = serde_json::json!({ "when_nobody_available": "wait" }))
}

fn start() -> (Edge, String) {
    let edge = Edge::start_with(&[("VISITOR_MAIL_SECS", "2")]);
    let site = edge.site_with("vmail", &settings(), TEAM);
    (edge, site)
}

/// A visitor waiting for a person, who gave `email` as the widget's prompt sends it, and
/// Olga's socket on their conversation after her claim.
async fn claimed(edge: &Edge, site: &str, olga: &Agent, email: Option<&str>) -> (Visitor, Socket) {
    let mut v = Visitor::join(edge, site).await;
    v.say("v1", "Hola, mi pedido 1234 no ha llegado todavía, ¿pueden revisarlo?").await;
    v.socket.send(&ClientFrame::RequestHuman).await;
    v.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
    if let Some(email) = email {
        v.socket.send(&give(email)).await;
        let stored = v
            .socket
            .until("the email kept", |f| matches!(f, ServerFrame::Visitor(p) if p.email.is_some()))
            .await;
        let ServerFrame::Visitor(p) = stored else { unreachable!() };
        assert_eq!(p.email.as_deref(), Some(email));
    }
    let (mut desk, welcome) = olga.open(&v.conversation_id).await;
    assert!(welcome.visit.as_ref().is_some_and(|v| v.replies_mailed), "the console is told");
    desk.send(&ClientFrame::Claim).await;
    v.socket.until("joined", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    (v, desk)
}

fn give(email: &str) -> ClientFrame {
    ClientFrame::Identify { name: None, email: Some(email.into()), user_id: None, token: None }
}

/// The visitor closes the tab; returns once the conversation knows they are gone.
async fn leave(olga: &Agent, v: Visitor) {
    let id = v.conversation_id.clone();
    drop(v);
    for _ in 0..100 {
        let all: Vec<serde_json::Value> =
            olga.get("/api/admin/conversations").await.json().await.unwrap();
        if all.iter().any(|c| c["id"] == id.as_str() && c["visitor_online"] == false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the visitor of {id} still counts as online");
}

async fn reply(desk: &mut Socket, id: &str, text: &str) {
    desk.send(&ClientFrame::Send { client_id: id.into(), text: text.into(), original: None }).await;
    desk.until("the ack", |f| matches!(f, ServerFrame::Ack { client_id, .. } if client_id == id))
        .await;
}

/// The `#resume=` part of the mail's link to the chat page.
fn resume_link(edge: &Edge, site: &str, mail: &Mail) -> String {
    let page = format!("{}/chat/{site}#resume=", edge.base);
    let at = mail.text.find(&page).unwrap_or_else(|| panic!("no chat link in {}", mail.text));
    mail.text[at + page.len()..].split_whitespace().next().unwrap().to_owned()
}

async fn resume(edge: &Edge, site: &str, link: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/sites/{site}/conversations/resume", edge.base))
        .header("CF-Connecting-IP", integration::client_ip())
        .json(&serde_json::json!({ "link": link }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_a_visitor_missed_are_mailed_once_with_a_link_that_opens_the_chat_elsewhere() {
    let (edge, site) = start();
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let (v, mut desk) = claimed(&edge, &site, &olga, Some("mia@v.test")).await;
    let (id, first_token) = (v.conversation_id.clone(), v.token.clone());
    leave(&olga, v).await;

    reply(&mut desk, "a1", "Lo siento, Mia: su pedido sale hoy.").await;
    reply(&mut desk, "a2", "El número de seguimiento es <b>XYZ123</b>.").await;
    let mail = edge.mail_until("the replies mailed", |m| !m.is_empty()).await;
    assert_eq!(mail.len(), 1, "two replies, one mail");
    let m = &mail[0];
    assert!(m.is_to("mia@v.test"), "{:?}", m.to);
    assert_eq!(m.subject, "Nueva respuesta en tu chat con Northwind Outfitters");
    let text = m.text.replace("\r\n", "\n");
    assert!(text.contains("Olga:\nLo siento, Mia: su pedido sale hoy."), "{text}");
    assert!(m.text.contains("El número de seguimiento es <b>XYZ123</b>."), "{}", m.text);
    assert!(m.html.contains("&lt;b&gt;XYZ123&lt;/b&gt;"), "replies are escaped: {}", m.html);
    assert!(m.html.contains("lang=\"es\""), "{}", m.html);
    let stop = m.list_unsubscribe.clone().expect("a one-click way to stop these mails");
    assert!(stop.contains(&format!("/api/unsubscribe?conversation={id}&token=")), "{stop}");
    assert_eq!(m.list_unsubscribe_post.as_deref(), Some("List-Unsubscribe=One-Click"));

    // The link opens the conversation on another device, with a credential of its own.
    let link = resume_link(&edge, &site, m);
    let res = resume(&edge, &site, &link).await;
    assert_eq!(res.status(), 200);
    let resumed: ConversationCreated = res.json().await.unwrap();
    assert_eq!(resumed.conversation_id, id);
    assert_ne!(resumed.token, first_token);
    let mut phone = Visitor::resume(&edge, &id, &resumed.token, 0).await;
    let replies: Vec<String> = phone
        .welcome
        .backlog
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) if matches!(m.author, shared::protocol::Author::Agent(_)) => {
                Some(m.text.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 2, "{replies:?}");
    // The first device's credential still works.
    drop(Visitor::resume(&edge, &id, &first_token, 0).await);

    // A link altered anywhere, or used on another site, opens nothing.
    let other = edge.site_with("vmail-other", &settings(), &[("o2@t.test", "Otto", "owner")]);
    let (conv, rest) = link.split_once('.').unwrap();
    let (exp, mac) = rest.split_once('.').unwrap();
    let later = format!("{conv}.{}.{mac}", exp.parse::<i64>().unwrap() + 86_400_000);
    let mut flipped = mac.to_owned();
    flipped.replace_range(0..1, if mac.starts_with('0') { "1" } else { "0" });
    for (on, bad) in [
        (&site, later),
        (&site, format!("{conv}.{exp}.{flipped}")),
        (&site, format!("{}.{exp}.{mac}", "f".repeat(32))),
        (&site, "x".repeat(500)),
        (&other, link.clone()),
    ] {
        let (status, code) = refusal(resume(&edge, on, &bad).await).await;
        assert_eq!((status, code.as_str()), (410, "link_expired"), "{bad} on {on}");
    }

    // While the visitor is there, a reply is seen, not mailed.
    phone.say("p1", "Gracias, ¿y si no llega mañana?").await;
    reply(&mut desk, "a3", "Entonces le enviamos otro.").await;
    tokio::time::sleep(Duration::from_secs(WINDOW_SECS + 3)).await;
    assert_eq!(edge.mail().len(), 1, "nothing mailed to a visitor who is there");

    // Gone again: the next reply is mailed, alone, once the gap since the last mail is over.
    leave(&olga, phone).await;
    reply(&mut desk, "a4", "Una cosa más: llegará antes de las 18:00.").await;
    let mail = edge.mail_within(Duration::from_secs(30), "the second mail", |m| m.len() >= 2).await;
    let second = &mail[1];
    assert!(second.text.contains("llegará antes de las 18:00"), "{}", second.text);
    assert!(!second.text.contains("XYZ123"), "a reply is mailed once: {}", second.text);

    // The mail's stop link: opening it changes nothing, its button (or a one-click POST)
    // stops the mail; a forged one does nothing.
    let stop = stop.trim_matches(['<', '>']).to_owned();
    let client = reqwest::Client::new();
    let page = client.get(&stop).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Stop these emails?"));
    let flip = if stop.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flip}", &stop[..stop.len() - 1]);
    assert_eq!(client.post(&forged).send().await.unwrap().status(), 404);
    assert_eq!(client.post(&stop).send().await.unwrap().status(), 200);
    reply(&mut desk, "a5", "Are you there?").await;
    tokio::time::sleep(Duration::from_secs(5 * WINDOW_SECS + 4)).await;
    assert_eq!(edge.mail().len(), 2, "no more mail once stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_stops_opening_the_chat_once_the_address_it_went_to_is_not_the_visitors() {
    let (edge, site) = start();
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let (v, mut desk) = claimed(&edge, &site, &olga, Some("typo@v.test")).await;
    let (id, token) = (v.conversation_id.clone(), v.token.clone());
    leave(&olga, v).await;
    reply(&mut desk, "a1", "Here is your answer.").await;
    let mail = edge.mail_until("the reply mailed", |m| !m.is_empty()).await;
    let link = resume_link(&edge, &site, &mail[0]);
    let granted: ConversationCreated = resume(&edge, &site, &link).await.json().await.unwrap();
    let mut elsewhere = Visitor::resume(&edge, &id, &granted.token, 0).await;

    // The visitor corrects the address they typed: the device the link opened is closed, its
    // credential and the link are dead; the visitor's own device is not affected.
    let mut own = Visitor::resume(&edge, &id, &token, 0).await;
    own.socket.send(&give("right@v.test")).await;
    own.socket
        .until(
            "the new address",
            |f| matches!(f, ServerFrame::Visitor(p) if p.email.as_deref() == Some("right@v.test")),
        )
        .await;
    assert_eq!(elsewhere.socket.error().await.code, ErrorCode::Unauthorized);
    assert!(elsewhere.socket.closed_within(Duration::from_secs(5)).await);
    let again = Visitor::try_resume(&edge, &id, &granted.token, 0).await;
    assert!(again.is_err(), "the link's credential is dead");
    let (status, code) = refusal(resume(&edge, &site, &link).await).await;
    assert_eq!((status, code.as_str()), (410, "link_expired"));
    own.say("o1", "still here").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_is_mailed_who_came_back_in_time_gave_no_email_or_whose_site_says_no() {
    let (edge, site) = start();
    let olga = Agent::login(&edge, &site, "own@t.test").await;

    // Back before the replies are gathered: they were seen.
    let (v, mut desk) = claimed(&edge, &site, &olga, Some("back@v.test")).await;
    let (id, token) = (v.conversation_id.clone(), v.token.clone());
    leave(&olga, v).await;
    reply(&mut desk, "b1", "Are you still there?").await;
    let back = Visitor::resume(&edge, &id, &token, 0).await;

    // No email given.
    let (v, mut quiet) = claimed(&edge, &site, &olga, None).await;
    leave(&olga, v).await;
    reply(&mut quiet, "c1", "Hello?").await;

    // An email that is not one is refused, and nothing is kept.
    let mut w = Visitor::join(&edge, &site).await;
    w.socket.send(&give("not an email")).await;
    assert_eq!(w.socket.error().await.code, ErrorCode::InvalidProfile);

    tokio::time::sleep(Duration::from_secs(WINDOW_SECS + 4)).await;
    assert!(edge.mail().is_empty(), "{:#?}", edge.mail());
    drop(back);

    // The site turns the mail off: a visitor who gave an email and left gets none.
    let mut settings: serde_json::Value =
        olga.get("/api/admin/settings").await.json().await.unwrap();
    settings["takeover"]["email_replies"] = false.into();
    let res = olga.request(Method::PUT, "/api/admin/settings", Some(settings)).await;
    assert_eq!(res.status(), 200);
    let (v, mut desk) = claimed_unmailed(&edge, &site, &olga).await;
    leave(&olga, v).await;
    reply(&mut desk, "d1", "We'll be in touch.").await;
    tokio::time::sleep(Duration::from_secs(WINDOW_SECS + 4)).await;
    assert!(edge.mail().is_empty(), "{:#?}", edge.mail());
}

/// [`claimed`] on a site that does not mail replies: the console is told so.
async fn claimed_unmailed(edge: &Edge, site: &str, olga: &Agent) -> (Visitor, Socket) {
    let mut v = Visitor::join(edge, site).await;
    v.socket.send(&give("off@v.test")).await;
    v.socket.until("kept", |f| matches!(f, ServerFrame::Visitor(p) if p.email.is_some())).await;
    let (mut desk, welcome) = olga.open(&v.conversation_id).await;
    assert!(welcome.visit.is_some_and(|v| !v.replies_mailed));
    desk.send(&ClientFrame::Claim).await;
    v.socket.until("joined", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    (v, desk)
}

/// A page whose machine slept keeps a socket that looks open, and no close comes. The widget
/// pings every half minute whatever passes and says so at hello: silent for longer than a
/// console is given (`PRESENCE_STALE_MS`), its visitor is mailed the reply as one who left.
/// A page that pings is not.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_not_heard_from_is_mailed_the_reply_and_one_that_pings_is_not() {
    let edge = Edge::start_with(&[("VISITOR_MAIL_SECS", "2"), ("PRESENCE_STALE_MS", "3000")]);
    let site = edge.site_with("vmail-quiet", &settings(), TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let (v, mut quiet_desk) = claimed(&edge, &site, &olga, Some("mia@v.test")).await;
    let quiet = Visitor::resume_beating(&edge, &v.conversation_id, &v.token).await;
    drop(v);
    let (v, mut pinging_desk) = claimed(&edge, &site, &olga, Some("leo@v.test")).await;
    let mut pinging = Visitor::resume_beating(&edge, &v.conversation_id, &v.token).await;
    drop(v);
    // Every second (a widget does every half minute), reading what comes in between.
    let pings = tokio::spawn(async move {
        for _ in 0..15 {
            pinging.socket.send_raw(shared::protocol::PING).await;
            let next = tokio::time::Instant::now() + Duration::from_secs(1);
            let left = || next.saturating_duration_since(tokio::time::Instant::now());
            while pinging.socket.try_next_json(left()).await.is_some() {}
        }
        pinging
    });
    tokio::time::sleep(Duration::from_secs(4)).await;

    reply(&mut quiet_desk, "a1", "Su pedido sale hoy.").await;
    reply(&mut pinging_desk, "a1", "Su pedido sale hoy.").await;
    let mail = edge.mail_until("the silent page's reply mailed", |m| !m.is_empty()).await;
    assert!(mail[0].is_to("mia@v.test"), "{:?}", mail[0].to);
    // Twice the gathering window more: the page that pings is never mailed.
    tokio::time::sleep(Duration::from_secs(2 * WINDOW_SECS + 1)).await;
    let mail = edge.mail();
    assert_eq!(mail.len(), 1, "{:?}", mail.iter().map(|m| &m.to).collect::<Vec<_>>());
    drop((quiet, pings.await.unwrap()));
}
