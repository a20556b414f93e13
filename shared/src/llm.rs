//! The pure half of the OpenAI-compatible engine: the request body and the decoding of a
//! streamed answer (server-sent events of `chat.completion.chunk` objects). The edge does the
//! fetching; everything that can be wrong about the bytes is tested here.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::faq::FaqEntry;

/// The tool the model calls to hand over; a structured decision, never a keyword in its text.
pub const HANDOVER_TOOL: &str = "handover_to_human";

/// One turn of the conversation as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    Visitor(String),
    Assistant(String),
    /// A human agent spoke; the model sees it as the assistant's side, attributed.
    Agent {
        name: String,
        text: String,
    },
}

/// The body of `POST {base_url}/chat/completions`.
pub fn request_body(model: &str, system_prompt: &str, faq: &[FaqEntry], turns: &[Turn]) -> Value {
    let mut grounding = String::from(system_prompt.trim());
    if !faq.is_empty() {
        grounding.push_str(
            "\n\nAnswer from these questions and answers of the site when they apply; do not \
             invent policies. If you cannot help, or the visitor wants a person, call the \
             handover_to_human tool.\n",
        );
        for e in faq {
            grounding.push_str(&format!("\nQ: {}\nA: {}\n", e.question, e.answer));
        }
    }
    let mut messages = vec![json!({ "role": "system", "content": grounding })];
    for t in turns {
        messages.push(match t {
            Turn::Visitor(text) => json!({ "role": "user", "content": text }),
            Turn::Assistant(text) => json!({ "role": "assistant", "content": text }),
            Turn::Agent { name, text } => {
                json!({ "role": "assistant", "content": format!("({name}, a human teammate): {text}") })
            }
        });
    }
    json!({
        "model": model,
        "stream": true,
        // Ask for the token count in the last chunk: AI usage is counted per site.
        "stream_options": { "include_usage": true },
        "messages": messages,
        "tools": [{
            "type": "function",
            "function": {
                "name": HANDOVER_TOOL,
                "description": "Hand the conversation to a human teammate.",
                "parameters": {
                    "type": "object",
                    "properties": { "reason": { "type": "string", "description": "Why a person is needed." } },
                    "required": ["reason"]
                }
            }
        }],
        "tool_choice": "auto"
    })
}

/// Splits a byte stream into the `data:` payloads of server-sent events.
#[derive(Debug, Default)]
pub struct SseDecoder {
    pending: Vec<u8>,
}

impl SseDecoder {
    /// Feeds bytes; returns the payloads of every event completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(data) = line.strip_prefix("data:") {
                out.push(data.trim_start().to_owned());
            }
        }
        out
    }
}

/// What the model has said so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Draft {
    pub text: String,
    /// Set once the model called the handover tool; the raw JSON arguments so far.
    pub handover_args: Option<String>,
    pub done: bool,
    /// Tokens the answer cost, when the server says.
    pub tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
struct ToolCall {
    #[serde(default)]
    function: Option<FunctionCall>,
}

#[derive(Deserialize, Serialize)]
struct FunctionCall {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// A payload the stream should not contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl Draft {
    /// Applies one event payload. `[DONE]` ends the answer.
    pub fn apply(&mut self, payload: &str) -> Result<(), Malformed> {
        if payload == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(payload).map_err(|e| Malformed(e.to_string()))?;
        if let Some(total) = chunk.usage.and_then(|u| u.total_tokens) {
            self.tokens = Some(total);
        }
        for choice in chunk.choices {
            if let Some(text) = choice.delta.content {
                self.text.push_str(&text);
            }
            for call in choice.delta.tool_calls {
                let Some(f) = call.function else { continue };
                if f.name.as_deref().is_some_and(|n| n != HANDOVER_TOOL) {
                    continue;
                }
                let args = self.handover_args.get_or_insert_with(String::new);
                args.push_str(f.arguments.as_deref().unwrap_or(""));
            }
            if choice.finish_reason.is_some() {
                self.done = true;
            }
        }
        Ok(())
    }

    /// The handover reason, if the model asked for one.
    pub fn handover_reason(&self) -> Option<String> {
        let args = self.handover_args.as_ref()?;
        let reason = serde_json::from_str::<Value>(args)
            .ok()
            .and_then(|v| v.get("reason").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        Some(if reason.is_empty() { "The AI asked for a person.".to_owned() } else { reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(content: &str) -> String {
        format!("data: {}\n\n", json!({ "choices": [{ "delta": { "content": content } }] }))
    }

    #[test]
    fn a_streamed_answer_accumulates_across_split_bytes() {
        let stream = format!("{}{}data: [DONE]\n\n", chunk("Our store "), chunk("opens at 9."));
        let mut dec = SseDecoder::default();
        let mut draft = Draft::default();
        for piece in stream.as_bytes().chunks(7) {
            for payload in dec.push(piece) {
                draft.apply(&payload).unwrap();
            }
        }
        assert_eq!(draft.text, "Our store opens at 9.");
        assert!(draft.done);
        assert_eq!(draft.handover_reason(), None);
        assert_eq!(draft.tokens, None);
        draft.apply(r#"{"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":7,"total_tokens":27}}"#).unwrap();
        assert_eq!(draft.tokens, Some(27));
    }

    #[test]
    fn a_tool_call_is_a_handover_with_its_reason() {
        let mut draft = Draft::default();
        let call = |args: &str| {
            json!({ "choices": [{ "delta": { "tool_calls": [{ "index": 0, "function": { "name": HANDOVER_TOOL, "arguments": args } }] } }] }).to_string()
        };
        draft.apply(&call("{\"reason\": \"refund ")).unwrap();
        let more = json!({ "choices": [{ "delta": { "tool_calls": [{ "index": 0, "function": { "arguments": "request\"}" } }] }, "finish_reason": "tool_calls" }] });
        draft.apply(&more.to_string()).unwrap();
        assert_eq!(draft.handover_reason().as_deref(), Some("refund request"));
        assert!(draft.done);
    }

    #[test]
    fn garbage_is_reported_not_swallowed() {
        assert!(Draft::default().apply("{not json").is_err());
        let mut dec = SseDecoder::default();
        assert_eq!(dec.push(b": keep-alive\n\nevent: ping\n"), Vec::<String>::new());
    }

    #[test]
    fn the_request_grounds_the_model_in_the_faq() {
        let faq = [FaqEntry { question: "Hours?".into(), answer: "9 to 5".into() }];
        let body = request_body("m", "Be kind.", &faq, &[Turn::Visitor("hi".into())]);
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert!(system.starts_with("Be kind.") && system.contains("A: 9 to 5"));
        assert_eq!(body["messages"][1]["role"], "user");
        assert_eq!(body["tools"][0]["function"]["name"], HANDOVER_TOOL);
        assert_eq!(body["stream"], true);
    }
}
