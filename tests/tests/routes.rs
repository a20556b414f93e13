//! The Worker's route table (built once per isolate, `edge/src/router.rs`): a route answers
//! with its handler and its path's parameters, a known path asked with another method is
//! 405, and an unknown `/api/` path is the API's JSON 404 — the same for every request, not
//! only the first the isolate served.

use integration::Edge;
use reqwest::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread")]
async fn every_request_is_routed_by_method_and_path() {
    let edge = Edge::start();
    let http = reqwest::Client::new();
    let ask = |method: Method, path: &str| {
        let req = http.request(method, format!("{}{path}", edge.base));
        async move { req.send().await.expect("the worker answers") }
    };

    for round in 0..3 {
        let health = ask(Method::GET, "/api/health").await;
        assert_eq!(health.status(), StatusCode::OK, "round {round}");
        assert_eq!(health.text().await.unwrap(), "ok");

        // The path's parameter reaches the handler: two languages, two sets of texts.
        let de: serde_json::Value = ask(Method::GET, "/api/texts/de").await.json().await.unwrap();
        let en: serde_json::Value = ask(Method::GET, "/api/texts/en").await.json().await.unwrap();
        assert!(de.is_object() && en.is_object());
        assert_ne!(de, en, "each language's own texts");

        for (method, path) in [
            (Method::DELETE, "/api/health"),
            (Method::GET, "/api/admin/login"),
            (Method::PUT, "/api/texts/de"),
        ] {
            let res = ask(method.clone(), path).await;
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }

        for (method, path) in
            [(Method::GET, "/api/no-such-endpoint"), (Method::POST, "/api/no/such/endpoint")]
        {
            let res = ask(method.clone(), path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
            let body: serde_json::Value = res.json().await.expect("the API's errors are JSON");
            assert_eq!(body["code"], "not_found", "{method} {path}: {body}");
        }
    }
}
