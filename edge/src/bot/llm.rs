//! An OpenAI-compatible chat-completions engine, streamed: the visitor watches the answer
//! being written, and the model hands over by calling a tool, never by a keyword in its text.

use futures_util::StreamExt;
use futures_util::future::{Either, select};
use shared::api::LlmSettings;
use shared::llm::{Draft, SseDecoder, request_body};
use shared::machine::BotReply;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit, Result, console_error};

use super::{Ask, Engine};

/// What the visitor reads when the model fails or is too slow.
const FALLBACK: &str = "Sorry, I can't answer that right now. You can ask me again, or talk to a person from the team.";

pub struct LlmBot {
    pub settings: LlmSettings,
    pub key: Option<String>,
}

impl LlmBot {
    async fn stream(&self, ask: &Ask<'_>) -> std::result::Result<Draft, String> {
        let body =
            request_body(&self.settings.model, &self.settings.system_prompt, ask.faq, ask.turns);
        let headers = Headers::new();
        let fail = |e: worker::Error| e.to_string();
        headers.set("Content-Type", "application/json").map_err(fail)?;
        headers.set("Accept", "text/event-stream").map_err(fail)?;
        if let Some(key) = &self.key {
            headers.set("Authorization", &format!("Bearer {key}")).map_err(fail)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let url = format!("{}/chat/completions", self.settings.base_url.trim_end_matches('/'));
        let req = Request::new_with_init(&url, &init).map_err(fail)?;
        let mut res = Fetch::Request(req).send().await.map_err(fail)?;
        if res.status_code() != 200 {
            return Err(format!("the model answered HTTP {}", res.status_code()));
        }
        let mut stream = res.stream().map_err(fail)?;
        let mut decoder = SseDecoder::default();
        let mut draft = Draft::default();
        while let Some(bytes) = stream.next().await {
            for payload in decoder.push(&bytes.map_err(fail)?) {
                draft.apply(&payload).map_err(|e| format!("malformed stream: {}", e.0))?;
                if !draft.text.is_empty() {
                    (ask.on_draft)(&draft.text);
                }
            }
            if draft.done {
                break;
            }
        }
        if draft.text.trim().is_empty() && draft.handover_args.is_none() {
            return Err("the model said nothing".into());
        }
        Ok(draft)
    }
}

impl Engine for LlmBot {
    async fn reply(&self, ask: &Ask<'_>) -> Result<BotReply> {
        let timeout =
            Delay::from(std::time::Duration::from_millis(self.settings.timeout_ms.into()));
        let answer = select(Box::pin(self.stream(ask)), timeout).await;
        let draft = match answer {
            Either::Left((Ok(draft), _)) => draft,
            Either::Left((Err(e), _)) => {
                console_error!("llm engine: {e}");
                return Ok(fallback());
            }
            Either::Right(_) => {
                console_error!("llm engine: no answer within {} ms", self.settings.timeout_ms);
                return Ok(fallback());
            }
        };
        let text = Some(draft.text.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(BotReply { text, handover: draft.handover_reason(), tokens: draft.tokens })
    }
}

fn fallback() -> BotReply {
    BotReply { text: Some(FALLBACK.into()), ..BotReply::default() }
}
