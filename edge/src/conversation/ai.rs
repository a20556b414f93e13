//! Asking the AI: the engine runs with the conversation so far, its draft streams to everyone
//! while the turn is still the AI's, and the answer goes back through the state machine.

use shared::machine::Input;
use shared::protocol::{Author, Item, ItemBody, Phase, ServerFrame};
use worker::{Result, console_error};

use super::{BOT_RETRY_MS, CONTEXT_TURNS, Conversation, store};
use crate::internal;

impl Conversation {
    /// Asks the AI for the visitor message `turn`. Whatever it answers goes back through the
    /// machine, which drops it if the conversation moved on while the AI was thinking.
    pub(super) async fn ask_bot(&self, turn: u64) -> Result<()> {
        let Some(site_key) = self.inner.borrow().meta.as_ref().map(|m| m.site_key.clone()) else {
            return Ok(());
        };
        let items = store::recent_messages(&self.sql(), Some(turn), None, CONTEXT_TURNS)?;
        let (question, turns) = conversation_turns(&items, turn);
        // If this object is evicted mid-answer, the alarm asks again.
        self.state.storage().set_alarm(BOT_RETRY_MS).await?;
        self.bot_typing(true);
        // Drafts stream to everyone only while this turn is still the AI's to answer.
        let on_draft = |text: &str| {
            if self.inner.borrow().machine.bot_turn_pending() == Some(turn) {
                self.broadcast(&ServerFrame::BotDraft { turn, text: text.to_owned() });
            }
        };
        let reply = crate::bot::reply(&self.env, &site_key, &question, &turns, &on_draft).await;
        self.bot_typing(false);
        match reply {
            Ok(reply) => {
                let (answered, tokens) = (reply.text.is_some(), reply.tokens.unwrap_or(0));
                let before = self.inner.borrow().machine.last_seq();
                self.input(None, Input::BotReplied { turn, reply }, None).await?;
                // Tokens count even for an answer dropped by a takeover: they were spent.
                let stored = answered && self.inner.borrow().machine.last_seq() > before;
                if stored || tokens > 0 {
                    let usage = internal::UsageDelta { replies: u64::from(stored), tokens };
                    self.tell_site(&site_key, "/usage", &usage).await;
                }
                // Nothing owed any more: the safety net would only wake the object for nothing.
                if self.inner.borrow().machine.bot_turn_pending().is_none() {
                    self.state.storage().delete_alarm().await?;
                }
                Ok(())
            }
            Err(e) => {
                console_error!("bot failed: {e}");
                Ok(())
            }
        }
    }

    pub(super) fn bot_typing(&self, on: bool) {
        if self.inner.borrow().machine.phase() == Phase::Bot {
            self.broadcast(&ServerFrame::Typing { author: Author::Bot, on });
        }
    }
}

/// The visitor message `turn` and the public conversation up to it, as an engine sees it.
pub(super) fn conversation_turns(items: &[Item], turn: u64) -> (String, Vec<shared::llm::Turn>) {
    use shared::llm::Turn;
    let mut turns: Vec<Turn> = items
        .iter()
        .filter(|i| i.seq <= turn)
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
    let skip = turns.len().saturating_sub(CONTEXT_TURNS);
    turns.drain(..skip);
    (question, turns)
}
