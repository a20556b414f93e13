//! An OpenAI-compatible chat-completions engine, streamed: the visitor watches the answer
//! being written, and the model hands over by calling a tool, never by a keyword in its text.

use futures_util::StreamExt;
use futures_util::future::{Either, select};
use shared::api::LlmSettings;
use shared::llm::{Draft, Duty, SseDecoder, Turn, parse_ticket, request_body, ticket_request_body};
use shared::machine::BotReply;
use worker::{
    AbortController, AbortSignal, Delay, Fetch, Headers, Method, Request, RequestInit, Result,
    console_error,
};

use super::{Ask, Engine};

/// The most of a streamed answer we read: far more than any chat answer, far less than what
/// would strain the object.
const MAX_STREAM_BYTES: usize = 2 * 1024 * 1024;
/// The most of a ticket summary answer we read.
const MAX_SUMMARY_BYTES: usize = 256 * 1024;

/// What the visitor reads when the model fails or is too slow.
const FALLBACK: &str = "Sorry, I can't answer that right now. You can ask me again, or talk to a person from the team.";

pub struct LlmBot {
    pub settings: LlmSettings,
    pub key: Option<String>,
}

impl LlmBot {
    async fn stream(&self, ask: &Ask<'_>) -> std::result::Result<Draft, String> {
        let s = &self.settings;
        let duty = match (ask.asked.waiting, ask.can_hand_over) {
            (true, _) => Duty::AnswerWhileWaiting,
            (false, true) => Duty::AnswerOrHandOver,
            (false, false) => Duty::Answer,
        };
        let body = request_body(&s.model, &s.system_prompt, ask.faq, ask.asked.turns, duty);
        let fail = |e: worker::Error| e.to_string();
        let mut res = post(s, self.key.as_deref(), &body, true, ask.signal).await.map_err(fail)?;
        if res.status_code() != 200 {
            return Err(format!("the model answered HTTP {}", res.status_code()));
        }
        let mut stream = res.stream().map_err(fail)?;
        let mut decoder = SseDecoder::default();
        let mut draft = Draft::default();
        let mut read = 0;
        while let Some(bytes) = stream.next().await {
            let bytes = bytes.map_err(fail)?;
            read += bytes.len();
            if read > MAX_STREAM_BYTES {
                return Err(format!("the answer streamed past {MAX_STREAM_BYTES} bytes"));
            }
            for payload in decoder.push(&bytes) {
                draft.apply(&payload).map_err(|e| format!("malformed stream: {}", e.0))?;
                if !draft.text.is_empty() {
                    (ask.on_draft)(&draft.text);
                }
            }
            // A model that will not stop: what a message can hold is all it gets to say.
            if draft.done || draft.text.len() > 4 * shared::protocol::limits::MAX_MESSAGE_CHARS {
                break;
            }
        }
        if draft.text.trim().is_empty() && draft.handover_args.is_none() {
            return Err("the model said nothing".into());
        }
        Ok(draft)
    }
}

/// `POST {base_url}/chat/completions` with a JSON body.
async fn post(
    settings: &LlmSettings,
    key: Option<&str>,
    body: &serde_json::Value,
    stream: bool,
    signal: &AbortSignal,
) -> Result<worker::Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("Accept", if stream { "text/event-stream" } else { "application/json" })?;
    if let Some(key) = key {
        headers.set("Authorization", &format!("Bearer {key}"))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.to_string().into()));
    let url = format!("{}/chat/completions", settings.base_url.trim_end_matches('/'));
    Fetch::Request(Request::new_with_init(&url, &init)?).send_with_signal(signal).await
}

/// Why a call that is not streamed gave no answer.
pub enum Failure {
    TimedOut,
    /// Unreachable, an HTTP error, or an answer that is not JSON.
    Failed(String),
}

/// One chat completion, not streamed, within the site's timeout: the answer's JSON.
async fn complete(
    settings: &LlmSettings,
    key: Option<&str>,
    body: &serde_json::Value,
    max_bytes: usize,
) -> std::result::Result<serde_json::Value, Failure> {
    let abort = AbortController::default();
    let signal = abort.signal();
    let ask = async {
        let failed = |e: worker::Error| Failure::Failed(e.to_string());
        let res = post(settings, key, body, false, &signal).await.map_err(failed)?;
        if res.status_code() != 200 {
            return Err(Failure::Failed(format!("the model answered HTTP {}", res.status_code())));
        }
        let bytes = crate::http::read_response(&res, max_bytes).await.map_err(|e| {
            Failure::Failed(match e {
                crate::http::Unread::TooLong => format!("the answer is over {max_bytes} bytes"),
                crate::http::Unread::Broken => "the answer broke off".into(),
            })
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Failure::Failed(format!("the model's answer is not JSON: {e}")))
    };
    let timeout = Delay::from(std::time::Duration::from_millis(settings.timeout_ms.into()));
    let answer = match select(Box::pin(ask), timeout).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => Err(Failure::TimedOut),
    };
    abort.abort();
    answer
}

/// A ticket's subject and summary written by the model in the visitor's language; `None`
/// when it fails or takes too long, and the extractive ones stay.
pub async fn summarise(
    settings: &LlmSettings,
    key: Option<&str>,
    turns: &[Turn],
    language: Option<&str>,
) -> Option<(String, String)> {
    let body = ticket_request_body(&settings.model, turns, language);
    match complete(settings, key, &body, MAX_SUMMARY_BYTES).await {
        Ok(answer) => parse_ticket(&answer),
        Err(Failure::Failed(e)) => {
            console_error!("ticket summary: {e}");
            None
        }
        Err(Failure::TimedOut) => None,
    }
}

/// A draft for a teammate's composer (see [`shared::llm::Assist`]): the text, or why none.
pub async fn assist(
    settings: &LlmSettings,
    key: Option<&str>,
    body: &serde_json::Value,
) -> std::result::Result<String, Failure> {
    let answer = complete(settings, key, body, MAX_SUMMARY_BYTES).await?;
    shared::llm::parse_assist(&answer)
        .ok_or_else(|| Failure::Failed("the model's answer has no text".into()))
}

impl Engine for LlmBot {
    async fn reply(&self, ask: &Ask<'_>) -> Result<Option<BotReply>> {
        let timeout =
            Delay::from(std::time::Duration::from_millis(self.settings.timeout_ms.into()));
        let answer = select(Box::pin(self.stream(ask)), timeout).await;
        let draft = match answer {
            Either::Left((Ok(draft), _)) => draft,
            // A newer visitor message took this call's place: nothing to say.
            _ if ask.signal.aborted() => return Ok(None),
            Either::Left((Err(e), _)) => {
                console_error!("llm engine: {e}");
                return Ok(Some(fallback()));
            }
            Either::Right(_) => {
                console_error!("llm engine: no answer within {} ms", self.settings.timeout_ms);
                return Ok(Some(fallback()));
            }
        };
        let text = Some(draft.text.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Some(BotReply {
            text,
            handover: draft.handover_reason(),
            tokens: draft.tokens,
            source: None,
        }))
    }
}

fn fallback() -> BotReply {
    BotReply { text: Some(FALLBACK.into()), ..BotReply::default() }
}
