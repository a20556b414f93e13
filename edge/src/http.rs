//! What every handler shares: typed refusals, JSON answers, bodies read within a limit,
//! cookies and the headers every answer carries.

use js_sys::{Reflect, Uint8Array};
use serde::Serialize;
use shared::api::ApiError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{Request, Response, Result, console_error, console_warn};

/// A refused request: a status, a stable code for programs and a sentence for people.
/// Internal failures are logged here and never shown to the caller.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for `429`: sent as `Retry-After`.
    pub retry_after: Option<u32>,
}

pub type ApiResult = std::result::Result<Response, Refused>;

pub fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Refused {
    Refused { status, code, message: message.into(), retry_after: None }
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
    let res = match outcome {
        Ok(response) => response,
        Err(r) => {
            let body = ApiError { code: r.code.to_owned(), message: r.message };
            let mut res = Response::from_json(&body)?.with_status(r.status);
            if let Some(secs) = r.retry_after {
                res.headers_mut().set("Retry-After", &secs.to_string())?;
            }
            res
        }
    };
    // Answers are what they say they are: a JSON error is never sniffed into a page. An
    // object's answer passed on has the immutable headers of a fetched response, where `set`
    // throws (the header went missing, and each throw cost a TypeError with its stack), so
    // the header goes on a copy.
    let headers = res.headers().clone();
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(res.with_headers(headers))
}

pub fn json<T: Serialize>(value: &T) -> ApiResult {
    Ok(Response::from_json(value)?)
}

pub const MAX_BODY_BYTES: usize = 256 * 1024;

fn too_large() -> Refused {
    refuse(413, "body_too_large", "The request body is too large.")
}

/// The request's body, at most `max` bytes: refused by its `Content-Length` before anything
/// is read, and while streaming once more arrived than that (a sender may lie or omit it).
pub async fn read_capped(req: &mut Request, max: usize) -> std::result::Result<Vec<u8>, Refused> {
    let declared = req.headers().get("Content-Length").ok().flatten();
    let declared = declared.and_then(|l| l.trim().parse::<u64>().ok());
    if let Some(length) = declared.filter(|l| *l > max as u64) {
        console_warn!("{}: body refused by its declared length ({length} bytes)", req.path());
        return Err(too_large());
    }
    let Some(stream) = req.inner().body() else { return Ok(Vec::new()) };
    match read_stream(stream, max).await {
        Ok(bytes) => Ok(bytes),
        Err(Unread::TooLong) => {
            console_warn!("{}: body refused while streaming, past {max} bytes", req.path());
            Err(too_large())
        }
        Err(Unread::Broken) => Err(refuse(400, "malformed_body", "The body could not be read.")),
    }
}

/// A JSON body, or the refusal that says what is wrong with it.
pub fn parse_json<T: serde::de::DeserializeOwned>(raw: &[u8]) -> std::result::Result<T, Refused> {
    serde_json::from_slice(raw)
        .map_err(|e| refuse(400, "malformed_body", format!("The JSON body is not valid: {e}.")))
}

/// Why a body was not read whole.
#[derive(Debug, PartialEq, Eq)]
pub enum Unread {
    TooLong,
    Broken,
}

/// Reads a body up to `max` bytes. Past that it cancels the stream and waits for the cancel,
/// so no read is left pending when the answer goes out: workerd fails a read of a request
/// whose response was sent, and that failure tears the connection down.
pub async fn read_stream(
    stream: web_sys::ReadableStream,
    max: usize,
) -> std::result::Result<Vec<u8>, Unread> {
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(|_| Unread::Broken)?;
        let field = |name: &str| Reflect::get(&step, &JsValue::from_str(name));
        if field("done").ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            return Ok(out);
        }
        let chunk = Uint8Array::new(&field("value").map_err(|_| Unread::Broken)?);
        if out.len() + chunk.length() as usize > max {
            let _ = JsFuture::from(reader.cancel()).await;
            return Err(Unread::TooLong);
        }
        out.extend(chunk.to_vec());
    }
}

/// A response's body up to `max` bytes (see [`read_stream`]); an empty body is empty.
pub async fn read_response(
    res: &worker::Response,
    max: usize,
) -> std::result::Result<Vec<u8>, Unread> {
    match res.body() {
        worker::ResponseBody::Stream(stream) => read_stream(stream.clone(), max).await,
        worker::ResponseBody::Body(bytes) if bytes.len() <= max => Ok(bytes.clone()),
        worker::ResponseBody::Body(_) => Err(Unread::TooLong),
        worker::ResponseBody::Empty => Ok(Vec::new()),
    }
}

/// Reads a JSON body; a malformed or oversize one is refused with 400/413.
pub async fn body<T: serde::de::DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<T, Refused> {
    let bytes = read_capped(req, MAX_BODY_BYTES).await?;
    serde_json::from_slice(&bytes)
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

/// The headers of every HTML page we serve: no sniffing, no referrer beyond our origin, and
/// a content policy that lets the page load only its own code. `frame_ancestors` says who may
/// frame it (`'none'` for the console).
pub fn page_headers(res: &mut Response, frame_ancestors: &str) -> Result<()> {
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' \
         'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    );
    let h = res.headers_mut();
    h.set("Content-Security-Policy", &csp)?;
    h.set("X-Content-Type-Options", "nosniff")?;
    h.set("Referrer-Policy", "strict-origin-when-cross-origin")?;
    if frame_ancestors == "'none'" {
        h.set("X-Frame-Options", "DENY")?;
    }
    Ok(())
}
