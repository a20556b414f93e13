//! The default engine: answers from the site's question/answer list, fully offline, and hands
//! over when it is not confident or the visitor asks for a person.

use shared::faq::{FaqEntry, FaqIndex, FaqOutcome};
use shared::machine::BotReply;
use worker::Result;

use super::{Ask, Engine};

pub struct FaqBot {
    entries: Vec<FaqEntry>,
    index: FaqIndex,
}

impl FaqBot {
    pub fn new(entries: Vec<FaqEntry>) -> Self {
        let index = FaqIndex::new(&entries);
        FaqBot { entries, index }
    }
}

impl Engine for FaqBot {
    async fn reply(&self, ask: &Ask<'_>) -> Result<BotReply> {
        Ok(match self.index.lookup(ask.question) {
            FaqOutcome::Answer { index, .. } => BotReply {
                text: self.entries.get(index).map(|e| e.answer.clone()),
                ..BotReply::default()
            },
            FaqOutcome::WantsHuman => BotReply {
                text: Some("Of course. I'm bringing in someone from the team.".into()),
                handover: Some("The visitor asked for a person.".into()),
                tokens: None,
            },
            FaqOutcome::NoMatch => BotReply {
                text: Some(
                    "I'm not sure I can answer that well. Let me bring in someone from the team."
                        .into(),
                ),
                handover: Some("No confident answer in the FAQ.".into()),
                tokens: None,
            },
        })
    }
}
