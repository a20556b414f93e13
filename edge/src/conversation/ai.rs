//! Asking the AI: the engine runs with the conversation so far, its draft streams to everyone
//! while the turn is still the AI's, and the answer goes back through the state machine.

use shared::api::{Engine, WebhookReply};
use shared::llm::Assist;
use shared::machine::{BotReply, Input};
use shared::protocol::limits::MAX_MESSAGE_CHARS;
use shared::protocol::{Author, Item, ItemBody, Phase, ServerFrame};
use worker::{AbortController, Method, Response, Result, console_error};

use super::report::Record;
use super::{BOT_RETRY_MS, CONTEXT_TURNS, Core, clocks, now, store, tickets};
use crate::bot::{self, Asked};
use crate::internal::{self, SignedReply};

/// How often, at most, a streaming answer's draft goes out.
const DRAFT_EVERY_MS: i64 = 50;

fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

impl Core {
    /// Asks the AI for the visitor message `turn`. One engine call runs at a time: a newer
    /// message aborts the call in flight, and the loop that ran it asks about the newest turn
    /// next, so a visitor who types fast costs one answer, not one per message. Whatever the
    /// engine answers goes back through the machine, which drops it if the conversation moved
    /// on while the AI was thinking.
    pub(super) async fn ask_bot(&self, turn: u64) -> Result<()> {
        {
            let mut inner = self.inner.borrow_mut();
            if let Some(running) = inner.bot_running {
                if turn > running
                    && let Some(abort) = inner.bot_abort.take()
                {
                    abort.abort();
                }
                return Ok(());
            }
            inner.bot_running = Some(turn);
        }
        let outcome = self.ask_until_current(turn).await;
        let mut inner = self.inner.borrow_mut();
        inner.bot_running = None;
        inner.bot_abort = None;
        outcome
    }

    async fn ask_until_current(&self, mut turn: u64) -> Result<()> {
        loop {
            self.ask_once(turn).await?;
            let next = self.inner.borrow().machine.bot_turn_pending();
            match next {
                Some(newer) if newer > turn => {
                    turn = newer;
                    self.inner.borrow_mut().bot_running = Some(turn);
                }
                _ => return Ok(()),
            }
        }
    }

    async fn ask_once(&self, turn: u64) -> Result<()> {
        let Some((site_key, conversation_id)) = self
            .inner
            .borrow()
            .meta
            .as_ref()
            .map(|m| (m.site_key.clone(), m.conversation_id.clone()))
        else {
            return Ok(());
        };
        let setup = self.site_config().await;
        let items = store::recent_messages(self.sql(), Some(turn), None, CONTEXT_TURNS)?;
        let (question, turns) = conversation_turns(&items);
        // If this object is evicted mid-answer, the alarm asks again.
        self.inner.borrow_mut().bot_retry_at = Some(now() + BOT_RETRY_MS);
        self.schedule().await?;
        self.bot_typing(true);
        // Drafts stream to everyone only while this turn is still the AI's to answer, at most
        // every DRAFT_EVERY_MS and never longer than a message: a model sending a character at
        // a time cannot make every socket carry the whole answer again for each.
        let last_draft = std::cell::Cell::new(0);
        let on_draft = |text: &str| {
            let at = now();
            if at - last_draft.get() < DRAFT_EVERY_MS {
                return;
            }
            if self.inner.borrow().machine.bot_turn_pending() == Some(turn) {
                last_draft.set(at);
                let text: String =
                    shared::clean::message(text).chars().take(MAX_MESSAGE_CHARS).collect();
                self.broadcast(&ServerFrame::BotDraft { turn, text });
            }
        };
        let language = self.inner.borrow().profile.language.clone();
        let waiting = self.inner.borrow().machine.phase() == Phase::Escalated;
        let asked = Asked {
            site_key: &site_key,
            conversation_id: &conversation_id,
            turn,
            question: &question,
            turns: &turns,
            language: language.as_deref(),
            waiting,
        };
        let abort = AbortController::default();
        let signal = abort.signal();
        self.inner.borrow_mut().bot_abort = Some(abort);
        let reply = bot::reply(&self.env, &setup, &asked, &on_draft, &signal).await;
        // A call that timed out may still be running: stop it.
        if let Some(abort) = self.inner.borrow_mut().bot_abort.take() {
            abort.abort();
        }
        self.bot_typing(false);
        match reply {
            Ok(Some(reply)) => {
                self.bot_answered(turn, reply).await?;
            }
            // The owner's bot answers later through the API; asking again would duplicate.
            // (An aborted call answers nothing too; the loop asks about the newer turn.)
            Ok(None) => self.clear_retry(turn),
            Err(e) => console_error!("bot failed: {e}"),
        }
        self.schedule().await
    }

    /// The safety net of `turn` is no longer needed; a newer turn's stays.
    fn clear_retry(&self, turn: u64) {
        let mut inner = self.inner.borrow_mut();
        let current = inner.machine.bot_turn_pending();
        if current.is_none_or(|pending| pending <= turn) {
            inner.bot_retry_at = None;
        }
    }

    async fn bot_answered(&self, turn: u64, reply: BotReply) -> Result<bool> {
        let (answered, tokens) = (reply.text.is_some(), reply.tokens.unwrap_or(0));
        let faq = reply.source.as_ref().map(|s| s.faq_question.clone());
        if reply.handover.is_some() {
            self.refresh_rules(clocks::STAFFING_TTL_MS).await;
        }
        let before = self.inner.borrow().machine.last_seq();
        self.input(None, Input::BotReplied { turn, reply }, None).await?;
        // Tokens count even for an answer dropped by a takeover: they were spent.
        let stored = answered && self.inner.borrow().machine.last_seq() > before;
        if stored || tokens > 0 {
            let faq = faq.filter(|_| stored);
            let usage = internal::UsageDelta { replies: u64::from(stored), tokens, faq };
            self.queue_report(Record::Usage(&usage), false)?;
        }
        // An answer came, even an empty one: asking again would only repeat it.
        self.clear_retry(turn);
        Ok(self.inner.borrow().machine.last_seq() > before)
    }

    /// The site's bot answering through the API. The site checks the signature (and that its
    /// engine is that bot) before the body is even parsed; then only the turn still owed
    /// counts.
    pub(super) async fn webhook_reply(&self, signed: SignedReply) -> Result<Response> {
        let Some(site_key) = self.inner.borrow().meta.as_ref().map(|m| m.site_key.clone()) else {
            return refuse(404, "unknown_conversation", "There is no such conversation.");
        };
        let stub = internal::site(&self.env, &site_key)?;
        let checked =
            internal::send(&stub, Method::Post, "/verify-bot-reply", Some(&signed)).await?;
        if checked.status_code() != 200 {
            // The site words the refusal (bad signature, not its engine): pass it on.
            let status = checked.status_code();
            let body = internal::text(&checked).await?;
            return Ok(Response::ok(body)?.with_status(status));
        }
        let reply: WebhookReply = match serde_json::from_str(&signed.body) {
            Ok(r) => r,
            Err(e) => {
                let why = format!("The JSON body is not a reply: {e}.");
                return refuse(400, "malformed_body", &why);
            }
        };
        let too_long =
            |t: &Option<String>| t.as_ref().is_some_and(|t| t.chars().count() > MAX_MESSAGE_CHARS);
        if too_long(&reply.text) || too_long(&reply.handover) {
            return refuse(400, "message_too_long", "A reply can be at most 4000 characters.");
        }
        if self.inner.borrow().machine.bot_turn_pending() != Some(reply.turn) {
            return refuse(
                409,
                "stale_turn",
                "That turn is no longer the AI's to answer: the visitor wrote again, or a person took over.",
            );
        }
        let turn = reply.turn;
        let reply =
            BotReply { text: reply.text, handover: reply.handover, tokens: None, source: None };
        let stored = self.bot_answered(turn, reply).await?;
        self.schedule().await?;
        Response::from_json(&serde_json::json!({ "stored": stored }))
    }

    /// A teammate's draft from the site's model (`POST /assist`, from the admin API with the
    /// teammate's identity): a suggested reply, their draft improved, or it translated into
    /// the visitor's language. Nothing is stored or sent, and no usage is counted.
    pub(super) async fn assist(&self, mut req: worker::Request) -> Result<Response> {
        // Another site's conversation is not there at all, as for its transcript.
        let Some(who) = self.site_teammate(&req) else {
            return refuse(404, "unknown_conversation", "There is no such conversation.");
        };
        if !who.role.can_respond() {
            return refuse(
                403,
                "forbidden",
                "Only teammates who answer visitors can ask for drafts.",
            );
        }
        let ask: shared::api::AssistRequest = internal::body(&mut req).await?;
        let setup = self.site_config().await;
        let Engine::Llm(settings) = &setup.config.engine else {
            return refuse(
                409,
                "no_model",
                "AI help needs a model: choose one under Settings → AI engine.",
            );
        };
        let (text, language) = match (ask.action, ask.seq) {
            (Assist::TranslateForTeam, Some(seq)) => {
                let said = store::recent_messages(self.sql(), Some(seq), None, 1)?;
                let Some(ItemBody::Message(m)) =
                    said.into_iter().find(|i| i.seq == seq).map(|i| i.body)
                else {
                    return refuse(404, "unknown_message", "There is no such message.");
                };
                (m.text, ask.language.clone())
            }
            _ => (ask.text.clone(), self.inner.borrow().profile.language.clone()),
        };
        let turns = match ask.action {
            Assist::Suggest => {
                let items = store::recent_messages(self.sql(), None, None, CONTEXT_TURNS)?;
                conversation_turns(&items).1
            }
            _ => Vec::new(),
        };
        let body = shared::llm::assist_request_body(
            &settings.model,
            &setup.config.faq,
            &turns,
            ask.action,
            &text,
            language.as_deref(),
        );
        let key = bot::model_key(&self.env, &setup, &settings.base_url);
        match bot::assist(settings, key.as_deref(), &body).await {
            Ok(text) => Response::from_json(&shared::api::AssistReply { text }),
            Err(bot::Failure::TimedOut) => {
                let secs = settings.timeout_ms.div_ceil(1000);
                refuse(
                    504,
                    "model_timeout",
                    &format!("The model did not answer within {secs} s. Try again."),
                )
            }
            Err(bot::Failure::Failed(e)) => {
                console_error!("assist: {e}");
                refuse(502, "model_failed", "The model gave no usable answer. Try again.")
            }
        }
    }

    /// With a model configured, a new ticket's subject and summary come from it, in the
    /// visitor's language; otherwise (or if it fails) the extractive ones stay.
    pub(super) async fn summarise_ticket(&self, number: u32) {
        let setup = self.site_config().await;
        let Engine::Llm(settings) = &setup.config.engine else { return };
        let language = self.inner.borrow().profile.language.clone();
        let items = match store::recent_messages(self.sql(), None, None, CONTEXT_TURNS) {
            Ok(items) => items,
            Err(e) => return console_error!("ticket {number} summary: {e}"),
        };
        let (_, turns) = conversation_turns(&items);
        let key = bot::model_key(&self.env, &setup, &settings.base_url);
        let written = bot::summarise(settings, key.as_deref(), &turns, language.as_deref()).await;
        let Some((subject, summary)) = written else { return };
        if let Err(e) = tickets::describe(self.sql(), number, &subject, &summary) {
            return console_error!("ticket {number} summary: {e}");
        }
        let queued = self.queue_report(Record::Ticket(number), true);
        if let Err(e) = queued.and(self.schedule().await) {
            console_error!("ticket {number} summary: {e}");
        }
    }

    pub(super) fn bot_typing(&self, on: bool) {
        if self.inner.borrow().machine.phase() == Phase::Bot {
            self.broadcast(&ServerFrame::Typing { author: Author::Bot, on, text: None });
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
