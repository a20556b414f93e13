//! Static files that need the Worker's help: the widget bundle with CORS for other origins,
//! and the admin page under every `/admin/...` path.

use worker::{Headers, Request, RouteContext};

use crate::http::{ApiResult, refuse};

type Ctx = RouteContext<()>;

async fn asset(ctx: &Ctx, path: &str) -> Result<worker::Response, crate::http::Refused> {
    let res = ctx
        .env
        .assets("ASSETS")?
        .fetch(format!("https://assets.local{path}"), None)
        .await?;
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
