//! Hostile input from visitors, pages and bots: formulas for the tickets export, names that
//! spoof lines, invisible messages, page addresses carrying secrets, bodies larger than they
//! say or than we read, an oversize bot answer, a visitor trying to close the conversation,
//! and the headers every page carries. Each is refused clearly or stored cleaned.

use std::time::Duration;

use integration::llm_mock::{read_request, response};
use integration::{Agent, Edge, Visitor, bot_text, demo_settings, say};
use reqwest::Method;
use shared::protocol::{ClientFrame, ErrorCode, ItemBody, ServerFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread")]
async fn visitor_text_never_becomes_a_formula_a_spoofed_line_or_an_empty_message() {
    let edge = Edge::start();
    let site = edge.site("inputs", &[("own@t.test", "Olga", "owner")]);
    let first = serde_json::json!({
        "page_url": "https://ana:hunter2@shop.test/checkout?step=2#access_token=SECRET",
        "language": "en\u{202E}"
    });
    let created = integration::start_conversation(&edge.base, &site, &first).await.unwrap();
    let id = created.conversation_id.clone();
    let mut visitor = Visitor::resume(&edge, &id, &created.token, 0).await;

    // A message of invisible characters is empty; control and reordering characters go.
    visitor.socket.send(&say("blank", "\u{200B}\u{200B}\u{FEFF}\u{2060}")).await;
    let e = visitor.socket.error().await;
    assert_eq!((e.code, e.client_id.as_deref()), (ErrorCode::EmptyMessage, Some("blank")));
    // A visitor cannot close the conversation, nor lock their own widget.
    visitor.socket.send(&ClientFrame::End { spam: false }).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::Forbidden);

    // The out-of-hours form with a formula for a name and a subject; identify with a
    // right-to-left override and a line break in the name.
    let form = ClientFrame::LeaveMessage {
        client_id: "form".into(),
        name: "=HYPERLINK(\"http://evil.test\",\"Click\")".into(),
        email: "ana@shop.test".into(),
        text: "+cmd|' /C calc'!A0 refund please".into(),
    };
    visitor.socket.send(&form).await;
    visitor
        .socket
        .until(
            "the form's ack",
            |f| matches!(f, ServerFrame::Ack { client_id, .. } if client_id == "form"),
        )
        .await;
    visitor
        .socket
        .send(&ClientFrame::Identify {
            name: Some("Ana\u{202E}nimdA\nAgent: trust me".into()),
            email: None,
            user_id: None,
            token: None,
        })
        .await;
    let profile = visitor.socket.until("the profile", |f| matches!(f, ServerFrame::Visitor(v) if v.name.as_deref().is_some_and(|n| n.starts_with("Ana")))).await;
    let ServerFrame::Visitor(profile) = profile else { unreachable!() };
    // A message cannot begin a line of the text transcript and pass for someone else's.
    visitor.say("forge", "thanks\n[2026-12-02T05:30:00.000Z] Olga: Approved: full refund").await;
    assert_eq!(profile.name.as_deref(), Some("AnanimdA Agent: trust me"));

    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let csv = owner.get("/api/admin/tickets.csv").await.text().await.unwrap();
    let row = csv.lines().nth(1).expect("the ticket's row");
    assert!(row.contains("'+cmd"), "the subject is neutralised: {row}");
    assert!(
        !row.split(',').any(|cell| cell.trim_matches('"').starts_with(['=', '+', '-', '@'])),
        "{row}"
    );

    let t: serde_json::Value =
        owner.get(&format!("/api/admin/conversations/{id}/transcript")).await.json().await.unwrap();
    assert_eq!(t["page_url"], "https://shop.test/checkout?step=2", "no credentials, no fragment");
    let text = owner
        .get(&format!("/api/admin/conversations/{id}/transcript?format=text"))
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("(unverified)"), "{text}");
    assert!(!text.contains('\u{202E}') && !text.contains("hunter2") && !text.contains("SECRET"));
    assert!(!text.lines().any(|l| l.starts_with("[2026-12-02T05:30:00.000Z] Olga")), "{text}");
    assert!(text.contains("\n    [2026-12-02T05:30:00.000Z] Olga: Approved"), "{text}");
    let items: Vec<shared::protocol::Item> = serde_json::from_value(t["items"].clone()).unwrap();
    assert!(
        items.iter().all(|i| !matches!(&i.body, ItemBody::Message(m) if m.text.trim().is_empty()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_are_refused_by_their_length_before_being_read_and_capped_while_streaming() {
    let edge = Edge::start();
    let site = edge.site("bodies", &[("own@t.test", "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    let port: u16 = edge.base.rsplit(':').next().unwrap().parse().unwrap();

    // Declares 300 KB: refused by the declared length, the body never read. (Local workerd
    // answers only once the client has sent what it declared, so the log says which check
    // refused it.)
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let length = 300 * 1024;
    let head = format!(
        "PUT /api/admin/settings HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {}\r\n\
         X-CSRF-Token: {}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        owner.cookie, owner.me.csrf
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b' '; length]).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Team members: long names and made-up emails are refused, nothing added.
    for (what, member) in [
        (
            "long name",
            serde_json::json!({ "email": "x@t.test", "name": "n".repeat(61), "role": "viewer", "password": integration::PASSWORD }),
        ),
        (
            "bad email",
            serde_json::json!({ "email": "not-an-email", "name": "X", "role": "viewer", "password": integration::PASSWORD }),
        ),
        (
            "huge email",
            serde_json::json!({ "email": format!("{}@t.test", "e".repeat(300)), "name": "X", "role": "viewer", "password": integration::PASSWORD }),
        ),
    ] {
        let res = owner.request(Method::POST, "/api/admin/team", Some(member)).await;
        assert_eq!(res.status(), 400, "{what}");
    }
    let team: Vec<serde_json::Value> = owner.get("/api/admin/team").await.json().await.unwrap();
    assert_eq!(team.len(), 1);
    let res = edge
        .setup_raw(&serde_json::json!({ "site_key": "x", "settings": serde_json::from_str::<serde_json::Value>(integration::DEMO_SITE).unwrap(),
            "members": [{ "email": "no-at-sign", "name": "X", "role": "owner", "password": integration::PASSWORD }] }))
        .await;
    assert_eq!(res.status(), 400);

    // No length declared, 300 KB streamed in chunks: cut off at the cap, the stream
    // cancelled. (Last here: local wrangler's dev proxy keeps piping the client's body after
    // the answer, workerd refuses that read, and the proxy drops the next request with a
    // 503. Deployed, there is no such proxy.)
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..30).map(|_| Ok(vec![b' '; 10 * 1024])).collect();
    let res = reqwest::Client::new()
        .put(format!("{}/api/admin/settings", edge.base))
        .header("Cookie", &owner.cookie)
        .header("X-CSRF-Token", &owner.me.csrf)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // The worker's log says which check refused each (wrangler writes it a moment later).
    let mut log = String::new();
    for _ in 0..50 {
        log = edge.log();
        if log.contains("while streaming") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(log.contains("body refused by its declared length (307200 bytes)"), "{log}");
    assert!(log.contains("body refused while streaming, past 262144 bytes"), "{log}");
}

/// A bot that answers every call at once with `body`.
async fn bot_answering(body: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            if read_request(&mut stream).await.is_some() {
                let _ = stream.write_all(response("200 OK", &body).as_bytes()).await;
            }
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversize_bot_answer_is_not_stored() {
    let huge = serde_json::json!({ "text": "x".repeat(100 * 1024) }).to_string();
    let (url, task) = bot_answering(huge).await;
    let edge = Edge::start();
    let settings =
        demo_settings(|s| s["engine"] = serde_json::json!({ "kind": "webhook", "url": url }));
    let site = edge.site_with("bigbot", &settings, &[("own@t.test", "Olga", "owner")]);
    let owner = Agent::login(&edge, &site, "own@t.test").await;
    assert_eq!(owner.request(Method::POST, "/api/admin/secrets/webhook", None).await.status(), 200);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("q", "hello bot").await;
    let f = visitor.socket.until("an answer", |f| bot_text(f).is_some()).await;
    let text = bot_text(&f).unwrap();
    assert!(text.len() < 200 && text.starts_with("Sorry"), "the polite fallback: {text}");
    task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_their_security_headers() {
    let edge = Edge::start();
    let restricted = integration::demo_settings(|s| {
        s["allowed_origins"] = serde_json::json!(["https://shop.example", "https://*.example.com"])
    });
    edge.site_with("framed", &restricted, &[]);
    edge.site("open", &[]);

    let admin = reqwest::get(format!("{}/admin", edge.base)).await.unwrap();
    let h = admin.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-eval'") || csp.contains("wasm-unsafe-eval"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("referrer-policy"));
    let page = admin.text().await.unwrap();
    assert!(!page.contains("<script>") && !page.contains("import init"), "no inline script");

    let chat = reqwest::get(format!("{}/chat/framed", edge.base)).await.unwrap();
    let csp = chat.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("frame-ancestors 'self' https://shop.example https://*.example.com"),
        "{csp}"
    );
    let chat = reqwest::get(format!("{}/chat/open", edge.base)).await.unwrap();
    let csp = chat.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors *"), "{csp}");

    let demo = reqwest::get(format!("{}/", edge.base)).await.unwrap();
    let csp = demo.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'self'"), "{csp}");
    assert_eq!(demo.headers()["x-content-type-options"], "nosniff");

    let api = reqwest::get(format!("{}/api/admin/me", edge.base)).await.unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}
