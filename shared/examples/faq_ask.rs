//! Asks the demo FAQ one question from the command line and prints the terms and top entries:
//! `cargo run -p takeover-shared --example faq_ask -- "where is my order?"`.

use shared::faq::{FaqEntry, FaqIndex};

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../xtask/demo-site.json");
    let site: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("demo site")).expect("json");
    let faq: Vec<FaqEntry> = serde_json::from_value(site["faq"].clone()).expect("faq");
    let index = FaqIndex::new(&faq);
    for asked in std::env::args().skip(1) {
        println!("{asked}\n  terms {:?}", shared::faq_words::terms(&asked));
        for c in index.rank(&asked).iter().take(3) {
            println!("  {:5.2} conf {:.2} {}", c.score, c.confidence, faq[c.index].question);
        }
        println!("  -> {:?}", index.lookup(&asked));
    }
}
