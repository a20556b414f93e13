//! Asking the AI: the engine runs with the conversation so far, its draft streams to everyone
//! while the turn is still the AI's, and the answer goes back through the state machine.

use shared::api::{Engine, WebhookReply};
use shared::machine::{BotReply, Input};
use shared::protocol::{Author, Item, ItemBody, Phase, ServerFrame};
use worker::{Response, Result, console_error};

use super::{BOT_RETRY_MS, CONTEXT_TURNS, Conversation, now, store, tickets};
use crate::bot::{self, Asked};
use crate::internal;

impl Conversation {
    /// Asks the AI for the visitor message `turn`. Whatever it answers goes back through the
    /// machine, which drops it if the conversation moved on while the AI was thinking.
    pub(super) async fn ask_bot(&self, turn: u64) -> Result<()> {
        let Some((site_key, conversation_id)) = self
            .inner
            .borrow()
            .meta
            .as_ref()
            .map(|m| (m.site_key.clone(), m.conversation_id.clone()))
        else {
            return Ok(());
        };
        let config = self.site_config().await;
        let items = store::recent_messages(&self.sql(), Some(turn), None, CONTEXT_TURNS)?;
        let (question, turns) = conversation_turns(&items);
        // If this object is evicted mid-answer, the alarm asks again.
        self.inner.borrow_mut().bot_retry_at = Some(now() + BOT_RETRY_MS);
        self.schedule().await?;
        self.bot_typing(true);
        // Drafts stream to everyone only while this turn is still the AI's to answer.
        let on_draft = |text: &str| {
            if self.inner.borrow().machine.bot_turn_pending() == Some(turn) {
                self.broadcast(&ServerFrame::BotDraft { turn, text: text.to_owned() });
            }
        };
        let language = self.inner.borrow().profile.language.clone();
        let asked = Asked {
            site_key: &site_key,
            conversation_id: &conversation_id,
            turn,
            question: &question,
            turns: &turns,
            language: language.as_deref(),
        };
        let reply = bot::reply(&self.env, &config, &asked, &on_draft).await;
        self.bot_typing(false);
        match reply {
            Ok(Some(reply)) => {
                self.bot_answered(&site_key, turn, reply).await?;
            }
            // The owner's bot answers later through the API; asking again would duplicate.
            Ok(None) => self.inner.borrow_mut().bot_retry_at = None,
            Err(e) => console_error!("bot failed: {e}"),
        }
        self.schedule().await
    }

    async fn bot_answered(&self, site_key: &str, turn: u64, reply: BotReply) -> Result<bool> {
        let (answered, tokens) = (reply.text.is_some(), reply.tokens.unwrap_or(0));
        let before = self.inner.borrow().machine.last_seq();
        self.input(None, Input::BotReplied { turn, reply }, None).await?;
        // Tokens count even for an answer dropped by a takeover: they were spent.
        let stored = answered && self.inner.borrow().machine.last_seq() > before;
        if stored || tokens > 0 {
            let usage = internal::UsageDelta { replies: u64::from(stored), tokens };
            self.tell_site(site_key, "/usage", &usage).await;
        }
        // An answer came, even an empty one: asking again would only repeat it.
        self.inner.borrow_mut().bot_retry_at = None;
        Ok(self.inner.borrow().machine.last_seq() > before)
    }

    /// The owner's bot answering through the API: only the turn still owed counts.
    pub(super) async fn webhook_reply(&self, reply: WebhookReply) -> Result<Response> {
        let Some(site_key) = self.inner.borrow().meta.as_ref().map(|m| m.site_key.clone()) else {
            return Response::error("unknown conversation", 404);
        };
        if self.inner.borrow().machine.bot_turn_pending() != Some(reply.turn) {
            return Response::error("that turn is not the AI's to answer any more", 409);
        }
        self.refresh_rules().await;
        let turn = reply.turn;
        let reply = BotReply { text: reply.text, handover: reply.handover, tokens: None };
        let stored = self.bot_answered(&site_key, turn, reply).await?;
        self.schedule().await?;
        Response::from_json(&serde_json::json!({ "stored": stored }))
    }

    /// With a model configured, a new ticket's subject and summary come from it, in the
    /// visitor's language; otherwise (or if it fails) the extractive ones stay.
    pub(super) async fn summarise_ticket(&self, number: u32) {
        let config = self.site_config().await;
        let Engine::Llm(settings) = &config.engine else { return };
        let language = self.inner.borrow().profile.language.clone();
        let items = match store::recent_messages(&self.sql(), None, None, CONTEXT_TURNS) {
            Ok(items) => items,
            Err(e) => return console_error!("ticket {number} summary: {e}"),
        };
        let (_, turns) = conversation_turns(&items);
        let key = self.env.secret("LLM_API_KEY").ok().map(|s| s.to_string());
        let written = bot::summarise(settings, key.as_deref(), &turns, language.as_deref()).await;
        let Some((subject, summary)) = written else { return };
        if let Err(e) = tickets::describe(&self.sql(), number, &subject, &summary) {
            return console_error!("ticket {number} summary: {e}");
        }
        self.report(&super::FollowUp { tickets: vec![number], ..Default::default() }).await;
    }

    pub(super) fn bot_typing(&self, on: bool) {
        if self.inner.borrow().machine.phase() == Phase::Bot {
            self.broadcast(&ServerFrame::Typing { author: Author::Bot, on });
        }
    }
}

/// The conversation as an engine sees it (the store already chose which messages, oldest
/// first), and the visitor's question: the last message, when it is theirs.
fn conversation_turns(items: &[Item]) -> (String, Vec<shared::llm::Turn>) {
    use shared::llm::Turn;
    let turns: Vec<Turn> = items
        .iter()
        .filter_map(|i| match &i.body {
            ItemBody::Message(m) => Some(match &m.author {
                Author::Visitor => Turn::Visitor(m.text.clone()),
                Author::Bot => Turn::Assistant(m.text.clone()),
                Author::Agent(a) => Turn::Agent { name: a.name.clone(), text: m.text.clone() },
            }),
            _ => None,
        })
        .collect();
    let question = match turns.last() {
        Some(Turn::Visitor(q)) => q.clone(),
        _ => String::new(),
    };
    (question, turns)
}
