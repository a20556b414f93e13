//! An admin trying to get the deployment's model key sent to a server of their choosing, and
//! the site's own key kept write-only. The model server here records the `Authorization` of
//! every request, so the test sees exactly which key went where.

use integration::llm_mock::{KEY, MockLlm, SITE_KEY};
use integration::{Agent, Edge, Visitor, bot_text, demo_settings};
use reqwest::Method;

fn llm(base_url: &str) -> serde_json::Value {
    let s = demo_settings(|s| {
        s["engine"] = serde_json::json!({
            "kind": "llm", "base_url": base_url, "model": "test-model", "timeout_ms": 5000
        })
    });
    serde_json::from_str(&s).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployments_model_key_goes_only_to_the_deployments_model_host() {
    let deployment_model = MockLlm::start().await;
    let attacker = MockLlm::start().await;
    let edge = Edge::start_with(&[("LLM_BASE_URL", &deployment_model.base_url)]);
    let site = edge.site("keys", &[("adm@t.test", "Adam", "admin")]);
    let admin = Agent::login(&edge, &site, "adm@t.test").await;
    let before: serde_json::Value = admin.get("/api/admin/settings").await.json().await.unwrap();

    // Another host without the site's own key: refused, nothing saved.
    let res =
        admin.request(Method::PUT, "/api/admin/settings", Some(llm(&attacker.base_url))).await;
    assert_eq!(integration::refusal(res).await, (400, "model_key_required".into()));
    // Plain http to anywhere but this machine, and URLs carrying credentials: refused.
    for url in
        ["http://models.evil.test/v1", "https://user:pw@models.evil.test/v1", "file:///etc/passwd"]
    {
        let res = admin.request(Method::PUT, "/api/admin/settings", Some(llm(url))).await;
        assert_eq!(integration::refusal(res).await, (400, "invalid_settings".into()), "{url}");
    }
    let after: serde_json::Value = admin.get("/api/admin/settings").await.json().await.unwrap();
    assert_eq!(before, after, "nothing was saved");

    // The deployment's own host gets the deployment's key.
    let res = admin
        .request(Method::PUT, "/api/admin/settings", Some(llm(&deployment_model.base_url)))
        .await;
    assert_eq!(res.status(), 200);
    let mut visitor = Visitor::join(&edge, &site).await;
    visitor.say("q1", "When do you open?").await;
    visitor.socket.until("the answer", |f| bot_text(f).is_some()).await;
    let sent = deployment_model.keys.lock().unwrap().clone();
    assert!(
        !sent.is_empty()
            && sent.iter().all(|k| k.as_deref() == Some(&format!("Bearer {KEY}") as &str))
    );

    // With the site's own key saved for a host, that host works and gets only that key.
    let own_model = MockLlm::start().await;
    let save_key = |base_url: &str| serde_json::json!({ "key": SITE_KEY, "base_url": base_url });
    let res = admin
        .request(Method::PUT, "/api/admin/secrets/model-key", Some(save_key(&own_model.base_url)))
        .await;
    assert_eq!(res.status(), 200);
    let status: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status["model_key"]["hint"], "…1234");
    assert_eq!(status["model_key"]["endpoint"], own_model.base_url.as_str());
    assert!(!status.to_string().contains(SITE_KEY), "the key is never shown back");
    let res =
        admin.request(Method::PUT, "/api/admin/settings", Some(llm(&own_model.base_url))).await;
    assert_eq!(res.status(), 200);
    visitor.say("q2", "Do you ship abroad?").await;
    visitor.socket.until("the second answer", |f| bot_text(f).is_some()).await;
    let sent = own_model.keys.lock().unwrap().clone();
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|k| k.as_deref() == Some(&format!("Bearer {SITE_KEY}") as &str)),
        "the site's host saw only the site's key: {sent:?}"
    );

    // Pointing the settings at yet another host does not take the site's key along: refused.
    let res =
        admin.request(Method::PUT, "/api/admin/settings", Some(llm(&attacker.base_url))).await;
    assert_eq!(integration::refusal(res).await, (400, "model_key_required".into()));
    assert!(attacker.keys.lock().unwrap().is_empty(), "the attacker's host heard nothing");

    // Nobody reads a key back: not the settings, not the secrets' status.
    let settings = admin.get("/api/admin/settings").await.text().await.unwrap();
    let secrets = admin.get("/api/admin/secrets").await.text().await.unwrap();
    assert!(!settings.contains(SITE_KEY) && !secrets.contains(SITE_KEY) && !secrets.contains(KEY));

    // A key that is not printable text, or for a URL no key may go to, is refused.
    let bad = serde_json::json!({ "key": "sk\nInjected: 1", "base_url": own_model.base_url });
    let res = admin.request(Method::PUT, "/api/admin/secrets/model-key", Some(bad)).await;
    assert_eq!(integration::refusal(res).await, (400, "invalid_key".into()));
    let res = admin
        .request(
            Method::PUT,
            "/api/admin/secrets/model-key",
            Some(save_key("http://models.evil.test/v1")),
        )
        .await;
    assert_eq!(integration::refusal(res).await, (400, "invalid_key".into()));
    // Removing the key stops it at once, at the visitor too: no key is sent any more.
    let res = admin.request(Method::DELETE, "/api/admin/secrets/model-key", None).await;
    assert_eq!(res.status(), 200);
    let seen_before = own_model.keys.lock().unwrap().len();
    visitor.say("q3", "Where is my parcel?").await;
    visitor.socket.until("the fallback", |f| bot_text(f).is_some()).await;
    let late: Vec<_> = own_model.keys.lock().unwrap()[seen_before..].to_vec();
    assert!(!late.is_empty() && late.iter().all(Option::is_none), "no key went out: {late:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_cannot_point_the_deployment_key_elsewhere_either() {
    let attacker = MockLlm::start().await;
    let edge = Edge::start();
    let setup = serde_json::json!({
        "site_key": "sneaky", "settings": llm(&attacker.base_url), "members": []
    });
    let res = edge.setup_raw(&setup).await;
    assert_eq!(integration::refusal(res).await, (400, "invalid_setup".into()));
    let res = reqwest::get(format!("{}/api/sites/sneaky/config", edge.base)).await.unwrap();
    assert_eq!(res.status(), 404, "the site was not created");
}
