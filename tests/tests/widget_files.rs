//! The widget's files as the edge serves them: in a coding the browser accepts (the
//! precompressed brotli copy to a browser that takes brotli), each decoding to the built file,
//! with an ETag that answers 304, short caching and CORS for every host page.

use std::io::Read;
use std::path::PathBuf;

use integration::Edge;

fn built(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read(root.join("dist/widget").join(name)).expect("run `cargo xtask build` first")
}

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
    for (name, kind) in [
        ("embed.js", "text/javascript; charset=utf-8"),
        ("widget.js", "text/javascript; charset=utf-8"),
        ("widget_bg.wasm", "application/wasm"),
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
            assert_eq!(h["cache-control"], "public, max-age=300");
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
