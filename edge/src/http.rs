//! What every handler shares: typed refusals, JSON answers, cookies.

use serde::Serialize;
use shared::api::ApiError;
use worker::{Request, Response, Result, console_error};

/// A refused request: a status, a stable code for programs and a sentence for people.
/// Internal failures are logged here and never shown to the caller.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub type ApiResult = std::result::Result<Response, Refused>;

pub fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Refused {
    Refused { status, code, message: message.into() }
}

impl From<worker::Error> for Refused {
    fn from(e: worker::Error) -> Self {
        console_error!("internal error: {e}");
        refuse(500, "internal", "Something went wrong on our side; please try again.")
    }
}

impl From<serde_json::Error> for Refused {
    fn from(e: serde_json::Error) -> Self {
        worker::Error::from(e).into()
    }
}

/// Turns a handler's outcome into the response sent.
pub fn finish(outcome: ApiResult) -> Result<Response> {
    match outcome {
        Ok(response) => Ok(response),
        Err(r) => {
            let body = ApiError { code: r.code.to_owned(), message: r.message };
            Ok(Response::from_json(&body)?.with_status(r.status))
        }
    }
}

pub fn json<T: Serialize>(value: &T) -> ApiResult {
    Ok(Response::from_json(value)?)
}

const MAX_BODY_BYTES: usize = 256 * 1024;

/// Reads a JSON body; a malformed or oversize one is refused with 400/413.
pub async fn body<T: serde::de::DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<T, Refused> {
    let text = req
        .text()
        .await
        .map_err(|_| refuse(400, "malformed_body", "The body could not be read."))?;
    if text.len() > MAX_BODY_BYTES {
        return Err(refuse(413, "body_too_large", "The request body is too large."));
    }
    serde_json::from_str(&text)
        .map_err(|e| refuse(400, "malformed_body", format!("The JSON body is not valid: {e}.")))
}

pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

pub fn is_https(req: &Request) -> bool {
    req.url().map(|u| u.scheme() == "https").unwrap_or(false)
}

pub fn is_websocket_upgrade(req: &Request) -> bool {
    req.headers().get("Upgrade").ok().flatten().is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}
