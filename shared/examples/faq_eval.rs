//! The labelled FAQ set against the engine, natively, with every miss listed: the quick loop
//! for tuning `shared::faq` (`cargo run -p takeover-shared --example faq_eval`). The figures
//! that count come through the worker, from `cargo xtask bench`.

use std::collections::BTreeMap;

use serde::Deserialize;
use shared::faq::{FaqEntry, FaqIndex, FaqOutcome};

#[derive(Deserialize)]
struct Site {
    faq: Vec<FaqEntry>,
}

#[derive(Deserialize)]
struct Set {
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    lang: String,
    ask: String,
    expect: Option<String>,
}

fn read(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    std::fs::read_to_string(format!("{root}/{path}")).expect(path)
}

fn main() {
    let holdout = std::env::args().any(|a| a == "--holdout");
    let (site, set) = if holdout {
        let both = read("tests/eval/holdout-site.json");
        (serde_json::from_str::<Site>(&both), serde_json::from_str::<Set>(&both))
    } else {
        (
            serde_json::from_str(&read("xtask/demo-site.json")),
            serde_json::from_str(&read("tests/eval/faq-questions.json")),
        )
    };
    let (site, set) = (site.expect("site"), set.expect("set"));
    let index = FaqIndex::new(&site.faq);
    let quiet = std::env::args().any(|a| a == "--quiet");
    // lang → (answerable, right, wrong entry, unanswerable, answered anyway)
    let mut rows: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let mut top = 0;
    for q in &set.questions {
        let ranked = index.rank(&q.ask);
        if std::env::var("DUMP").is_ok() {
            let (b, s) = (ranked.first(), ranked.get(1));
            let label = match (b, &q.expect) {
                (_, None) => "none",
                (Some(c), Some(e)) if &site.faq[c.index].question == e => "right",
                _ => "wrong",
            };
            eprintln!(
                "{label},{},{},{},{},{},{},{},{}",
                b.map_or(0.0, |c| c.score),
                b.map_or(0.0, |c| c.confidence),
                s.map_or(0.0, |c| c.score),
                q.lang,
                b.is_some_and(|c| c.verbatim),
                site.faq.len(),
                b.map_or("", |c| site.faq[c.index].question.as_str()).replace(',', ";"),
                q.ask.replace(',', ";")
            );
        }
        let first = ranked.first().map(|c| site.faq[c.index].question.as_str());
        if q.expect.is_some() && first == q.expect.as_deref() {
            top += 1;
        }
        let row = rows.entry(q.lang.clone()).or_default();
        let got = match index.lookup(&q.ask) {
            FaqOutcome::Answer { index, confidence } => {
                Some((site.faq[index].question.as_str(), confidence))
            }
            _ => None,
        };
        let verdict = match (&q.expect, got) {
            (Some(e), Some((g, _))) if e == g => {
                row[0] += 1;
                row[1] += 1;
                None
            }
            (Some(_), Some(_)) => {
                row[0] += 1;
                row[2] += 1;
                Some("WRONG")
            }
            (Some(_), None) => {
                row[0] += 1;
                Some("missed")
            }
            (None, None) => {
                row[3] += 1;
                None
            }
            (None, Some(_)) => {
                row[3] += 1;
                row[4] += 1;
                Some("ANSWERED")
            }
        };
        if let (Some(v), false) = (verdict, quiet) {
            let got = got.map(|(g, c)| format!("{g} ({c:.2})")).unwrap_or_default();
            println!("{v:8} [{}] {} -> {got} | want {:?}", q.lang, q.ask, q.expect);
            if std::env::var("EXPLAIN").is_ok() {
                println!("         terms {:?}", shared::faq_words::terms(&q.ask));
                for c in ranked.iter().take(3) {
                    println!(
                        "         {:5.2} conf {:.2} {}",
                        c.score, c.confidence, site.faq[c.index].question
                    );
                }
            }
        }
    }
    let mut all = [0usize; 5];
    for (lang, r) in &rows {
        for i in 0..5 {
            all[i] += r[i];
        }
        println!(
            "{lang}: right {}/{} ({:.1}%), wrong entry {}, answered unanswerable {}/{}",
            r[1],
            r[0],
            100.0 * r[1] as f64 / r[0].max(1) as f64,
            r[2],
            r[4],
            r[3]
        );
    }
    let asked = (all[0] + all[3]).max(1) as f64;
    // The worker builds the index for every message: time both, per question.
    let started = std::time::Instant::now();
    for q in &set.questions {
        std::hint::black_box(FaqIndex::new(&site.faq).lookup(&q.ask));
    }
    let per = |t: std::time::Duration| t.as_micros() as f64 / set.questions.len().max(1) as f64;
    let both = per(started.elapsed());
    let started = std::time::Instant::now();
    for q in &set.questions {
        std::hint::black_box(index.lookup(&q.ask));
    }
    println!(
        "per question, natively: {both:.0} µs with the index built, {:.0} µs asked alone",
        per(started.elapsed())
    );
    print!("ranked first {:.1}% | ", 100.0 * top as f64 / all[0].max(1) as f64);
    println!(
        "all: right {:.1}%, wrong {:.1}% of all questions, declined {:.1}%",
        100.0 * all[1] as f64 / all[0].max(1) as f64,
        100.0 * (all[2] + all[4]) as f64 / asked,
        100.0 * (all[3] - all[4]) as f64 / all[3].max(1) as f64
    );
}
