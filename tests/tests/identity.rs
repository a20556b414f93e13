//! Signed visitor identity through a real worker: the site's backend signs who its user is
//! (here with the third-party `jsonwebtoken` crate, as a backend would) and the page passes
//! it to `identify`; a valid token verifies the visitor, everything else is refused and
//! changes nothing — expired, signed with another secret, tampered, for another user, or an
//! unsigned identity where the site requires signed ones.

use integration::{Agent, Edge, Visitor, demo_settings};
use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::Method;
use shared::protocol::{ClientFrame, ErrorCode, ServerFrame, VisitorProfile};

const TEAM: &[(&str, &str, &str)] = &[("own@t.test", "Olga", "owner")];

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A token as the site's backend makes it: HS256 with the identity secret as the key.
fn token(secret: &str, sub: &str, email: Option<&str>, exp: i64) -> String {
    let mut claims = serde_json::json!({ "sub": sub, "exp": exp, "name": "Mia Verified" });
    if let Some(e) = email {
        claims["email"] = e.into();
    }
    let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
    encode(&Header::default(), &claims, &key).unwrap()
}

fn identify(user_id: &str, email: Option<&str>, token: &str) -> ClientFrame {
    ClientFrame::Identify {
        name: Some("Typed Name".into()),
        email: email.map(Into::into),
        user_id: Some(user_id.into()),
        token: Some(token.into()),
    }
}

fn unsigned(name: &str) -> ClientFrame {
    ClientFrame::Identify { name: Some(name.into()), email: None, user_id: None, token: None }
}

async fn profile(v: &mut Visitor) -> VisitorProfile {
    match v.socket.until("the profile", |f| matches!(f, ServerFrame::Visitor(_))).await {
        ServerFrame::Visitor(p) => p,
        _ => unreachable!(),
    }
}

async fn secret(owner: &Agent) -> String {
    let res = owner.request(Method::POST, "/api/admin/secrets/identity", None).await;
    assert_eq!(res.status(), 200);
    let created: serde_json::Value = res.json().await.unwrap();
    let status: serde_json::Value = owner.get("/api/admin/secrets").await.json().await.unwrap();
    assert!(status["identity"]["hint"].as_str().unwrap().starts_with("whsec_…"));
    assert!(!status.to_string().contains(created["secret"].as_str().unwrap()), "shown once");
    created["secret"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_identity_verifies_and_every_forgery_is_refused() {
    let edge = Edge::start();
    let site = edge.site("identity", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let key = secret(&olga).await;
    let mut v = Visitor::join(&edge, &site).await;
    v.say("v1", "hello").await;

    // Refused, and nothing stored: each with its reason.
    let cases = [
        (token(&key, "u-1", None, now() - 120), "expired"),
        (token("whsec_not-the-site-secret", "u-1", None, now() + 600), "signature"),
        (token(&key, "u-1", None, now() + 3 * 86_400), "24 hours"),
        (token(&key, "u-2", None, now() + 600), "another user"),
    ];
    for (t, why) in &cases {
        v.socket.send(&identify("u-1", None, t)).await;
        let e = v.socket.error().await;
        assert_eq!(e.code, ErrorCode::InvalidProfile);
        assert!(e.message.contains(why), "{why}: {}", e.message);
    }
    // The claims changed after signing (a forged user id with the old signature).
    let good = token(&key, "u-1", None, now() + 600);
    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine as _;
    let forged_claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!(r#"{{"sub":"admin","exp":{}}}"#, now() + 600));
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    v.socket.send(&identify("admin", None, &forged)).await;
    assert!(v.socket.error().await.message.contains("signature"));
    // An email the token does not vouch for.
    v.socket.send(&identify("u-1", Some("other@v.test"), &good)).await;
    assert!(v.socket.error().await.message.contains("another user or email"));

    // The real thing: verified, with the name and email as signed.
    let signed = token(&key, "u-1", Some("mia@v.test"), now() + 600);
    v.socket.send(&identify("u-1", Some("mia@v.test"), &signed)).await;
    let p = profile(&mut v).await;
    assert_eq!(p.user_id.as_deref(), Some("u-1"));
    assert_eq!(p.name.as_deref(), Some("Mia Verified"));
    assert_eq!(p.email.as_deref(), Some("mia@v.test"));

    // A teammate sees the verified identity.
    let (_, welcome) = olga.open(&v.conversation_id).await;
    assert_eq!(welcome.visitor.user_id.as_deref(), Some("u-1"));

    // Now the conversation is u-1's: another user's token, or an unsigned rename, is refused.
    let other = token(&key, "u-2", None, now() + 600);
    v.socket.send(&identify("u-2", None, &other)).await;
    assert_eq!(v.socket.error().await.code, ErrorCode::Forbidden);
    v.socket.send(&unsigned("Someone Else")).await;
    assert_eq!(v.socket.error().await.code, ErrorCode::Forbidden);
    let (_, welcome) = olga.open(&v.conversation_id).await;
    assert_eq!(welcome.visitor.name.as_deref(), Some("Mia Verified"));

    // The same browser later: a page with nobody signed in, or another user, cannot reopen
    // u-1's conversation (the widget then starts a new one); u-1 can, with a token of the
    // site's that expired an hour ago (a page left open).
    let reopen = |who: Option<(&str, String)>| hello_as(&v.token, who);
    let url = integration::visitor_url(&edge, &v.conversation_id);
    for who in [
        None,
        Some(("u-2", token(&key, "u-2", None, now() + 600))),
        Some(("u-1", token("whsec_other", "u-1", None, now() + 600))),
    ] {
        let mut s = integration::Socket::connect(&url, None).await;
        s.send(&reopen(who)).await;
        assert_eq!(s.error().await.code, ErrorCode::Unauthorized);
    }
    let mut s = integration::Socket::connect(&url, None).await;
    s.send(&reopen(Some(("u-1", token(&key, "u-1", None, now() - 3600))))).await;
    assert_eq!(s.welcome().await.visitor.user_id.as_deref(), Some("u-1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_may_take_only_signed_identities() {
    let edge = Edge::start();
    let strict = demo_settings(|s| s["identity"] = serde_json::json!({ "require_verified": true }));
    let site = edge.site_with("identity-strict", &strict, TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let key = secret(&olga).await;
    let mut v = Visitor::join(&edge, &site).await;
    v.socket.send(&unsigned("Anyone")).await;
    let e = v.socket.error().await;
    assert_eq!(e.code, ErrorCode::InvalidProfile);
    assert!(e.message.contains("only signed identities"), "{}", e.message);
    // A token without a name: the name the page adds is not shown as verified.
    let claims = serde_json::json!({ "sub": "u-9", "exp": now() + 600 });
    let key_bytes = EncodingKey::from_secret(key.as_bytes()).unwrap();
    let nameless = encode(&Header::default(), &claims, &key_bytes).unwrap();
    let mut frame = identify("u-9", None, &nameless);
    if let ClientFrame::Identify { name, .. } = &mut frame {
        *name = Some("Bank Security".into());
    }
    v.socket.send(&frame).await;
    let p = profile(&mut v).await;
    assert_eq!((p.user_id.as_deref(), p.name.as_deref()), (Some("u-9"), None));

    // The out-of-hours form cannot rename a verified visitor either.
    let form = ClientFrame::LeaveMessage {
        client_id: "form".into(),
        name: "Bank Security".into(),
        email: "ceo@victim.test".into(),
        text: "Please call me".into(),
    };
    v.socket.send(&form).await;
    v.socket
        .until("the form's answer", |f| match f {
            ServerFrame::Ack { client_id, .. } => client_id == "form",
            ServerFrame::Error(e) => e.client_id.as_deref() == Some("form"),
            _ => false,
        })
        .await;
    let (_, welcome) = olga.open(&v.conversation_id).await;
    assert_eq!(welcome.visitor.email, None, "a verified profile keeps what was signed");
    assert_eq!(welcome.visitor.name, None);
}

/// The widget's hello with the page's signed identity, if any.
fn hello_as(credential: &str, who: Option<(&str, String)>) -> ClientFrame {
    ClientFrame::Hello(shared::protocol::Hello {
        version: shared::protocol::PROTOCOL_VERSION,
        credential: shared::protocol::Credential::Visitor { token: credential.into() },
        last_seq: 0,
        identity: who
            .map(|(user_id, token)| shared::protocol::SignedIn { user_id: user_id.into(), token }),
        beats: false,
        item_acks: false,
    })
}

async fn continue_as(edge: &Edge, site: &str, user_id: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/sites/{site}/conversations/continue", edge.base))
        .header("CF-Connecting-IP", integration::client_ip())
        .json(&serde_json::json!({ "user_id": user_id, "token": token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_user_continues_their_own_conversation_on_another_device_and_nobody_else_does()
{
    let edge = Edge::start();
    let site = edge.site("continuity", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let key = secret(&olga).await;

    // On the laptop, u-1 signs in and writes; u-3 has an older conversation of their own.
    let mut laptop = Visitor::join(&edge, &site).await;
    laptop.socket.send(&identify("u-1", None, &token(&key, "u-1", None, now() + 600))).await;
    assert_eq!(profile(&mut laptop).await.user_id.as_deref(), Some("u-1"));
    laptop.say("v1", "Is my return RMA-88 approved?").await;
    let mut third = Visitor::join(&edge, &site).await;
    third.socket.send(&identify("u-3", None, &token(&key, "u-3", None, now() + 600))).await;
    profile(&mut third).await;

    // The index learns who the conversation belongs to at the site's pace.
    let phone = {
        let mut tries = 0;
        loop {
            let res =
                continue_as(&edge, &site, "u-1", &token(&key, "u-1", None, now() + 600)).await;
            if res.status() == 200 || tries == 50 {
                break res;
            }
            tries += 1;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    assert_eq!(phone.status(), 200);
    let phone: shared::api::ConversationCreated = phone.json().await.unwrap();
    assert_eq!(phone.conversation_id, laptop.conversation_id);
    assert_ne!(phone.token, laptop.token);

    // The phone's page proves u-1: the conversation opens there, history and all.
    let url = integration::visitor_url(&edge, &phone.conversation_id);
    let mut s = integration::Socket::connect(&url, None).await;
    s.send(&hello_as(&phone.token, Some(("u-1", token(&key, "u-1", None, now() + 600))))).await;
    let welcome = s.welcome().await;
    assert!(
        welcome.backlog.iter().any(|i| matches!(&i.body,
            shared::protocol::ItemBody::Message(m) if m.text == "Is my return RMA-88 approved?")),
        "{:?}",
        welcome.backlog
    );

    // That device's credential does not open it for anybody else later (a shared browser).
    for who in [None, Some(("u-2", token(&key, "u-2", None, now() + 600)))] {
        let mut s = integration::Socket::connect(&url, None).await;
        s.send(&hello_as(&phone.token, who)).await;
        assert_eq!(s.error().await.code, ErrorCode::Unauthorized);
    }

    // Nobody continues a conversation that is not theirs: another user has none to continue,
    // and a token that is not the site's, expired, or for another user is refused.
    let res = continue_as(&edge, &site, "u-2", &token(&key, "u-2", None, now() + 600)).await;
    assert_eq!(integration::refusal(res).await, (404, "no_conversation".into()));
    for (user, t, why) in [
        ("u-1", token("whsec_not-the-site-secret", "u-1", None, now() + 600), "signature"),
        ("u-1", token(&key, "u-1", None, now() - 120), "expired"),
        ("u-1", token(&key, "u-2", None, now() + 600), "another user"),
        ("u-1", "not.a.jwt".to_owned(), ""),
    ] {
        let res = continue_as(&edge, &site, user, &t).await;
        assert_eq!(res.status(), 401, "{why}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "identity_refused");
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn when_a_conversation_becomes_a_users_only_sockets_proving_that_user_stay() {
    let edge = Edge::start();
    let site = edge.site("identity-sockets", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let key = secret(&olga).await;
    let mut tab = Visitor::join(&edge, &site).await;
    tab.say("v1", "hello").await;
    let url = integration::visitor_url(&edge, &tab.conversation_id);
    // Someone who copied the credential keeps a socket open; another tab of the same page
    // said at hello who is signed in there.
    let mut copied = integration::Socket::connect(&url, None).await;
    copied.send(&hello_as(&tab.token, None)).await;
    copied.welcome().await;
    let mut other_tab = integration::Socket::connect(&url, None).await;
    other_tab
        .send(&hello_as(&tab.token, Some(("u-7", token(&key, "u-7", None, now() + 600)))))
        .await;
    other_tab.welcome().await;

    tab.socket.send(&identify("u-7", None, &token(&key, "u-7", None, now() + 600))).await;
    assert_eq!(profile(&mut tab).await.user_id.as_deref(), Some("u-7"));
    assert_eq!(copied.error().await.code, ErrorCode::Unauthorized);
    assert!(copied.closed_within(std::time::Duration::from_secs(5)).await);
    // The proving tab stays and hears what follows.
    tab.say("v2", "still me").await;
    other_tab
        .until("the next message", |f| {
            matches!(f, ServerFrame::Item(i) if matches!(&i.body,
                shared::protocol::ItemBody::Message(m) if m.text == "still me"))
        })
        .await;
}

/// The signed identity a page names at hello stays with its socket until the conversation
/// becomes that user's. A token as long as a site may sign (4 KB) is kept whole, and so the
/// tab it came from stays; a "token" longer than any token can be proves nothing and is not
/// kept, and neither costs the visitor the chat meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_hello_keeps_an_identity_token_as_long_as_tokens_go_and_no_longer() {
    let edge = Edge::start();
    let site = edge.site("identity-long", TEAM);
    let olga = Agent::login(&edge, &site, "own@t.test").await;
    let key = secret(&olga).await;
    let mut tab = Visitor::join(&edge, &site).await;
    tab.say("v1", "hello").await;
    let url = integration::visitor_url(&edge, &tab.conversation_id);

    let claims = serde_json::json!({ "sub": "u-7", "exp": now() + 600, "name": "M".repeat(2_900) });
    let signing = EncodingKey::from_secret(key.as_bytes()).unwrap();
    let long = encode(&Header::default(), &claims, &signing).unwrap();
    assert!((3_900..=4_096).contains(&long.len()), "{}", long.len());
    let mut long_tab = integration::Socket::connect(&url, None).await;
    long_tab.send(&hello_as(&tab.token, Some(("u-7", long)))).await;
    long_tab.welcome().await;
    let mut junk_tab = integration::Socket::connect(&url, None).await;
    junk_tab.send(&hello_as(&tab.token, Some(("u-7", "x".repeat(30_000))))).await;
    junk_tab.welcome().await;

    tab.socket.send(&identify("u-7", None, &token(&key, "u-7", None, now() + 600))).await;
    assert_eq!(profile(&mut tab).await.user_id.as_deref(), Some("u-7"));
    assert_eq!(junk_tab.error().await.code, ErrorCode::Unauthorized);
    tab.say("v2", "still me").await;
    long_tab
        .until("the next message", |f| {
            matches!(f, ServerFrame::Item(i) if matches!(&i.body,
                shared::protocol::ItemBody::Message(m) if m.text == "still me"))
        })
        .await;
}
