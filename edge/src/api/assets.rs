//! Static files that need the Worker's help: the widget bundle with CORS for other origins,
//! and the admin page under every `/admin/...` path.

use worker::{Headers, Request, RouteContext};

use crate::http::{ApiResult, page_headers, refuse};

type Ctx = RouteContext<()>;

async fn asset(ctx: &Ctx, path: &str) -> Result<worker::Response, crate::http::Refused> {
    let res = ctx.env.assets("ASSETS")?.fetch(format!("https://assets.local{path}"), None).await?;
    if res.status_code() == 404 {
        return Err(refuse(404, "not_found", "No such file."));
    }
    Ok(res)
}

/// The widget's loader, JS glue and wasm, readable from any host page's origin.
pub async fn widget_file(req: Request, ctx: Ctx) -> ApiResult {
    let mut res = copy_headers(asset(&ctx, &req.path()).await?)?;
    let headers = res.headers_mut();
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Cross-Origin-Resource-Policy", "cross-origin")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(res)
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
