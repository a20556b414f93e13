//! Static files that need the Worker's help: the widget bundle with CORS for other origins,
//! and the admin page under every `/admin/...` path.

use crate::router::Ctx;
use worker::{EncodeBody, Headers, Request, RequestInit};

use crate::http::{ApiResult, page_headers, refuse};

async fn asset(ctx: &Ctx, path: &str) -> Result<worker::Response, crate::http::Refused> {
    let res = ctx.env.assets("ASSETS")?.fetch(format!("https://assets.local{path}"), None).await?;
    if res.status_code() == 404 {
        return Err(refuse(404, "not_found", "No such file."));
    }
    Ok(res)
}

/// The codings a widget file is built in besides the file itself (`cargo xtask build` writes
/// `NAME.br` and `NAME.gz` beside it), the most preferred first.
const CODINGS: [(&str, &str); 2] = [("br", "br"), ("gzip", "gz")];

/// The widget's loader, JS glue and wasm, readable from any host page's origin, in the best
/// coding the browser accepts, with a strong ETag to revalidate by. A content-hashed name never
/// changes content, so caches keep it a year; the loader's name is stable, so caches keep it
/// minutes: a deploy reaches every site soon.
pub async fn widget_file(req: Request, ctx: Ctx) -> ApiResult {
    let path = req.path();
    let accepted = req.headers().get("Accept-Encoding")?;
    let if_none_match = req.headers().get("If-None-Match")?;
    let coding = shared::encoding::best(accepted.as_deref(), &CODINGS.map(|(c, _)| c));
    let mut served = None;
    if let Some((coding, ext)) = CODINGS.iter().find(|(c, _)| Some(*c) == coding) {
        let copy = format!("{path}.{ext}");
        if let Some(res) = conditional(&ctx, &copy, if_none_match.as_deref()).await? {
            served = Some((Some(*coding), res));
        }
    }
    let (coding, res) = match served {
        Some(found) => found,
        None => match conditional(&ctx, &path, if_none_match.as_deref()).await? {
            Some(res) => (None, res),
            None => return Err(refuse(404, "not_found", "No such file.")),
        },
    };
    let mut res = copy_headers(res)?;
    let status = res.status_code();
    let headers = res.headers_mut();
    if let Some(kind) = content_type(&path) {
        headers.set("Content-Type", kind)?;
    }
    if let Some(coding) = coding {
        headers.set("Content-Encoding", coding)?;
    }
    headers.set("Vary", "Accept-Encoding")?;
    // A passing failure of the assets store must not be kept for a year.
    let cache = match status {
        200 | 304 if content_hashed(&path) => "public, max-age=31536000, immutable",
        200 | 304 => "public, max-age=300",
        _ => "no-store",
    };
    headers.set("Cache-Control", cache)?;
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Cross-Origin-Resource-Policy", "cross-origin")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    // The body is already in its coding: the runtime must send it as it is.
    Ok(if coding.is_some() { res.with_encode_body(EncodeBody::Manual) } else { res })
}

/// A static file, or 304 when `if_none_match` names its ETag; `None` when there is no such
/// file.
async fn conditional(
    ctx: &Ctx,
    path: &str,
    if_none_match: Option<&str>,
) -> Result<Option<worker::Response>, crate::http::Refused> {
    let headers = Headers::new();
    if let Some(tag) = if_none_match {
        headers.set("If-None-Match", tag)?;
    }
    let mut init = RequestInit::new();
    init.with_headers(headers);
    let url = format!("https://assets.local{path}");
    let res = ctx.env.assets("ASSETS")?.fetch(url, Some(init)).await?;
    Ok((res.status_code() != 404).then_some(res))
}

/// Whether `path` ends in a name `cargo xtask build` gave from the content's hash:
/// `STEM.{12 hex digits}.EXT`.
fn content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let mut parts = name.rsplit('.');
    let (_ext, hash, stem) = (parts.next(), parts.next(), parts.next());
    let hex = |h: &str| h.len() == 12 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    parts.next().is_none() && stem.is_some_and(|s| !s.is_empty()) && hash.is_some_and(hex)
}

/// What a widget file is, by its name: the copies in other codings are served as the file.
fn content_type(path: &str) -> Option<&'static str> {
    match path.rsplit('.').next()? {
        "js" => Some("text/javascript; charset=utf-8"),
        "wasm" => Some("application/wasm"),
        _ => None,
    }
}

/// The console is one page; it routes inside itself. Nobody may frame it (clickjacking), and
/// it runs only its own code.
pub async fn admin_page(_req: Request, ctx: Ctx) -> ApiResult {
    let res = asset(&ctx, "/admin/").await?;
    let mut res = copy_headers(res)?;
    page_headers(&mut res, "'none'")?;
    Ok(res)
}

/// A response whose headers can be changed (those from the assets binding are immutable).
fn copy_headers(res: worker::Response) -> Result<worker::Response, crate::http::Refused> {
    let headers = Headers::new();
    for (k, v) in res.headers().entries() {
        headers.set(&k, &v)?;
    }
    let status = res.status_code();
    Ok(res.with_headers(headers).with_status(status))
}

/// `/chat/KEY`: the chat alone, filling the page, for direct links and iframes — framed only
/// by the pages the site allows (any, when it lists none).
pub async fn chat_page(_req: Request, ctx: Ctx) -> ApiResult {
    let key = ctx
        .param("site")
        .filter(|k| crate::api::valid_site_key(k))
        .ok_or_else(|| refuse(404, "unknown_site", "There is no site with that key."))?;
    // The key is lowercase letters, digits and '-': nothing in it needs escaping.
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>Chat</title>
<style>html,body{{margin:0;height:100%;background:#fff}}@media (prefers-color-scheme:dark){{html,body{{background:#1f2933}}}}</style>
</head>
<body>
<script src="/widget/embed.js" data-site-key="{key}" data-mode="page"></script>
</body>
</html>
"#
    );
    let mut res = worker::Response::from_html(html)?;
    page_headers(&mut res, &frame_ancestors(&ctx, key).await?)?;
    Ok(res)
}

/// Who may frame a site's chat page: itself, and the site's allowed origins.
async fn frame_ancestors(ctx: &Ctx, key: &str) -> Result<String, crate::http::Refused> {
    let site = crate::internal::site_config(&ctx.env, key)
        .await?
        .ok_or_else(|| refuse(404, "unknown_site", "There is no site with that key."))?;
    if site.allowed_origins.is_empty() {
        return Ok("*".to_owned());
    }
    // Validated origins (scheme://host[:port], `*.` allowed): valid CSP source expressions.
    let mut sources = vec!["'self'".to_owned()];
    sources.extend(site.allowed_origins.iter().map(|o| o.trim_end_matches('/').to_owned()));
    Ok(sources.join(" "))
}

#[cfg(test)]
mod tests {
    use super::content_hashed;

    #[test]
    fn only_names_the_build_hashed_are_kept_for_good() {
        assert!(content_hashed("/widget/widget.0123456789ab.js"));
        assert!(content_hashed("/widget/widget_bg.a1b2c3d4e5f6.wasm"));
        assert!(!content_hashed("/widget/widget.js"));
        assert!(!content_hashed("/widget/embed.js"));
        assert!(!content_hashed("/widget/widget.0123456789AB.js"));
        assert!(!content_hashed("/widget/widget.0123456789a.js"));
        assert!(!content_hashed("/widget/.0123456789ab.js"));
        assert!(!content_hashed("/widget/a.b.0123456789ab.js"));
        assert!(!content_hashed("/widget/0123456789ab.js"));
    }
}
