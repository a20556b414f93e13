//! Static files that need the Worker's help: the widget bundle with CORS for other origins,
//! and the admin page under every `/admin/...` path.

use worker::{Headers, Request, RouteContext};

use crate::http::{ApiResult, refuse};

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
    let res = asset(&ctx, &req.path()).await?;
    let headers = Headers::new();
    for (k, v) in res.headers().entries() {
        headers.set(&k, &v)?;
    }
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Cross-Origin-Resource-Policy", "cross-origin")?;
    let status = res.status_code();
    Ok(res.with_headers(headers).with_status(status))
}

/// The console is one page; it routes inside itself.
pub async fn admin_page(_req: Request, ctx: Ctx) -> ApiResult {
    asset(&ctx, "/admin/").await
}

/// `/chat/KEY`: the chat alone, filling the page, for direct links and iframes.
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
    Ok(worker::Response::from_html(html)?)
}
