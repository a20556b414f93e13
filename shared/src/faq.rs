//! Retrieval for the built-in FAQ bot: BM25 over the site's question/answer pairs.
//!
//! Pure so it is tested natively; the edge wraps it in its bot engine. A message scores
//! against each entry's question (counted twice) and answer, field by field, compared as
//! `faq_words` makes them (concepts shared across languages, accents folded, function words
//! dropped); a word no entry has is first snapped to an entry's word it is a typo or another
//! form of. The best entry answers only when it holds enough of the message's weight, scores
//! clearly ahead of the runner-up and shares more than a common word; otherwise the bot hands
//! over. `cargo xtask bench` measures it on the labelled sets in `tests/eval/`, and
//! `cargo run -p takeover-shared --example faq_eval` lists every miss.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::faq_words::{is_context, near_concept, one_edit, terms};

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

/// Why the built-in engine hands over when no entry answers: the console offers to add the
/// question to the FAQ on it.
pub const NO_CONFIDENT_ANSWER: &str = "No confident answer in the FAQ.";

/// Share of the visitor's weighted words the best entry must have.
const MIN_CONFIDENCE: f32 = 0.5;
/// How far ahead of the runner-up the best entry must score, as a share of its score: two
/// entries that fit about as well are a guess, and a guess is handed over.
const MIN_MARGIN: f32 = 0.2;
/// The lead asked of the best entry shrinks as it holds more of the message: it answers when
/// `confidence + LEAD_WEIGHT × margin` reaches `SURE` (an entry holding half the message needs
/// about half the runner-up's score again; one holding all of it, a fifth).
const LEAD_WEIGHT: f32 = 1.5;
const SURE: f32 = 1.2;
/// The best entry's least score, in weights of a word only one entry has (so a FAQ of 3
/// entries and one of 300 are held to the same): one common word in common is not an answer.
const MIN_SCORE: f32 = 1.1;
/// What a word no entry has weighs against the confidence, as `UNKNOWN_WEIGHT × n^UNKNOWN_EXPONENT`
/// for n such words: the first says most ("Do you sell bikes?"), the tenth of a long message
/// is mostly context ("I bought a fleece two weeks ago, never wore it…").
const UNKNOWN_WEIGHT: f32 = 1.5;
const UNKNOWN_EXPONENT: f32 = 0.7;
/// A word in an entry's question says more about it than one in its answer.
const QUESTION_FIELD: f32 = 2.0;
const ANSWER_FIELD: f32 = 1.0;
/// What an entry keeps of its score for each concept of its own the message lacks.
const UNASKED: f32 = 0.9;
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One entry's words, by field.
struct Doc {
    question: Vec<String>,
    answer: Vec<String>,
    /// The concepts of its question no other entry has, once each.
    own: Vec<String>,
}

pub struct FaqIndex {
    docs: Vec<Doc>,
    avg_question: f32,
    avg_answer: f32,
    /// How many entries have each word.
    df: HashMap<String, usize>,
    /// The entries' words that are no concept, once each, in the order they first come: what
    /// a typo is snapped to.
    vocabulary: Vec<String>,
}

/// The most distinct words of a message weighed (a message holds 4,000 characters; a longer
/// list would only cost time, never change which entry answers).
const MAX_TERMS: usize = 64;
/// Words longer than this are not snapped to the FAQ's: nobody misspells a 30-letter word.
const MAX_SNAPPED_CHARS: usize = 30;

/// How an entry fares against a visitor's message.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub index: usize,
    pub score: f32,
    pub confidence: f32,
    /// The message says what the entry's question says, word for word as compared: the
    /// entry's own question (a suggested one tapped), however close its neighbours score.
    pub verbatim: bool,
}

impl FaqIndex {
    pub fn new(entries: &[FaqEntry]) -> Self {
        let mut docs: Vec<Doc> = entries
            .iter()
            .map(|e| Doc {
                question: terms(&e.question),
                answer: terms(&e.answer),
                own: Vec::new(),
            })
            .collect();
        let avg = |f: fn(&Doc) -> usize| {
            let total: usize = docs.iter().map(f).sum();
            (total as f32 / docs.len().max(1) as f32).max(1.0)
        };
        let avg_question = avg(|d| d.question.len());
        let avg_answer = avg(|d| d.answer.len());
        let mut df: HashMap<String, usize> = HashMap::new();
        let mut vocabulary = Vec::new();
        let mut in_vocabulary = HashSet::new();
        for d in &docs {
            let mut seen: Vec<&String> = d.question.iter().chain(&d.answer).collect();
            seen.sort();
            seen.dedup();
            for w in seen {
                *df.entry(w.clone()).or_default() += 1;
            }
            for w in d.question.iter().chain(&d.answer) {
                if !w.starts_with('~') && in_vocabulary.insert(w) {
                    vocabulary.push(w.clone());
                }
            }
        }
        // Known once every entry's words are counted.
        for d in &mut docs {
            let mut own: Vec<String> =
                d.question.iter().filter(|t| t.starts_with('~') && df[*t] == 1).cloned().collect();
            own.sort();
            own.dedup();
            d.own = own;
        }
        FaqIndex { docs, avg_question, avg_answer, df, vocabulary }
    }

    pub fn lookup(&self, query: &str) -> FaqOutcome {
        if wants_human(query) {
            return FaqOutcome::WantsHuman;
        }
        let ranked = self.rank(query);
        let Some(best) = ranked.first() else {
            return FaqOutcome::NoMatch;
        };
        let second = ranked.get(1).map_or(0.0, |c| c.score);
        let margin = if best.score > 0.0 { (best.score - second) / best.score } else { 0.0 };
        let ahead = margin >= MIN_MARGIN && best.confidence + LEAD_WEIGHT * margin >= SURE;
        if best.confidence >= MIN_CONFIDENCE
            && (ahead || best.verbatim)
            && best.score >= MIN_SCORE * self.idf_of(1.0)
        {
            FaqOutcome::Answer { index: best.index, confidence: best.confidence }
        } else {
            FaqOutcome::NoMatch
        }
    }

    /// Entries that share a word with `query`, best first.
    pub fn rank(&self, query: &str) -> Vec<Candidate> {
        let mut distinct: Vec<String> = Vec::new();
        for t in terms(query) {
            if distinct.len() == MAX_TERMS {
                break;
            }
            if !distinct.contains(&t) {
                distinct.push(t);
            }
        }
        let mut q: Vec<String> = distinct.into_iter().map(|t| self.snap(t)).collect();
        q.sort();
        q.dedup();
        let idf: Vec<f32> = q.iter().map(|t| self.idf(t)).collect();
        let setting: Vec<bool> = q.iter().map(|t| is_context(t)).collect();
        // Goods, people and times the FAQ never names are the question's setting, not its point.
        let unknown = q.iter().zip(&setting).filter(|(t, s)| !self.has(t) && !**s).count() as f32;
        let known_weight: f32 =
            q.iter().zip(&idf).filter(|(t, _)| self.has(t)).map(|(_, w)| w).sum();
        let total = known_weight + unknown.powf(UNKNOWN_EXPONENT) * UNKNOWN_WEIGHT;
        let mut ranked: Vec<Candidate> = self
            .docs
            .iter()
            .enumerate()
            .map(|(index, d)| {
                // A concept only this entry's question has, which the message lacks, says the
                // entry asks about something else ("arrived damaged" for "when will it arrive").
                let unasked = d.own.iter().filter(|t| !q.contains(t)).count();
                let score = (QUESTION_FIELD * bm25(&d.question, self.avg_question, &q, &idf)
                    + ANSWER_FIELD * bm25(&d.answer, self.avg_answer, &q, &idf))
                    * UNASKED.powi(unasked as i32);
                let mut matched = 0.0;
                // Nor do goods the FAQ names elsewhere count against this entry ("my jacket's
                // zipper broke" asks about the warranty, whichever entry speaks of jackets).
                let mut elsewhere = 0.0;
                for ((t, w), s) in q.iter().zip(&idf).zip(&setting) {
                    if d.question.contains(t) || d.answer.contains(t) {
                        matched += w;
                    } else if *s && self.has(t) {
                        elsewhere += w;
                    }
                }
                let total = total - elsewhere;
                let confidence = if total > 0.0 { matched / total } else { 0.0 };
                let verbatim = !d.question.is_empty()
                    && d.question.iter().all(|t| q.contains(t))
                    && q.iter().all(|t| d.question.contains(t));
                Candidate { index, score, confidence, verbatim }
            })
            .filter(|c| c.score > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        ranked
    }

    /// A word no entry has, replaced by an entry's word it is a typo or another form of
    /// ("shiping", "measurement" for "measurements", "located" for "location").
    fn snap(&self, term: String) -> String {
        let chars = term.chars().count();
        if term.starts_with('~') || !(5..=MAX_SNAPPED_CHARS).contains(&chars) || self.has(&term) {
            return term;
        }
        self.vocabulary
            .iter()
            .filter_map(|w| {
                let shared = w.chars().zip(term.chars()).take_while(|(a, b)| a == b).count();
                let near = shared >= 5 || (shared >= 2 && one_edit(w, &term));
                near.then_some((shared, w))
            })
            .max_by_key(|(shared, _)| *shared)
            .map(|(_, w)| w.clone())
            .or_else(|| near_concept(&term).map(str::to_owned))
            .unwrap_or(term)
    }

    fn has(&self, term: &str) -> bool {
        self.df.contains_key(term)
    }

    fn idf(&self, term: &str) -> f32 {
        self.idf_of(self.df.get(term).copied().unwrap_or(0) as f32)
    }

    /// The weight of a word `df` entries have.
    fn idf_of(&self, df: f32) -> f32 {
        let n = self.docs.len() as f32;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }
}

fn bm25(field: &[String], avg_len: f32, query: &[String], idf: &[f32]) -> f32 {
    let len = field.len() as f32;
    query
        .iter()
        .zip(idf)
        .map(|(t, w)| {
            let tf = field.iter().filter(|d| *d == t).count() as f32;
            w * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len))
        })
        .sum()
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
    fn typos_and_other_forms_meet_the_entry_words() {
        let idx = FaqIndex::new(&entries());
        assert!(matches!(idx.lookup("retrun polciy"), FaqOutcome::Answer { index: 0, .. }));
        assert!(matches!(idx.lookup("internationally?"), FaqOutcome::Answer { index: 2, .. }));
        assert!(matches!(idx.lookup("international orders?"), FaqOutcome::Answer { index: 2, .. }));
    }

    /// The demo shop's FAQ.
    fn shop() -> Vec<FaqEntry> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../xtask/demo-site.json");
        let site: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::from_value(site["faq"].clone()).unwrap()
    }

    #[test]
    fn every_demo_question_asked_as_written_answers_with_its_entry() {
        // What a tapped suggestion sends: the margin over a close neighbour must not stop it
        // ("How long does shipping take?" against "Do you ship internationally?").
        let faq = shop();
        let idx = FaqIndex::new(&faq);
        for (i, e) in faq.iter().enumerate() {
            assert!(
                matches!(idx.lookup(&e.question), FaqOutcome::Answer { index, .. } if index == i),
                "{}: {:?}",
                e.question,
                idx.lookup(&e.question)
            );
        }
    }

    fn answers(idx: &FaqIndex, faq: &[FaqEntry], asked: &str) -> Option<String> {
        match idx.lookup(asked) {
            FaqOutcome::Answer { index, .. } => Some(faq[index].question.clone()),
            _ => None,
        }
    }

    #[test]
    fn the_lead_asked_shrinks_as_the_entry_holds_more_of_the_message() {
        let faq = shop();
        let idx = FaqIndex::new(&faq);
        // All of the message in the student entry: a modest lead over the discount code's
        // entry (which shares "discount") is enough.
        assert_eq!(
            answers(&idx, &faq, "¿Hay descuento para estudiantes?").as_deref(),
            Some("Do you offer student discounts?")
        );
        // "Discount" alone fits the student discount and the discount code about as well: a
        // guess, handed over.
        assert_eq!(answers(&idx, &faq, "discount?"), None);
        assert_eq!(
            answers(&idx, &faq, "How do I know which size to pick?").as_deref(),
            Some("Do you have a size guide?")
        );
    }

    #[test]
    fn goods_named_elsewhere_in_the_faq_do_not_count_against_an_entry() {
        let faq = shop();
        let idx = FaqIndex::new(&faq);
        // "Jacket" is the care entry's word; the question is the warranty's.
        assert_eq!(
            answers(&idx, &faq, "The zipper on my jacket broke after 8 months, is that covered?")
                .as_deref(),
            Some("Is there a warranty on your products?")
        );
        // A colour is no question of sustainability.
        assert_ne!(
            answers(&idx, &faq, "When will the green rain jacket be back in stock?").as_deref(),
            Some("Are your products sustainable?")
        );
    }

    #[test]
    fn an_entry_about_something_the_message_never_mentions_fits_less() {
        let faq = shop();
        let idx = FaqIndex::new(&faq);
        // The damaged-package entry shares the order, the days and the delivery, but not the
        // damage.
        let ranked = idx.rank("If I order today, how many days until it's delivered?");
        assert_eq!(faq[ranked[0].index].question, "How long does shipping take?");
        // Where to buy is no tracking.
        assert_ne!(
            answers(&idx, &faq, "Where can I buy your jackets?").as_deref(),
            Some("How do I track my order?")
        );
    }

    #[test]
    fn a_very_long_word_is_one_word() {
        let idx = FaqIndex::new(&shop());
        let word = "z".repeat(4_000);
        assert_eq!(idx.lookup(&word), FaqOutcome::NoMatch);
        assert_eq!(terms(&format!("{word} ß{word}")).len(), 2);
    }

    #[test]
    fn a_one_entry_faq_answers_too() {
        let idx = FaqIndex::new(&entries()[..1]);
        assert!(matches!(idx.lookup("return policy?"), FaqOutcome::Answer { index: 0, .. }));
    }

    #[test]
    fn two_entries_that_fit_alike_are_a_guess() {
        let mut twins = entries();
        twins.push(FaqEntry {
            question: "What is your return policy for sale items?".into(),
            answer: "Sale items can be returned within 30 days.".into(),
        });
        let idx = FaqIndex::new(&twins);
        assert_eq!(idx.lookup("your policy on returning items"), FaqOutcome::NoMatch);
        // One entry's own question is no guess, however close the other.
        assert!(matches!(idx.lookup("return policy"), FaqOutcome::Answer { index: 0, .. }));
        assert!(matches!(
            idx.lookup("return policy for sale items"),
            FaqOutcome::Answer { index: 3, .. }
        ));
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
