//! How well the built-in FAQ engine answers, through the real worker: every question of a
//! labelled set (written before any tuning, each labelled with the FAQ entry that answers it or
//! with none) is asked by a new visitor of a site with that FAQ, and the engine's first reply
//! is sorted: the right entry, another entry, or a handover. Two sets:
//! - `tests/eval/faq-questions.json`, on the demo shop's FAQ: the one the engine was tuned on;
//! - `tests/eval/holdout-site.json`, a grocery service's FAQ and its questions, written blind
//!   after the tuning began and never tuned on: how the engine does on a FAQ it has not seen.
//!
//! The run fails when a set's figures fall below its floors (the engine is deterministic: a
//! drop is a regression, not noise).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use integration::{Visitor, bot_text};
use serde::{Deserialize, Serialize};
use shared::faq::FaqEntry;

use crate::lab::Lab;
use crate::stats::{Samples, Summary};

/// What a set's run must meet. Right answers ratchet: the floor is the last measured share,
/// raised as the engine gets better and never lowered to let a change through.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Floors {
    pub correct: f64,
    pub wrong: f64,
    pub declined: f64,
}

/// A labelled set, the site it is asked on, and its floors.
pub struct EvalSet {
    pub name: &'static str,
    /// Under `tests/eval/`.
    pub file: &'static str,
    pub site: &'static str,
    pub floors: Floors,
}

/// On the demo FAQ: right answers 13 of 236 when the set was written, 61 with the multilingual
/// word layer, 122 with per-field scores, the margin (waived for an entry's own question) and
/// typo snapping, 163 with a lead that shrinks as the entry holds more of the message, phrases,
/// compounds split and goods, people and times taken for the setting, 207 with a code apart
/// from a discount, concepts an entry alone asks about, and more words, 208 with identifiers
/// that hold digits left out; wrong answers and
/// declined questions held to the goals (issue 17: at most 3 % wrong, at least 95 % of
/// unanswerable questions declined). On the held-out FAQ: right 57 of 120, and 27 of 30
/// declined when first measured, under the 95 % goal (63 of 120 and 30 of 30 now): the floor
/// keeps it from getting worse.
pub const SETS: [EvalSet; 2] = [
    EvalSet {
        name: "demo shop (tuned on)",
        file: "faq-questions.json",
        site: crate::lab::FAQ,
        floors: Floors { correct: 0.88, wrong: 0.03, declined: 0.95 },
    },
    EvalSet {
        name: "held-out grocery FAQ (never tuned on)",
        file: "holdout-site.json",
        site: crate::lab::HOLDOUT,
        floors: Floors { correct: 0.52, wrong: 0.03, declined: 0.95 },
    },
];

pub fn path(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/eval").join(file)
}

#[derive(Deserialize)]
struct Set {
    /// The FAQ the questions are about; none: the demo site's.
    #[serde(default)]
    faq: Option<Vec<FaqEntry>>,
    questions: Vec<Question>,
}

fn read(file: &str) -> Set {
    let path = path(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn demo() -> serde_json::Value {
    serde_json::from_str(integration::DEMO_SITE).expect("the demo site's settings")
}

/// The settings of the site `file`'s questions are asked on: the demo site's, with the set's
/// own FAQ when it has one.
pub fn site_settings(file: &str) -> String {
    let mut settings = demo();
    if let Some(faq) = read(file).faq {
        settings["faq"] = serde_json::to_value(faq).expect("a FAQ");
    }
    settings.to_string()
}

#[derive(Deserialize, Clone)]
struct Question {
    lang: String,
    ask: String,
    /// The FAQ question of the entry that answers it; none: nothing in the FAQ does.
    expect: Option<String>,
}

/// One language's figures (or all languages').
#[derive(Debug, Default, Clone, Serialize)]
pub struct Row {
    pub lang: String,
    /// Questions an entry answers.
    pub answerable: usize,
    /// Answered with that entry.
    pub correct: usize,
    /// Answered with another entry.
    pub wrong_entry: usize,
    /// Handed over (or "I don't know") although an entry answers it.
    pub handed_over: usize,
    /// Questions no entry answers.
    pub unanswerable: usize,
    /// Handed over or "I don't know", as they should be.
    pub declined: usize,
    /// Answered with an entry anyway.
    pub answered_anyway: usize,
}

impl Row {
    pub fn correct_rate(&self) -> f64 {
        self.correct as f64 / self.answerable.max(1) as f64
    }

    /// Wrong answers among every question asked: another entry, or an answer to a question
    /// the FAQ does not answer.
    pub fn wrong_rate(&self) -> f64 {
        (self.wrong_entry + self.answered_anyway) as f64
            / (self.answerable + self.unanswerable).max(1) as f64
    }

    pub fn declined_rate(&self) -> f64 {
        self.declined as f64 / self.unanswerable.max(1) as f64
    }

    fn add(&mut self, q: &Question, answered: Option<&str>) {
        match (&q.expect, answered) {
            (Some(want), Some(got)) if want == got => self.correct += 1,
            (Some(_), Some(_)) => self.wrong_entry += 1,
            (Some(_), None) => self.handed_over += 1,
            (None, None) => self.declined += 1,
            (None, Some(_)) => self.answered_anyway += 1,
        }
        match q.expect {
            Some(_) => self.answerable += 1,
            None => self.unanswerable += 1,
        }
    }
}

/// A question answered wrongly: what was asked, what was expected, what came.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub lang: String,
    pub ask: String,
    pub expected: Option<String>,
    pub answered: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Eval {
    pub set: String,
    pub floors: Floors,
    pub languages: Vec<Row>,
    pub all: Row,
    /// From the visitor's message to the engine's first reply.
    pub reply: Summary,
    pub misses: Vec<Miss>,
}

impl Eval {
    pub fn failures(&self) -> Vec<String> {
        let (all, floors, set) = (&self.all, &self.floors, &self.set);
        let mut out = Vec::new();
        if all.correct_rate() < floors.correct {
            out.push(format!(
                "FAQ answers, {set}: {:.1}% correct, under the floor of {:.1}%",
                all.correct_rate() * 100.0,
                floors.correct * 100.0
            ));
        }
        if all.wrong_rate() > floors.wrong {
            out.push(format!(
                "FAQ answers, {set}: {:.1}% wrong, over the ceiling of {:.1}%",
                all.wrong_rate() * 100.0,
                floors.wrong * 100.0
            ));
        }
        if all.declined_rate() < floors.declined {
            out.push(format!(
                "FAQ answers, {set}: {:.1}% of unanswerable questions declined, under {:.1}%",
                all.declined_rate() * 100.0,
                floors.declined * 100.0
            ));
        }
        out
    }
}

/// Asks every question of `which` (every `step`-th one: the smoke run's slice), `parallel`
/// visitors at a time.
pub async fn run(lab: &Lab, which: &EvalSet, step: usize, parallel: usize) -> Eval {
    let set = read(which.file);
    let faq: Vec<FaqEntry> = match set.faq {
        Some(faq) => faq,
        None => serde_json::from_value(demo()["faq"].clone()).expect("the demo site's FAQ"),
    };
    let site = which.site;
    for q in &set.questions {
        if let Some(want) = &q.expect {
            assert!(faq.iter().any(|e| &e.question == want), "no FAQ entry {want:?}");
        }
    }
    let questions: Vec<Question> = set.questions.into_iter().step_by(step.max(1)).collect();
    let faq = &faq;
    let asked: Vec<(Question, Option<String>, Duration)> = stream::iter(questions)
        .map(|q| async move {
            let mut visitor = Visitor::join(&lab.edge, site).await;
            let started = Instant::now();
            visitor.say("q1", &q.ask).await;
            let reply = visitor.socket.until("the engine's reply", |f| bot_text(f).is_some()).await;
            let took = started.elapsed();
            let text = bot_text(&reply).unwrap_or_default();
            let entry = faq.iter().find(|e| e.answer == text).map(|e| e.question.clone());
            (q, entry, took)
        })
        .buffer_unordered(parallel)
        .collect()
        .await;

    let mut by_lang: BTreeMap<String, Row> = BTreeMap::new();
    let mut all = Row { lang: "all".into(), ..Row::default() };
    let mut misses = Vec::new();
    let mut times = Samples::default();
    for (q, answered, took) in &asked {
        let row = by_lang
            .entry(q.lang.clone())
            .or_insert_with(|| Row { lang: q.lang.clone(), ..Row::default() });
        row.add(q, answered.as_deref());
        all.add(q, answered.as_deref());
        times.push(*took);
        if q.expect != *answered {
            misses.push(Miss {
                lang: q.lang.clone(),
                ask: q.ask.clone(),
                expected: q.expect.clone(),
                answered: answered.clone(),
            });
        }
    }
    misses.sort_by(|a, b| (&a.lang, &a.ask).cmp(&(&b.lang, &b.ask)));
    Eval {
        set: which.name.into(),
        floors: which.floors,
        languages: by_lang.into_values().collect(),
        all,
        reply: times.summary(),
        misses,
    }
}
