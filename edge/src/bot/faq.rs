//! The default engine: answers from the site's question/answer list, fully offline, and hands
//! over when it is not confident or the visitor asks for a person.

use std::cell::RefCell;
use std::rc::Rc;

use shared::faq::{FaqEntry, FaqIndex, FaqOutcome};
use shared::machine::BotReply;
use shared::protocol::AnswerSource;
use worker::Result;

use super::{Ask, Engine};

pub struct FaqBot {
    entries: Vec<FaqEntry>,
    index: Rc<FaqIndex>,
}

impl FaqBot {
    pub fn new(entries: Vec<FaqEntry>) -> Self {
        let index = index(&entries);
        FaqBot { entries, index }
    }
}

/// How many sites' indexes an isolate keeps: the objects of one site share its FAQ.
const KEPT: usize = 8;

thread_local! {
    static INDEXES: RefCell<Vec<(Vec<FaqEntry>, Rc<FaqIndex>)>> = const { RefCell::new(Vec::new()) };
}

/// The index of `entries`, built once per isolate while the FAQ stays the same: building it
/// costs about five times what asking it does.
fn index(entries: &[FaqEntry]) -> Rc<FaqIndex> {
    INDEXES.with_borrow_mut(|kept| {
        if let Some(at) = kept.iter().position(|(faq, _)| faq == entries) {
            let hit = kept.remove(at);
            let index = hit.1.clone();
            kept.push(hit);
            return index;
        }
        let index = Rc::new(FaqIndex::new(entries));
        if kept.len() == KEPT {
            kept.remove(0);
        }
        kept.push((entries.to_vec(), index.clone()));
        index
    })
}

impl Engine for FaqBot {
    async fn reply(&self, ask: &Ask<'_>) -> Result<Option<BotReply>> {
        let handover = |text: &str, alone: &str, reason: &str| {
            // With nobody to come the visitor is offered the contact form right after this
            // line, which says why: this one does not say it again.
            let text = match (ask.can_hand_over, ask.open) {
                (true, true) => text,
                (true, false) => "I'll pass this on to the team.",
                (false, _) => alone,
            };
            BotReply {
                text: Some(text.into()),
                handover: ask.can_hand_over.then(|| reason.into()),
                ..BotReply::default()
            }
        };
        Ok(Some(match self.index.lookup(ask.asked.question) {
            FaqOutcome::Answer { index, confidence } => {
                let entry = self.entries.get(index);
                BotReply {
                    text: entry.map(|e| e.answer.clone()),
                    source: entry.map(|e| AnswerSource {
                        faq_question: e.question.clone(),
                        confidence: (confidence * 100.0).round().clamp(0.0, 100.0) as u8,
                    }),
                    ..BotReply::default()
                }
            }
            // Waiting for a person already, the visitor hears from the AI only what it knows:
            // "I'm not sure" or "bringing someone in" again would be noise.
            _ if ask.asked.waiting => BotReply::default(),
            FaqOutcome::WantsHuman => handover(
                "Of course. I'm bringing in someone from the team.",
                "I can't bring in a person here, but I'm glad to help with your question.",
                "The visitor asked for a person.",
            ),
            FaqOutcome::NoMatch => handover(
                "I'm not sure I can answer that well. Let me bring in someone from the team.",
                "I'm sorry, I don't have an answer to that. Could you put it another way?",
                shared::faq::NO_CONFIDENT_ANSWER,
            ),
        }))
    }
}
