//! Calls to a Telegram bot's API (or the gateway the owner saved with its token): one JSON
//! request, within a timeout, never following a redirect, the token only in the path of the
//! base it was saved for.

use futures_util::future::{Either, select};
use shared::channel::{Outgoing, telegram};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

/// Telegram answers in well under a second; a call still open after this is failed and
/// retried, rather than holding the conversation's delivery queue.
const TIMEOUT_MS: u64 = 10_000;

/// Why a call failed, and whether making it again later can succeed.
#[derive(Debug)]
pub struct Failed {
    pub error: String,
    /// A refusal that will not change (a bad token, a chat that blocked the bot) is not
    /// retried.
    pub lasting: bool,
}

/// Makes `out` on the bot with `token` at `api_base`; Telegram's `result` on success.
pub async fn call(
    api_base: &str,
    token: &str,
    out: &Outgoing,
) -> Result<serde_json::Value, Failed> {
    let url = format!("{}/bot{token}/{}", api_base.trim_end_matches('/'), out.method);
    let passing = |e: worker::Error| Failed { error: e.to_string(), lasting: false };
    let headers = Headers::new();
    headers.set("Content-Type", "application/json").map_err(passing)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(out.body.to_string().into()))
        .with_redirect(RequestRedirect::Manual);
    let req = Request::new_with_init(&url, &init).map_err(passing)?;
    let abort = AbortController::default();
    let signal = abort.signal();
    let answered = async {
        let res = Fetch::Request(req).send_with_signal(&signal).await.map_err(|e| Failed {
            // The error names the URL, which holds the token.
            error: format!("no answer: {}", e.to_string().replace(token, "…")),
            lasting: false,
        })?;
        let status = res.status_code();
        let body = crate::http::read_response(&res, 64 * 1024).await.unwrap_or_default();
        telegram::outcome(status, &String::from_utf8_lossy(&body)).map_err(|error| Failed {
            error,
            // 400, 401, 403, 404: the same call will be refused again. 429 and 5xx pass.
            lasting: (400..500).contains(&status) && status != 429,
        })
    };
    let timeout = Delay::from(std::time::Duration::from_millis(TIMEOUT_MS));
    match select(std::pin::pin!(answered), timeout).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => {
            abort.abort();
            Err(Failed {
                error: format!("no answer within {} s", TIMEOUT_MS / 1000),
                lasting: false,
            })
        }
    }
}
