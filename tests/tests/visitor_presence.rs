//! The inbox's "online" follows the visitor even when the runtime never delivers a close:
//! a restart or a deploy drops every socket without an event, and a visitor who does not
//! come back must not stay listed online.

use std::time::Duration;

use integration::{Agent, Edge, Visitor};
use reqwest::Method;

/// The visitor's presence is looked at again this often (`VISITOR_CHECK_SECS`).
const CHECK_SECS: u64 = 3;

async fn listed_online(agent: &Agent, id: &str) -> Option<bool> {
    let all: Vec<serde_json::Value> =
        agent.get("/api/admin/conversations").await.json().await.unwrap();
    all.iter().find(|c| c["id"] == id).and_then(|c| c["visitor_online"].as_bool())
}

/// Polls until the index lists the visitor as `want`, or `within` has passed.
async fn wait_listed(agent: &Agent, id: &str, want: bool, within: Duration) -> Option<bool> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let seen = listed_online(agent, id).await;
        if seen == Some(want) || tokio::time::Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A visitor on `site` who said hello and is listed online, and Ana, signed in to see it.
async fn listed_visitor(edge: &Edge, site: &str) -> (Visitor, Agent) {
    let mut visitor = Visitor::join(edge, site).await;
    visitor.say("m1", "hello").await;
    let ana = Agent::login(edge, site, "ana@t.test").await;
    let listed = wait_listed(&ana, &visitor.conversation_id, true, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(true), "the visitor was never listed online");
    (visitor, ana)
}

/// A visitor listed online whose page is lost with workerd, killed once the reports the site's
/// pace held back have gone (at the first event after the restart they would tell the truth
/// by chance), and started again; Ana signed in afresh.
async fn lost_in_a_restart(edge: &mut Edge, site: &str) -> (String, Agent) {
    let (leaves, _) = listed_visitor(edge, site).await;
    let id = leaves.conversation_id.clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(edge.kill_worker(), "no workerd to kill");
    drop(leaves);
    edge.restart();
    (id, Agent::login(edge, site, "ana@t.test").await)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_lost_in_a_restart_is_not_listed_online() {
    let mut edge = Edge::start_with(&[("VISITOR_CHECK_SECS", &CHECK_SECS.to_string())]);
    let site = edge.site("presence", &[("ana@t.test", "Ana", "responder")]);
    let mut stays = Visitor::join(&edge, &site).await;
    stays.say("m1", "hello").await;
    let mut leaves = Visitor::join(&edge, &site).await;
    leaves.say("m1", "hello").await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let listed = wait_listed(&ana, &leaves.conversation_id, true, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(true), "the visitor was never listed online");

    // workerd dies with both sockets open: no close reaches either object.
    let (stays_id, stays_token) = (stays.conversation_id.clone(), stays.token.clone());
    let leaves_id = leaves.conversation_id.clone();
    assert!(edge.kill_worker(), "no workerd to kill");
    drop((stays, leaves));
    edge.restart();
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    // One visitor comes back (as a widget reconnects); the other is gone for good.
    let back = Visitor::resume(&edge, &stays_id, &stays_token, 0).await;
    let gone = wait_listed(&ana, &leaves_id, false, Duration::from_secs(4 * CHECK_SECS + 10)).await;
    assert_eq!(gone, Some(false), "a visitor who left during the restart is still listed online");
    let back_listed = wait_listed(&ana, &stays_id, true, Duration::from_secs(10)).await;
    assert_eq!(back_listed, Some(true), "the visitor who came back");
    drop(back);
}

/// The presence clock is ten minutes away. The first event after the restart is the settings
/// change the site pushes to every conversation it lists with a visitor online: it must not
/// leave the visitor listed (its handling sets the alarm anew). The visitor is looked for once
/// a page has had the hello deadline (10 s) to come back.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_event_after_a_restart_reports_a_visitor_gone() {
    let mut edge = Edge::start();
    let site = edge.site("presence-first", &[("ana@t.test", "Ana", "owner")]);
    let (id, ana) = lost_in_a_restart(&mut edge, &site).await;
    let mut settings: serde_json::Value =
        ana.get("/api/admin/settings").await.json().await.unwrap();
    settings["title"] = "Northwind Support".into();
    let res = ana.request(Method::PUT, "/api/admin/settings", Some(settings)).await;
    assert_eq!(res.status(), 200);
    let gone = wait_listed(&ana, &id, false, Duration::from_secs(30)).await;
    assert_eq!(gone, Some(false), "the visitor who left during the restart is still listed online");
}

/// A look for the visitor cut short (workerd stops within its 10 s grace) is not begun again
/// by the next instance. Each instance used to begin it anew; local workerd evicts an object
/// 10 s after its last event, the look's length, and an instance evicted before its look
/// ended left the next to begin again, for good: in the bench's storm of 10,000 closes, 4,034
/// visitors were still listed online 12 minutes later.
#[tokio::test(flavor = "multi_thread")]
async fn a_look_cut_short_is_not_begun_again() {
    let mut edge = Edge::start();
    let site = edge.site("presence-look", &[("ana@t.test", "Ana", "responder")]);
    let (id, ana) = lost_in_a_restart(&mut edge, &site).await;
    // The teammate opens the transcript: the object starts without its visitor and begins
    // the look, which ends 10 s from now...
    let res = ana.get(&format!("/api/admin/conversations/{id}/transcript")).await;
    assert_eq!(res.status(), 200);
    let began = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // ...but workerd stops before then. The look's alarm starts the object again when the look
    // is due to end: the visitor is reported gone then, not 10 s later after a look begun anew.
    assert!(edge.kill_worker(), "no workerd to kill");
    edge.restart();
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let within = Duration::from_secs(16).saturating_sub(began.elapsed());
    let gone = wait_listed(&ana, &id, false, within).await;
    assert_eq!(gone, Some(false), "still listed online 16 s after the look began");
}

/// A page that only reconnects after the restart is never listed gone meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_back_after_a_restart_stays_listed_online() {
    let mut edge = Edge::start();
    let site = edge.site("presence-back", &[("ana@t.test", "Ana", "responder")]);
    let (page, _) = listed_visitor(&edge, &site).await;
    let (id, token) = (page.conversation_id.clone(), page.token.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;

    assert!(edge.kill_worker(), "no workerd to kill");
    drop(page);
    edge.restart();
    let back = Visitor::resume(&edge, &id, &token, 0).await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let until = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < until {
        assert_eq!(listed_online(&ana, &id).await, Some(true), "listed gone while back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(back);
}

/// The presence clock came due while workerd was down: the alarm fires as the object starts
/// again, before the page is back. A page that reconnects within the hello deadline is still
/// never listed gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_back_after_a_restart_stays_listed_online_though_its_clock_came_due() {
    let mut edge = Edge::start_with(&[("VISITOR_CHECK_SECS", &CHECK_SECS.to_string())]);
    let site = edge.site("presence-due", &[("ana@t.test", "Ana", "responder")]);
    let (page, _) = listed_visitor(&edge, &site).await;
    let (id, token) = (page.conversation_id.clone(), page.token.clone());

    assert!(edge.kill_worker(), "no workerd to kill");
    drop(page);
    // Down past the clock: it is overdue when the object starts.
    tokio::time::sleep(Duration::from_secs(CHECK_SECS + 2)).await;
    edge.restart();
    let back = Visitor::resume(&edge, &id, &token, 0).await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let until = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < until {
        assert_eq!(listed_online(&ana, &id).await, Some(true), "listed gone while back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(back);
}

/// The outbox could not be read when the visitor's leaving was to be sent (workerd's SQLite
/// out of memory in a close storm): it is sent on a later try, not left for an event that a
/// conversation whose visitor left may never have.
#[tokio::test(flavor = "multi_thread")]
async fn a_leaving_the_outbox_could_not_read_is_reported_later() {
    leaving_reported_despite("outbox=1", "presence-outbox").await;
}

/// The same when storage would not take the report of the leaving: the close is the last
/// event this conversation may ever have, so the summary is queued again by an alarm of its
/// own, not only at some later event.
#[tokio::test(flavor = "multi_thread")]
async fn a_leaving_the_outbox_could_not_store_is_reported_later() {
    leaving_reported_despite("outbox_writes=1", "presence-outbox-write").await;
}

/// A visitor listed online leaves once the reports of their joining are out and the
/// benchmark worker's `fault` (a query of its fail-reads route) is set on their conversation.
async fn leaving_reported_despite(fault: &str, site: &str) {
    let edge = Edge::start_with(&[("BENCHMARK", "1")]);
    let site = edge.site(site, &[("ana@t.test", "Ana", "responder")]);
    let (page, ana) = listed_visitor(&edge, &site).await;
    let id = page.conversation_id.clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let url = format!("{}/api/bench/conversations/{id}/fail-reads?{fault}", edge.base);
    let res = reqwest::Client::new().post(url).send().await.expect("fail-reads");
    assert_eq!(res.status(), 200, "the benchmark worker's fault route");

    drop(page);
    let gone = wait_listed(&ana, &id, false, Duration::from_secs(20)).await;
    assert_eq!(gone, Some(false), "the visitor who left is still listed online");
}

/// The presence check of an object woken for it: local workerd evicts an object 10 s after
/// its last event (a deployment, a minute or two), so with checks further apart every check is
/// the first alarm of a new instance, whose memory holds no clock. A page that says it pings
/// and is silent is still found out.
#[tokio::test(flavor = "multi_thread")]
async fn a_silent_page_is_found_out_by_an_object_woken_to_look() {
    let check_secs = 20;
    let edge = Edge::start_with(&[
        ("VISITOR_CHECK_SECS", &check_secs.to_string()),
        ("PRESENCE_STALE_MS", "6000"),
    ]);
    let site = edge.site("presence-woken", &[("ana@t.test", "Ana", "responder")]);
    let first = Visitor::join(&edge, &site).await;
    let mut quiet = Visitor::resume_beating(&edge, &first.conversation_id, &first.token).await;
    drop(first);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let listed = wait_listed(&ana, &quiet.conversation_id, true, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(true), "the visitor was never listed online");

    let code = quiet.socket.close_code_within(Duration::from_secs(2 * check_secs + 15)).await;
    assert_eq!(code, Some(4010), "the silent page's socket was not closed as not heard from");
    let listed = wait_listed(&ana, &quiet.conversation_id, false, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(false), "a page not heard from is still listed online");
}

/// Not only the alarm: the first event of any instance checks on the visitor. An object
/// woken by something else (here a teammate opening the transcript) and evicted between
/// such events began its clock a whole period on each time, and set the alarm for then: woken
/// more often than that period, it never checked at all. The visitor's other tab, which
/// pings, is not taken for silent across the eviction.
#[tokio::test(flavor = "multi_thread")]
async fn a_silent_page_is_found_out_by_whatever_wakes_the_object() {
    let edge = Edge::start_with(&[("VISITOR_CHECK_SECS", "600"), ("PRESENCE_STALE_MS", "6000")]);
    let site = edge.site("presence-any-wake", &[("ana@t.test", "Ana", "responder")]);
    let first = Visitor::join(&edge, &site).await;
    let mut quiet = Visitor::resume_beating(&edge, &first.conversation_id, &first.token).await;
    let other_tab = Visitor::resume_beating(&edge, &first.conversation_id, &first.token).await;
    let pings = keep_pinging(other_tab, Duration::from_secs(40));
    drop(first);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let id = quiet.conversation_id.clone();
    let listed = wait_listed(&ana, &id, true, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(true), "the visitor was never listed online");

    // Past the time a page counts as there unheard, and past workerd's eviction of the
    // object (10 s after its last event): the transcript wakes a new instance.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let res = ana.get(&format!("/api/admin/conversations/{id}/transcript")).await;
    assert!(res.status().is_success(), "the transcript: {}", res.status());
    let code = quiet.socket.close_code_within(Duration::from_secs(5)).await;
    assert_eq!(code, Some(4010), "the silent page's socket was not closed as not heard from");
    // The tab that pings keeps the visitor listed, and its socket.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(listed_online(&ana, &id).await, Some(true), "a pinging tab's visitor listed gone");
    assert!(pings.await.unwrap(), "the pinging tab's socket was closed");
}

/// A page whose machine slept comes back with a new socket while its old one, silent, still
/// looks open, and that upgrade is the first event of a new instance: the old socket is
/// closed after the hello deadline, by when the page has said hello again, and the visitor
/// is never listed gone meanwhile. Checked at the upgrade, the visitor was listed gone
/// until the hello's own report.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_back_from_sleep_stays_listed_online() {
    let edge = Edge::start_with(&[("VISITOR_CHECK_SECS", "600"), ("PRESENCE_STALE_MS", "6000")]);
    let site = edge.site("presence-sleep", &[("ana@t.test", "Ana", "responder")]);
    let first = Visitor::join(&edge, &site).await;
    let (id, token) = (first.conversation_id.clone(), first.token.clone());
    let mut asleep = Visitor::resume_beating(&edge, &id, &token).await;
    drop(first);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let listed = wait_listed(&ana, &id, true, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(true), "the visitor was never listed online");

    // Past the time a page counts as there unheard, and past workerd's eviction.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let back = Visitor::resume_beating(&edge, &id, &token).await;
    let pings = keep_pinging(back, Duration::from_secs(20));
    let until = tokio::time::Instant::now() + Duration::from_secs(14);
    while tokio::time::Instant::now() < until {
        assert_eq!(listed_online(&ana, &id).await, Some(true), "listed gone while back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let code = asleep.socket.close_code_within(Duration::from_secs(2)).await;
    assert_eq!(code, Some(4010), "the sleeping page's old socket was not closed");
    assert!(pings.await.unwrap(), "the page's new socket was closed");
}

/// A page that pings every second (a widget does every half minute) for `how_long`: whether
/// its socket stayed open all along.
fn keep_pinging(mut page: Visitor, how_long: Duration) -> tokio::task::JoinHandle<bool> {
    tokio::spawn(async move {
        let until = tokio::time::Instant::now() + how_long;
        while tokio::time::Instant::now() < until {
            if !page.socket.try_send_raw(shared::protocol::PING).await {
                return false;
            }
            // Its pongs (and anything else) are read as they come, until the next ping.
            let next = tokio::time::Instant::now() + Duration::from_secs(1);
            let left = || next.saturating_duration_since(tokio::time::Instant::now());
            while page.socket.try_next_json(left()).await.is_some() {}
        }
        true
    })
}

/// A page whose machine slept or lost its network may leave a socket that looks open for
/// hours, and no close ever comes. A widget pings every half minute whatever passes and says
/// so at hello; such a page not heard from for as long as a console counts as there
/// (`PRESENCE_STALE_MS`) is listed offline at the next presence check and its socket closed (a
/// page that was only frozen comes back with a new one). A page that pings stays listed and
/// connected, and so does a silent page from before the widget said so (it pings only when
/// it hears nothing, so silence proves nothing of it).
#[tokio::test(flavor = "multi_thread")]
async fn a_page_not_heard_from_is_listed_offline_and_its_socket_closed() {
    let edge = Edge::start_with(&[
        ("VISITOR_CHECK_SECS", &CHECK_SECS.to_string()),
        ("PRESENCE_STALE_MS", "6000"),
    ]);
    let site = edge.site("presence-quiet", &[("ana@t.test", "Ana", "responder")]);
    let beating = || async {
        let first = Visitor::join(&edge, &site).await;
        let page = Visitor::resume_beating(&edge, &first.conversation_id, &first.token).await;
        drop(first);
        page
    };
    let pinging = beating().await;
    let pinging_id = pinging.conversation_id.clone();
    let pings = keep_pinging(pinging, Duration::from_secs(40));
    let mut quiet = beating().await;
    let mut older = Visitor::join(&edge, &site).await;
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    for id in [&quiet.conversation_id, &pinging_id, &older.conversation_id] {
        let listed = wait_listed(&ana, id, true, Duration::from_secs(10)).await;
        assert_eq!(listed, Some(true), "a visitor was never listed online");
    }

    let code = quiet.socket.close_code_within(Duration::from_secs(4 * CHECK_SECS + 12)).await;
    assert_eq!(code, Some(4010), "the silent page's socket was not closed as not heard from");
    let listed = wait_listed(&ana, &quiet.conversation_id, false, Duration::from_secs(10)).await;
    assert_eq!(listed, Some(false), "a page not heard from is still listed online");

    // Two more checks pass: the page that pings and the older page are still listed, and
    // still connected.
    tokio::time::sleep(Duration::from_secs(2 * CHECK_SECS + 1)).await;
    assert_eq!(listed_online(&ana, &pinging_id).await, Some(true), "a pinging page listed gone");
    let older_listed = listed_online(&ana, &older.conversation_id).await;
    assert_eq!(older_listed, Some(true), "an older widget's silent page listed gone");
    assert_eq!(older.socket.close_code_within(Duration::from_millis(100)).await, None);
    assert!(pings.await.unwrap(), "the pinging page's socket was closed");
}
