//! `/api/unsubscribe`: the link in every team mail. Opening it (`GET`) shows a button, so a
//! mail scanner that follows links changes nothing; the button, or a mail client's RFC 8058
//! one-click `POST`, turns the teammate's team mail off.

use shared::mail::escape;
use worker::{Method, Request, Response, RouteContext};

use crate::api::valid_site_key;
use crate::http::{ApiResult, page_headers, refuse};
use crate::{internal, limits};

/// The link's parts, of the right shapes; the site object checks the token.
struct Link {
    site: String,
    member: String,
    token: String,
}

fn bad_link() -> crate::http::Refused {
    refuse(404, "bad_link", "This unsubscribe link is not valid.")
}

fn link(req: &Request) -> Result<Link, crate::http::Refused> {
    let url = req.url()?;
    let get = |name: &str| {
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    let link = Link { site: get("site"), member: get("member"), token: get("token") };
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if valid_site_key(&link.site) && hex(&link.member, 32) && hex(&link.token, 64) {
        Ok(link)
    } else {
        Err(bad_link())
    }
}

/// Asks the site to check the link (`check`) or act on it.
async fn with_site(
    ctx: &RouteContext<()>,
    link: &Link,
    check: bool,
) -> Result<(), crate::http::Refused> {
    let stub = internal::site(&ctx.env, &link.site)?;
    let body = serde_json::json!({ "member_id": link.member, "token": link.token });
    let path = if check { "/email/unsubscribe?check" } else { "/email/unsubscribe" };
    let res = internal::send(&stub, Method::Post, path, Some(&body)).await?;
    if res.status_code() == 200 { Ok(()) } else { Err(bad_link()) }
}

fn page(title: &str, body: &str) -> ApiResult {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body style=\"font-family:system-ui,sans-serif;\
         max-width:36rem;margin:3rem auto;padding:0 1rem;color:#111827\"><h1 \
         style=\"font-size:1.4rem\">{title}</h1>{body}</body></html>"
    );
    let mut res = Response::from_html(html)?;
    page_headers(&mut res, "'none'")?;
    Ok(res)
}

/// `GET`: what the link does, and the button that does it.
pub async fn page_for(req: Request, ctx: RouteContext<()>) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CONFIG).await?;
    with_site(&ctx, &link(&req)?, true).await?;
    let action = escape(&format!(
        "{}{}",
        req.path(),
        req.url()?.query().map_or(String::new(), |q| format!("?{q}"))
    ));
    page(
        "Stop team mail?",
        &format!(
            "<p>You will no longer get mail about visitors waiting for a person. You can turn \
             it back on in the console, under Account.</p><form method=\"post\" \
             action=\"{action}\"><button type=\"submit\" style=\"font:inherit;padding:.5rem \
             1rem\">Unsubscribe</button></form>"
        ),
    )
}

/// `POST`: the button, or the mail client's one-click request.
pub async fn confirm(req: Request, ctx: RouteContext<()>) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CONFIG).await?;
    with_site(&ctx, &link(&req)?, false).await?;
    page(
        "Unsubscribed",
        "<p>You will get no more mail about waiting visitors. To get it again, choose it in the \
         console under Account.</p>",
    )
}
