//! A short pass of the chaos benchmark (`cargo xtask bench` runs the full counts): sockets cut
//! and the worker's workerd killed during traffic, and still every acknowledged message is
//! stored once and every other one is stored once after its resend or refused.

use integration::Edge;
use integration::chaos::{self, Plan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cuts_and_crashes_lose_nothing_acknowledged_and_store_nothing_twice() {
    let mut edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site("chaos", &[("ana@chaos.test", "Ana", "responder")]);
    let plan = Plan { conversations: 8, messages_each: 60, disconnects: 60, kills: 1 };
    let outcome = chaos::run(&mut edge, &site, "ana@chaos.test", plan).await;
    eprintln!("{outcome:?}");
    assert_eq!(outcome.failures(), Vec::<String>::new(), "{outcome:?}");
    assert_eq!(outcome.acknowledged + outcome.refused, outcome.messages);
    assert_eq!(outcome.disconnects, plan.disconnects, "every planned cut was made");
    assert_eq!(outcome.kills, 1);
    assert!(outcome.resent > 0, "messages were sent again, so the dedupe was put to work");
}
