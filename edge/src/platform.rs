//! Calls to a messaging platform: Telegram's Bot API (the token in the path) or WhatsApp's
//! Cloud API (the token as a bearer), at the base the token was saved for. One JSON request,
//! within a timeout, never following a redirect.

use futures_util::future::{Either, select};
use shared::channel::{ChannelKind, Outgoing, telegram, whatsapp};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use crate::internal::PlatformKeys;

/// Both platforms answer in well under a second; a call still open after this is failed and
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

/// Makes `out` on `kind`'s platform with `keys`; the platform's answer on success.
pub async fn call(
    kind: ChannelKind,
    keys: &PlatformKeys,
    out: &Outgoing,
) -> Result<serde_json::Value, Failed> {
    let base = keys.api_base.trim_end_matches('/');
    let token = keys.token.as_str();
    let passing = |e: worker::Error| Failed { error: e.to_string(), lasting: false };
    let headers = Headers::new();
    headers.set("Content-Type", "application/json").map_err(passing)?;
    let url = match kind {
        ChannelKind::Telegram => format!("{base}/bot{token}/{}", out.method),
        ChannelKind::WhatsApp => {
            headers.set("Authorization", &format!("Bearer {token}")).map_err(passing)?;
            let number = keys.phone_number_id.as_deref().unwrap_or_default();
            format!("{base}/{number}/{}", out.method)
        }
    };
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
            // The error may name the URL, which holds a Telegram token.
            error: format!("no answer: {}", e.to_string().replace(token, "…")),
            lasting: false,
        })?;
        let status = res.status_code();
        let body = crate::http::read_response(&res, 64 * 1024).await.unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        let outcome = match kind {
            ChannelKind::Telegram => telegram::outcome(status, &body),
            ChannelKind::WhatsApp => whatsapp::outcome(status, &body),
        };
        // 400, 401, 403, 404: the same call will be refused again. 429, 5xx and WhatsApp's
        // rate limits (4xx with their own codes) pass.
        let passes = status == 429 || (kind == ChannelKind::WhatsApp && whatsapp::transient(&body));
        outcome.map_err(|error| Failed { error, lasting: (400..500).contains(&status) && !passes })
    };
    let timeout = Delay::from(std::time::Duration::from_millis(TIMEOUT_MS));
    match select(std::pin::pin!(answered), timeout).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => {
            abort.abort();
            let error = format!("no answer within {} s", TIMEOUT_MS / 1000);
            Err(Failed { error, lasting: false })
        }
    }
}
