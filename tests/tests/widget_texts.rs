//! The widget's strings in other languages, as the edge sends them: what the widget reads back
//! is the built table, for any host page (CORS), cached, and English for anything else.

use integration::Edge;
use shared::widget_texts::{CODES, Texts, for_tag};

async fn get(edge: &Edge, lang: &str) -> reqwest::Response {
    reqwest::get(format!("{}/api/texts/{lang}", edge.base)).await.unwrap()
}

async fn read(res: reqwest::Response) -> Texts {
    assert_eq!(res.status(), 200);
    Texts::read(res.json::<serde_json::Value>().await.unwrap().into())
        .expect("the widget reads what the edge sends")
}

#[tokio::test(flavor = "multi_thread")]
async fn each_language_arrives_whole_and_anything_else_is_english() {
    let edge = Edge::start();
    for code in CODES {
        let res = get(&edge, code).await;
        let headers = res.headers().clone();
        assert_eq!(headers["access-control-allow-origin"], "*", "{code}");
        assert_eq!(headers["cache-control"], "public, max-age=3600", "{code}");
        assert_eq!(&read(res).await, for_tag(code), "{code}");
    }
    assert_eq!(read(get(&edge, "pt-BR").await).await.code, "pt");
    for hostile in ["xx", "%3Cscript%3E", "..%2F..%2Fetc", &"a".repeat(4_000), "DE%00"] {
        assert_eq!(read(get(&edge, hostile).await).await.code, "en", "{hostile:.20}");
    }
    let res = reqwest::Client::new()
        .post(format!("{}/api/texts/de", edge.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "only read: {}", res.status());
}
