//! The widget's files as the edge serves them: in a coding the browser accepts (the
//! precompressed brotli copy to a browser that takes brotli), each decoding to the built file,
//! with an ETag that answers 304, CORS for every host page, and caching by name: a year for
//! the content-hashed glue and wasm the loader names, minutes for the loader itself and the
//! glue's stable fallback name.

use std::io::Read;
use std::path::PathBuf;

use integration::Edge;

fn dist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist/widget")
}

fn built(name: &str) -> Vec<u8> {
    std::fs::read(dist().join(name)).expect("run `cargo xtask build` first")
}

/// The one built file named `{stem}.{hash}.{ext}`.
fn hashed(stem: &str, ext: &str) -> String {
    let names: Vec<String> = std::fs::read_dir(dist())
        .expect("run `cargo xtask build` first")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            let mut parts = n.split('.');
            parts.next() == Some(stem)
                && parts.next().is_some_and(|h| h.len() == 12)
                && parts.next() == Some(ext)
                && parts.next().is_none()
        })
        .collect();
    assert_eq!(names.len(), 1, "one {stem}.HASH.{ext} in dist/widget: {names:?}");
    names.into_iter().next().unwrap()
}

const SHORT: &str = "public, max-age=300";
const FOR_GOOD: &str = "public, max-age=31536000, immutable";

async fn get(edge: &Edge, name: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}/widget/{name}", edge.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn decode(coding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        Some("br") => {
            brotli_decompressor::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap();
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
        }
        None => out.extend_from_slice(body),
        Some(other) => panic!("unexpected coding {other}"),
    };
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn each_widget_file_comes_in_a_coding_accepted_and_revalidates() {
    let edge = Edge::start();
    // What the browser accepts, and what may come back. Local wrangler's server re-encodes a
    // worker's compressed answer in the coding it prefers among those accepted (Cloudflare
    // sends it as it is), so where several are accepted the test takes any of them.
    let cases: [(&str, &[Option<&str>]); 5] = [
        ("br", &[Some("br")]),
        ("gzip", &[Some("gzip")]),
        ("gzip, deflate, br, zstd", &[Some("br"), Some("gzip")]),
        ("br;q=0, gzip;q=0.8", &[Some("gzip")]),
        ("identity", &[None]),
    ];
    let (glue, wasm) = (hashed("widget", "js"), hashed("widget_bg", "wasm"));
    // Each names the next: a loader that named a stale glue would load a stale chat for a year.
    let loader = String::from_utf8(built("embed.js")).unwrap();
    assert!(loader.contains(&format!("\"{glue}\"")), "the loader names {glue}");
    let glue_text = String::from_utf8(built(&glue)).unwrap();
    assert!(glue_text.contains(&wasm), "the glue names {wasm}");
    assert_eq!(built("widget.js"), glue_text.as_bytes(), "widget.js is the same glue");
    let js = "text/javascript; charset=utf-8";
    // What loaders from before content-hashed names ask for: the same files.
    assert_eq!(built("widget_bg.wasm"), built(&wasm), "widget_bg.wasm is the same wasm");
    for (name, kind, cache) in [
        ("embed.js", js, SHORT),
        ("widget.js", js, SHORT),
        ("widget_bg.wasm", "application/wasm", SHORT),
        (glue.as_str(), js, FOR_GOOD),
        (wasm.as_str(), "application/wasm", FOR_GOOD),
    ] {
        let raw = built(name);
        for (accepts, allowed) in cases {
            let res = get(&edge, name, &[("Accept-Encoding", accepts)]).await;
            assert_eq!(res.status(), 200, "{name} with {accepts:?}");
            let h = res.headers().clone();
            let coding = h.get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
            assert!(allowed.contains(&coding.as_deref()), "{name} with {accepts:?}: {coding:?}");
            assert_eq!(h["content-type"], kind, "{name}");
            assert!(h["vary"].to_str().unwrap().contains("Accept-Encoding"));
            assert_eq!(h["access-control-allow-origin"], "*");
            assert_eq!(h["cache-control"], cache, "{name}");
            let body = res.bytes().await.unwrap();
            assert_eq!(decode(coding.as_deref(), &body), raw, "{name} with {accepts:?}");
            if accepts == "br" {
                // The copy `cargo xtask build` compressed at brotli's best, byte for byte.
                assert_eq!(body, built(&format!("{name}.br")), "{name}");
            }

            // Revalidation: the ETag answers 304, with no body.
            let tag = h["etag"].to_str().unwrap().to_owned();
            let again =
                get(&edge, name, &[("Accept-Encoding", accepts), ("If-None-Match", &tag)]).await;
            assert_eq!(again.status(), 304, "{name} with {accepts:?}");
            assert!(again.bytes().await.unwrap().is_empty());
        }
    }
    let res = get(&edge, "nothing-here.js", &[("Accept-Encoding", "br")]).await;
    assert_eq!(res.status(), 404);
}
