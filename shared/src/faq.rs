//! Retrieval for the built-in FAQ bot: BM25 over the site's question/answer pairs.
//!
//! Pure so it is tested natively; the edge wraps it in its bot engine. A question scores
//! against its own words (counted twice) and its answer's, compared as `faq_words` makes them
//! (concepts shared across languages, accents folded); the best match answers only when
//! enough of the visitor's meaningful words were found, otherwise the bot hands over.
//! `cargo xtask bench` measures it on the labelled set in `tests/eval/`.

use serde::{Deserialize, Serialize};

use crate::faq_words::terms;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqEntry {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaqOutcome {
    Answer {
        index: usize,
        confidence: f32,
    },
    /// The visitor asked for a person.
    WantsHuman,
    /// Nothing matched well enough to answer.
    NoMatch,
}

/// Share of the visitor's weighted words that must match the best entry.
const MIN_CONFIDENCE: f32 = 0.45;
const K1: f32 = 1.2;
const B: f32 = 0.75;

pub struct FaqIndex {
    docs: Vec<Vec<String>>,
    avg_len: f32,
}

impl FaqIndex {
    pub fn new(entries: &[FaqEntry]) -> Self {
        let docs: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                let q = terms(&e.question);
                let mut d = q.clone();
                d.extend(q);
                d.extend(terms(&e.answer));
                d
            })
            .collect();
        let total: usize = docs.iter().map(Vec::len).sum();
        let avg_len = if docs.is_empty() { 1.0 } else { total as f32 / docs.len() as f32 };
        FaqIndex { docs, avg_len: avg_len.max(1.0) }
    }

    pub fn lookup(&self, query: &str) -> FaqOutcome {
        if wants_human(query) {
            return FaqOutcome::WantsHuman;
        }
        let mut q = terms(query);
        q.sort();
        q.dedup();
        if q.is_empty() || self.docs.is_empty() {
            return FaqOutcome::NoMatch;
        }
        let idf: Vec<f32> = q.iter().map(|t| self.idf(t)).collect();
        let idf_total: f32 = idf.iter().sum();
        let best = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i, self.bm25(d, &q, &idf)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((index, score)) = best.filter(|(_, s)| *s > 0.0) else {
            return FaqOutcome::NoMatch;
        };
        let matched: f32 =
            q.iter().zip(&idf).filter(|(t, _)| self.docs[index].contains(t)).map(|(_, w)| w).sum();
        let confidence = if idf_total > 0.0 { matched / idf_total } else { 0.0 };
        if confidence >= MIN_CONFIDENCE && score > 0.0 {
            FaqOutcome::Answer { index, confidence }
        } else {
            FaqOutcome::NoMatch
        }
    }

    fn idf(&self, term: &str) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.docs.iter().filter(|d| d.iter().any(|t| t == term)).count() as f32;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    fn bm25(&self, doc: &[String], query: &[String], idf: &[f32]) -> f32 {
        let len = doc.len() as f32;
        query
            .iter()
            .zip(idf)
            .map(|(t, w)| {
                let tf = doc.iter().filter(|d| *d == t).count() as f32;
                w * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.avg_len))
            })
            .sum()
    }
}

/// Phrases that ask for a person outright, in the widget's main languages.
const HUMAN_PHRASES: &[&str] = &[
    "human",
    "real person",
    "a person",
    "live agent",
    "an agent",
    "representative",
    "operator",
    "talk to someone",
    "speak to someone",
    "humano",
    "persona real",
    "agente",
    "humain",
    "conseiller",
    "mensch",
    "mitarbeiter",
    "pessoa",
    "atendente",
    "operatore",
];

pub(crate) fn wants_human(text: &str) -> bool {
    let t = text.to_lowercase();
    HUMAN_PHRASES.iter().any(|p| t.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<FaqEntry> {
        [
            ("What is your return policy?", "You can return items within 30 days."),
            ("How long does shipping take?", "Orders arrive in 3 to 5 business days."),
            ("Do you ship internationally?", "We ship to 40 countries worldwide."),
        ]
        .into_iter()
        .map(|(q, a)| FaqEntry { question: q.into(), answer: a.into() })
        .collect()
    }

    #[test]
    fn answers_a_close_question() {
        let idx = FaqIndex::new(&entries());
        assert!(matches!(
            idx.lookup("what's the returns policy"),
            FaqOutcome::Answer { index: 0, .. }
        ));
        assert!(matches!(idx.lookup("how long is shipping?"), FaqOutcome::Answer { index: 1, .. }));
    }

    #[test]
    fn unrelated_questions_do_not_match() {
        let idx = FaqIndex::new(&entries());
        assert_eq!(
            idx.lookup("my cat ate the invoice and the printer is on fire"),
            FaqOutcome::NoMatch
        );
        assert_eq!(idx.lookup("???"), FaqOutcome::NoMatch);
        assert_eq!(FaqIndex::new(&[]).lookup("shipping"), FaqOutcome::NoMatch);
    }

    #[test]
    fn a_question_about_the_team_is_not_a_request_for_it() {
        let hours = FaqEntry {
            question: "What are your customer service hours?".into(),
            answer: "Our team is available Monday to Friday, 9:00 to 17:00.".into(),
        };
        let idx = FaqIndex::new(&[hours]);
        assert!(matches!(idx.lookup("customer service hours?"), FaqOutcome::Answer { .. }));
        assert!(matches!(
            idx.lookup("¿Cuál es su horario de atención?"),
            FaqOutcome::Answer { .. }
        ));
    }

    #[test]
    fn asking_for_a_person_is_recognised() {
        let idx = FaqIndex::new(&entries());
        assert_eq!(idx.lookup("Can I talk to a human please"), FaqOutcome::WantsHuman);
        assert_eq!(idx.lookup("quiero hablar con un humano"), FaqOutcome::WantsHuman);
    }
}
