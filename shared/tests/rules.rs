//! The site's takeover rules, with time injected: takeover on/off, business hours and the
//! out-of-hours form, the unclaimed timeout, and the away assignee.

use shared::machine::{Actor, BotReply, Conversation, Effect, Input, Rules};
use shared::protocol::{AgentRef, EndedBy, ErrorCode, Event, Item, ItemBody, Phase, Role};

const T: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;

fn aref(id: &str) -> AgentRef {
    AgentRef { id: id.into(), name: format!("Agent {id}") }
}

fn claim(id: &str) -> Input {
    Input::Claim { by: Actor::Agent { agent: aref(id), role: Role::Responder } }
}

fn say(id: &str, text: &str) -> Input {
    Input::Message { from: Actor::Visitor, client_id: id.into(), text: text.into(), original: None }
}

fn events(effects: &[Effect]) -> Vec<&Event> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Append(Item { body: ItemBody::Event(e), .. }) => Some(e),
            _ => None,
        })
        .collect()
}

fn with(rules: Rules) -> Conversation {
    let mut c = Conversation::new();
    c.set_rules(rules);
    c.handle(T, say("v1", "hello")).unwrap();
    c
}

fn refused(c: &mut Conversation, now: i64, input: Input) -> ErrorCode {
    let before = c.clone();
    let code = c.handle(now, input).expect_err("should be refused").code;
    assert_eq!(*c, before, "a refusal must change nothing");
    code
}

fn handover(text: Option<&str>) -> BotReply {
    BotReply {
        text: text.map(str::to_owned),
        handover: Some("unsure".into()),
        tokens: None,
        source: None,
    }
}

fn leave(id: &str) -> Input {
    Input::LeaveMessage { client_id: id.into(), text: "Please call me back about my order".into() }
}

#[test]
fn with_takeover_off_nobody_but_an_agent_brings_in_a_person() {
    let mut c = with(Rules { takeover: false, ..Rules::default() });
    assert_eq!(refused(&mut c, T, Input::RequestHuman), ErrorCode::TakeoverOff);
    assert_eq!(refused(&mut c, T, leave("f1")), ErrorCode::TakeoverOff);
    let fx =
        c.handle(T, Input::BotReplied { turn: 1, reply: handover(Some("Not sure.")) }).unwrap();
    assert!(events(&fx).is_empty(), "the AI's handover is ignored");
    assert_eq!(c.phase(), Phase::Bot);
    assert_eq!(c.bot_turn_pending(), None, "its text still answers the turn");
    // An agent stepping in on their own is a deliberate act and still works.
    c.handle(T, claim("a")).unwrap();
    assert_eq!(c.phase(), Phase::Active);
}

#[test]
fn out_of_hours_a_request_for_a_person_offers_the_form_and_the_ai_goes_on() {
    let mut c = with(Rules { open: false, ..Rules::default() });
    let fx = c.handle(T, Input::RequestHuman).unwrap();
    assert_eq!(events(&fx), [&Event::OutOfHours { back_at: None, unstaffed: false }]);
    assert_eq!(c.phase(), Phase::Bot);
    assert!(!fx.iter().any(|e| matches!(e, Effect::StateChanged(_))));

    let back_at = Some(T + 600 * MINUTE);
    let mut c = with(Rules { open: false, back_at, ..Rules::default() });
    let fx = c.handle(T, Input::BotReplied { turn: 1, reply: handover(None) }).unwrap();
    assert_eq!(events(&fx), [&Event::OutOfHours { back_at, unstaffed: false }]);
    assert_eq!(c.phase(), Phase::Bot);
    assert_eq!(c.bot_turn_pending(), None, "the offer answers the turn: nothing is asked again");
}

#[test]
fn the_out_of_hours_form_opens_a_pending_offline_ticket_that_a_claim_takes_over() {
    let mut c = with(Rules { open: false, ..Rules::default() });
    let fx = c.handle(T, leave("f1")).unwrap();
    assert!(matches!(events(&fx)[..], [Event::Escalated { offline: true, .. }]));
    let pending = Effect::OpenTicket { number: 1, agent: None, at: T, offline: true, waited: None };
    assert!(fx.contains(&pending));
    assert!(fx.contains(&Effect::Ack { client_id: "f1".into(), seq: 2 }));
    assert_eq!(c.phase(), Phase::Escalated);
    assert_eq!(c.next_deadline(), None, "an offline ticket waits however long it takes");

    // A resend of the same form is acknowledged, not stored twice.
    let again = c.handle(T, leave("f1")).unwrap();
    assert_eq!(again, [Effect::Ack { client_id: "f1".into(), seq: 2 }]);

    let fx = c.handle(T + 600 * MINUTE, claim("a")).unwrap();
    assert!(matches!(events(&fx)[..], [Event::AgentJoined { ticket: 1, .. }]));
    assert!(fx.contains(&Effect::AssignTicket { number: 1, agent: aref("a") }));
    assert!(!fx.iter().any(|e| matches!(e, Effect::OpenTicket { .. })));
    assert_eq!(c.view().ticket, Some(1));
}

#[test]
fn with_nobody_available_a_request_for_a_person_offers_the_form_at_once() {
    let mut c = with(Rules { staffed: false, back_at: Some(T), ..Rules::default() });
    let fx = c.handle(T, Input::RequestHuman).unwrap();
    // Within hours nothing says when someone is back: the schedule's time is not repeated.
    assert_eq!(events(&fx), [&Event::OutOfHours { back_at: None, unstaffed: true }]);
    assert_eq!(c.phase(), Phase::Bot);
    // The form still reaches the team as a pending ticket.
    c.handle(T, leave("f1")).unwrap();
    assert_eq!(c.phase(), Phase::Escalated);
}

#[test]
fn a_waiting_visitor_is_told_the_expected_wait_and_the_claim_records_the_real_one() {
    let mut c = with(Rules { expected_wait_secs: Some(180), ..Rules::default() });
    let fx = c.handle(T, Input::RequestHuman).unwrap();
    assert!(matches!(
        events(&fx)[..],
        [Event::Escalated { expected_wait_secs: Some(180), offline: false, .. }]
    ));
    let fx = c.handle(T + 2 * MINUTE, claim("a")).unwrap();
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::OpenTicket { waited: Some(w), .. } if *w == 2 * MINUTE))
    );
}

#[test]
fn the_form_is_refused_when_a_person_is_already_coming() {
    let mut c = with(Rules::default());
    c.handle(T, Input::RequestHuman).unwrap();
    assert_eq!(refused(&mut c, T, leave("f1")), ErrorCode::InvalidState);
}

#[test]
fn ending_resolves_a_pending_ticket() {
    let mut c = with(Rules { open: false, ..Rules::default() });
    c.handle(T, leave("f1")).unwrap();
    let by = Actor::Agent {
        agent: AgentRef { id: "a".into(), name: "A".into() },
        role: Role::Responder,
    };
    let fx = c.handle(T, Input::End { by, spam: false }).unwrap();
    assert!(fx.contains(&Effect::ResolveTicket { number: 1, at: T }));
}

#[test]
fn unclaimed_timeout_is_off_by_default() {
    let mut c = with(Rules::default());
    c.handle(T, Input::RequestHuman).unwrap();
    assert_eq!(c.next_deadline(), None);
    assert!(c.handle(T + 10_000 * MINUTE, Input::Tick).unwrap().is_empty());
    assert_eq!(c.phase(), Phase::Escalated);
}

#[test]
fn nobody_claiming_in_time_tells_the_visitor_and_resumes_the_ai() {
    let mut c = with(Rules { unclaimed_after: Some(5 * MINUTE), ..Rules::default() });
    c.handle(T, Input::RequestHuman).unwrap();
    assert_eq!(c.next_deadline(), Some(T + 5 * MINUTE));
    assert!(c.handle(T + 5 * MINUTE - 1, Input::Tick).unwrap().is_empty());
    let fx = c.handle(T + 5 * MINUTE, Input::Tick).unwrap();
    assert_eq!(events(&fx), [&Event::Unclaimed]);
    assert_eq!(c.phase(), Phase::Bot);
    assert_eq!(c.next_deadline(), None);
    // The AI answers what the visitor says next.
    let fx = c.handle(T + 6 * MINUTE, say("v2", "still there?")).unwrap();
    assert!(fx.iter().any(|e| matches!(e, Effect::AskBot { .. })));
}

#[test]
fn a_claim_before_the_deadline_stops_the_clock() {
    let mut c = with(Rules { unclaimed_after: Some(5 * MINUTE), ..Rules::default() });
    c.handle(T, Input::RequestHuman).unwrap();
    c.handle(T + MINUTE, claim("a")).unwrap();
    assert_eq!(c.next_deadline(), None);
    assert!(c.handle(T + 10 * MINUTE, Input::Tick).unwrap().is_empty());
    assert_eq!(c.phase(), Phase::Active);
}

#[test]
fn an_away_assignee_sends_the_conversation_back_to_pending_with_its_ticket() {
    let mut c = with(Rules { unclaimed_after: Some(5 * MINUTE), ..Rules::default() });
    c.handle(T, Input::RequestHuman).unwrap();
    c.handle(T, claim("a")).unwrap();
    let away = |offline_since| Input::AssigneeAway {
        agent_id: "a".into(),
        offline_since,
        after: 10 * MINUTE,
    };
    // Offline before the claim counts from the claim.
    assert_eq!(refused(&mut c, T + 9 * MINUTE, away(T - 60 * MINUTE)), ErrorCode::InvalidState);
    let other = Input::AssigneeAway { agent_id: "b".into(), offline_since: T, after: MINUTE };
    assert_eq!(refused(&mut c, T + 60 * MINUTE, other), ErrorCode::InvalidState);

    let fx = c.handle(T + 10 * MINUTE, away(T - 60 * MINUTE)).unwrap();
    assert_eq!(events(&fx), [&Event::Requeued { agent: aref("a") }]);
    assert!(fx.contains(&Effect::UnassignTicket { number: 1 }));
    assert_eq!(c.phase(), Phase::Escalated);
    assert_eq!(c.next_deadline(), None, "a requeued ticket waits for a person");

    let fx = c.handle(T + 11 * MINUTE, claim("b")).unwrap();
    assert!(matches!(events(&fx)[..], [Event::AgentJoined { ticket: 1, .. }]));
    assert!(fx.contains(&Effect::AssignTicket { number: 1, agent: aref("b") }));
    assert_eq!(c.tickets(), 1);
}

#[test]
fn only_the_decisions_of_rules_are_replayed() {
    let mut c = with(Rules { open: false, ..Rules::default() });
    let mut log = Vec::new();
    for input in [leave("f1"), claim("a")] {
        for e in c.handle(T, input).unwrap() {
            if let Effect::Append(i) = e {
                log.push(i);
            }
        }
    }
    let mut first = Conversation::new();
    let fx = first.handle(T, say("v1", "hello")).unwrap();
    let mut items: Vec<Item> = fx
        .into_iter()
        .filter_map(|e| if let Effect::Append(i) = e { Some(i) } else { None })
        .collect();
    items.extend(log);
    let mut replayed = Conversation::replay(&items);
    replayed.set_rules(c.rules().clone());
    assert_eq!(replayed, c);
}

fn asks_bot(effects: &[Effect]) -> Option<u64> {
    effects.iter().find_map(|e| match e {
        Effect::AskBot { turn } => Some(*turn),
        _ => None,
    })
}

fn bot_said(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Append(Item { body: ItemBody::Message(m), .. }) => Some(m.text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn by_default_a_waiting_visitors_messages_wait_for_the_person() {
    let mut c = with(Rules::default());
    c.handle(T, Input::RequestHuman).unwrap();
    let fx = c.handle(T + 1, say("v2", "How long does shipping take?")).unwrap();
    assert_eq!(asks_bot(&fx), None);
    assert_eq!(c.bot_turn_pending(), None);
}

#[test]
fn the_ai_answers_while_the_visitor_waits_when_the_site_says_so_and_never_hands_over_again() {
    let mut c = with(Rules { answers_while_waiting: true, ..Rules::default() });
    c.handle(T, Input::RequestHuman).unwrap();
    assert_eq!(c.bot_turn_pending(), None, "the request itself is not a question to answer");
    let fx = c.handle(T + 1, say("v2", "How long does shipping take?")).unwrap();
    let turn = asks_bot(&fx).expect("the AI is asked while the visitor waits");
    let reply = BotReply { text: Some("3 to 5 days.".into()), ..handover(None) };
    let fx = c.handle(T + 2, Input::BotReplied { turn, reply }).unwrap();
    assert_eq!(bot_said(&fx), ["3 to 5 days."]);
    assert!(events(&fx).is_empty(), "no second escalation: {fx:?}");
    assert_eq!(c.phase(), Phase::Escalated);
    assert_eq!(c.bot_turn_pending(), None);
}

#[test]
fn a_claim_stops_the_ai_answering_a_waiting_visitor() {
    let mut c = with(Rules { answers_while_waiting: true, ..Rules::default() });
    c.handle(T, Input::RequestHuman).unwrap();
    let turn = asks_bot(&c.handle(T + 1, say("v2", "Do you ship abroad?")).unwrap()).unwrap();
    c.handle(T + 2, claim("a1")).unwrap();
    let reply = BotReply { text: Some("Yes.".into()), ..BotReply::default() };
    let fx = c.handle(T + 3, Input::BotReplied { turn, reply }).unwrap();
    assert!(fx.is_empty(), "the person has it now: {fx:?}");
    let fx = c.handle(T + 4, say("v3", "Hello?")).unwrap();
    assert_eq!(asks_bot(&fx), None);
}

fn idle(minutes: i64) -> Rules {
    Rules { idle_close_after: Some(minutes * MINUTE), ..Rules::default() }
}

#[test]
fn a_quiet_chat_closes_after_the_idle_time_and_the_visitor_writing_opens_it_again() {
    let mut c = with(idle(30));
    assert_eq!(c.next_deadline(), Some(T + 30 * MINUTE));
    assert!(c.handle(T + 29 * MINUTE, Input::Tick).unwrap().is_empty(), "not yet");
    // Something new pushes the deadline on.
    c.handle(T + 10 * MINUTE, say("v2", "still there?")).unwrap();
    assert_eq!(c.next_deadline(), Some(T + 40 * MINUTE));
    let fx = c.handle(T + 40 * MINUTE, Input::Tick).unwrap();
    assert_eq!(events(&fx), [&Event::Ended { by: EndedBy::Idle, spam: false }]);
    assert_eq!(c.phase(), Phase::Ended);
    assert_eq!(c.next_deadline(), None);

    let fx = c.handle(T + 600 * MINUTE, say("v3", "Back again: where is my parcel?")).unwrap();
    assert_eq!(events(&fx), [&Event::Reopened { by: None }]);
    assert_eq!(c.phase(), Phase::Bot);
    assert!(fx.iter().any(|e| matches!(e, Effect::AskBot { .. })), "the AI answers it: {fx:?}");
    assert!(fx.iter().any(|e| matches!(e, Effect::Ack { .. })));
}

#[test]
fn an_idle_chat_with_a_person_closes_with_its_ticket_but_a_waiting_visitor_never_does() {
    let mut c = with(idle(30));
    c.handle(T, Input::RequestHuman).unwrap();
    assert_eq!(c.next_deadline(), None, "a request for a person is not idle");
    assert!(c.handle(T + 999 * MINUTE, Input::Tick).unwrap().is_empty());
    c.handle(T + 1000 * MINUTE, claim("a1")).unwrap();
    let fx = c.handle(T + 1030 * MINUTE, Input::Tick).unwrap();
    assert_eq!(events(&fx), [&Event::Ended { by: EndedBy::Idle, spam: false }]);
    assert!(fx.contains(&Effect::ResolveTicket { number: 1, at: T + 1030 * MINUTE }));
}

#[test]
fn only_an_idle_close_reopens_by_itself_and_a_teammate_reopens_any() {
    let mut c = with(Rules::default());
    let by = Actor::Agent { agent: aref("a1"), role: Role::Responder };
    c.handle(T, Input::End { by: by.clone(), spam: true }).unwrap();
    assert_eq!(refused(&mut c, T + 1, say("v2", "let me back in")), ErrorCode::ConversationEnded);
    assert_eq!(refused(&mut c, T + 1, Input::Reopen { by: Actor::Visitor }), ErrorCode::Forbidden);
    let viewer = Actor::Agent { agent: aref("v1"), role: Role::Viewer };
    assert_eq!(refused(&mut c, T + 1, Input::Reopen { by: viewer }), ErrorCode::Forbidden);
    let fx = c.handle(T + 2, Input::Reopen { by: by.clone() }).unwrap();
    assert_eq!(events(&fx), [&Event::Reopened { by: Some(aref("a1")) }]);
    assert_eq!(c.phase(), Phase::Bot);
    assert_eq!(refused(&mut c, T + 3, Input::Reopen { by }), ErrorCode::InvalidState);
    c.handle(T + 4, say("v3", "thanks")).unwrap();
}

#[test]
fn idle_closing_survives_a_replay() {
    let mut c = Conversation::new();
    c.set_rules(idle(30));
    let mut log: Vec<Item> = Vec::new();
    for (at, input) in [(T, say("v1", "hello")), (T + 30 * MINUTE, Input::Tick)] {
        log.extend(c.handle(at, input).unwrap().into_iter().filter_map(|e| match e {
            Effect::Append(i) => Some(i),
            _ => None,
        }));
    }
    let mut replayed = Conversation::replay(&log);
    replayed.set_rules(idle(30));
    assert_eq!(replayed, c);
    let fx = replayed.handle(T + 99 * MINUTE, say("v9", "hello again")).unwrap();
    assert_eq!(events(&fx), [&Event::Reopened { by: None }]);
}

#[test]
fn what_a_channel_cannot_show_is_recorded_once_and_never_into_a_closed_conversation() {
    let mut c = with(Rules::default());
    let photo =
        |id: &str| Input::ChannelUnsupported { client_id: id.into(), what: "a photo".into() };
    let fx = c.handle(T, photo("tg-1")).unwrap();
    assert_eq!(
        events(&fx),
        [&Event::ChannelUnsupported { client_id: "tg-1".into(), what: "a photo".into() }]
    );
    let again = c.handle(T + 1, photo("tg-1")).unwrap();
    assert!(events(&again).is_empty(), "sent again, recorded once");
    assert_eq!(c.phase(), Phase::Bot, "a photo changes no phase");
    let by = Actor::Agent { agent: aref("a1"), role: Role::Responder };
    c.handle(T + 2, Input::End { by, spam: false }).unwrap();
    assert_eq!(refused(&mut c, T + 3, photo("tg-2")), ErrorCode::ConversationEnded);
    let fx = c
        .handle(T + 4, Input::ChannelUndelivered { seq: Some(1), error: "blocked".into() })
        .unwrap();
    assert_eq!(events(&fx), [&Event::ChannelUndelivered { seq: Some(1), error: "blocked".into() }]);
}
