//! `/api/unsubscribe`: the link in every team mail, and in the mail of replies to a visitor.
//! Opening it (`GET`) shows a button, so a mail scanner that follows links changes nothing;
//! the button, or a mail client's RFC 8058 one-click `POST`, turns that mail off.

use crate::router::Ctx;
use shared::mail::escape;
use worker::{Method, Request, Response};

use crate::api::{valid_conversation_id, valid_site_key};
use crate::http::{ApiResult, page_headers, refuse};
use crate::{internal, limits};

/// The link's parts, of the right shapes; the object it names checks the token.
enum Link {
    /// A teammate's team mail.
    Team { site: String, member: String, token: String },
    /// A visitor's mail of replies about one conversation.
    Visitor { conversation: String, token: String },
}

fn bad_link() -> crate::http::Refused {
    refuse(404, "bad_link", "This unsubscribe link is not valid.")
}

fn link(req: &Request) -> Result<Link, crate::http::Refused> {
    let url = req.url()?;
    let get = |name: &str| {
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let (conversation, token) = (get("conversation"), get("token"));
    if !conversation.is_empty() {
        return if valid_conversation_id(&conversation) && hex(&token, 64) {
            Ok(Link::Visitor { conversation, token })
        } else {
            Err(bad_link())
        };
    }
    let (site, member) = (get("site"), get("member"));
    if valid_site_key(&site) && hex(&member, 32) && hex(&token, 64) {
        Ok(Link::Team { site, member, token })
    } else {
        Err(bad_link())
    }
}

/// Asks the object the link names to check it (`check`) or act on it.
async fn with_owner(ctx: &Ctx, link: &Link, check: bool) -> Result<(), crate::http::Refused> {
    let query = if check { "?check" } else { "" };
    let res = match link {
        Link::Team { site, member, token } => {
            let stub = internal::site(&ctx.env, site)?;
            let body = serde_json::json!({ "member_id": member, "token": token });
            let path = format!("/email/unsubscribe{query}");
            internal::send(&stub, Method::Post, &path, Some(&body)).await?
        }
        Link::Visitor { conversation, token } => {
            let stub = internal::conversation(&ctx.env, conversation)?;
            let body = serde_json::json!({ "token": token });
            internal::send(&stub, Method::Post, &format!("/mail/stop{query}"), Some(&body)).await?
        }
    };
    match res.status_code() {
        200 => Ok(()),
        // The conversation could not answer: the link may well be good.
        500.. => Err(refuse(
            503,
            "unavailable",
            "This could not be done just now; try again in a minute.",
        )),
        _ => Err(bad_link()),
    }
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
pub async fn page_for(req: Request, ctx: Ctx) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CONFIG).await?;
    let link = link(&req)?;
    with_owner(&ctx, &link, true).await?;
    let action = escape(&format!(
        "{}{}",
        req.path(),
        req.url()?.query().map_or(String::new(), |q| format!("?{q}"))
    ));
    let (title, what) = match link {
        Link::Team { .. } => (
            "Stop team mail?",
            "You will no longer get mail about visitors waiting for a person. You can turn it \
             back on in the console, under Account.",
        ),
        Link::Visitor { .. } => (
            "Stop these emails?",
            "You will no longer get the team's replies to this chat by email. They stay in the \
             chat.",
        ),
    };
    page(
        title,
        &format!(
            "<p>{what}</p><form method=\"post\" action=\"{action}\"><button type=\"submit\" \
             style=\"font:inherit;padding:.5rem 1rem\">Unsubscribe</button></form>"
        ),
    )
}

/// `POST`: the button, or the mail client's one-click request.
pub async fn confirm(req: Request, ctx: Ctx) -> ApiResult {
    limits::check(&ctx.env, &req, &limits::CONFIG).await?;
    let link = link(&req)?;
    with_owner(&ctx, &link, false).await?;
    let done = match link {
        Link::Team { .. } => {
            "You will get no more mail about waiting visitors. To get it again, choose it in the \
             console under Account."
        }
        Link::Visitor { .. } => "You will get no more email about this chat.",
    };
    page("Unsubscribed", &format!("<p>{done}</p>"))
}
