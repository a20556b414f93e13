//! One test per transition and per refusal of the conversation state machine.

use shared::machine::{Actor, BotReply, Conversation, Effect, Input};
use shared::protocol::{
    AgentRef, Author, EndedBy, ErrorCode, EscalatedBy, Event, Item, ItemBody, Phase, Role,
};

const T: i64 = 1_700_000_000_000;

fn agent(id: &str, role: Role) -> Actor {
    Actor::Agent { agent: aref(id), role }
}

fn aref(id: &str) -> AgentRef {
    AgentRef { id: id.into(), name: format!("Agent {id}") }
}

fn say(from: Actor, id: &str, text: &str) -> Input {
    Input::Message { from, client_id: id.into(), text: text.into(), original: None }
}

fn items(effects: &[Effect]) -> Vec<&Item> {
    effects.iter().filter_map(|e| if let Effect::Append(i) = e { Some(i) } else { None }).collect()
}

fn events(effects: &[Effect]) -> Vec<&Event> {
    items(effects)
        .into_iter()
        .filter_map(|i| if let ItemBody::Event(e) = &i.body { Some(e) } else { None })
        .collect()
}

fn refused(c: &mut Conversation, input: Input) -> ErrorCode {
    let before = c.clone();
    let code = c.handle(T, input).expect_err("should be refused").code;
    assert_eq!(*c, before, "a refusal must change nothing");
    code
}

fn escalated() -> Conversation {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "v1", "hello")).unwrap();
    c.handle(T, Input::RequestHuman).unwrap();
    c
}

fn active(by: &str) -> Conversation {
    let mut c = escalated();
    c.handle(T, Input::Claim { by: agent(by, Role::Responder) }).unwrap();
    c
}

#[test]
fn visitor_message_in_bot_phase_is_stored_acked_and_asks_the_bot() {
    let mut c = Conversation::new();
    let fx = c.handle(T, say(Actor::Visitor, "m1", "  where is my order? ")).unwrap();
    assert_eq!(items(&fx)[0].seq, 1);
    assert!(matches!(&items(&fx)[0].body, ItemBody::Message(m) if m.text == "where is my order?"));
    assert!(fx.contains(&Effect::Ack { client_id: "m1".into(), seq: 1 }));
    assert!(fx.contains(&Effect::AskBot { turn: 1 }));
    assert_eq!(c.bot_turn_pending(), Some(1));
}

#[test]
fn bot_answer_is_stored_and_clears_the_pending_turn() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "m1", "hi")).unwrap();
    let reply =
        BotReply { text: Some("Hello!".into()), handover: None, tokens: None, source: None };
    let fx = c.handle(T, Input::BotReplied { turn: 1, reply }).unwrap();
    assert!(matches!(&items(&fx)[0].body, ItemBody::Message(m) if m.author == Author::Bot));
    assert_eq!(c.bot_turn_pending(), None);
}

#[test]
fn bot_handover_escalates() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "m1", "refund my order from 2019")).unwrap();
    let reply = BotReply {
        text: Some("Let me get a person.".into()),
        handover: Some("no match".into()),
        tokens: None,
        source: None,
    };
    let fx = c.handle(T, Input::BotReplied { turn: 1, reply }).unwrap();
    assert_eq!(c.phase(), Phase::Escalated);
    assert!(matches!(events(&fx)[0], Event::Escalated { by: EscalatedBy::Bot, .. }));
    assert!(fx.iter().any(|e| matches!(e, Effect::StateChanged(v) if v.phase == Phase::Escalated)));
}

#[test]
fn visitor_request_escalates_and_pauses_the_ai() {
    let mut c = escalated();
    assert_eq!(c.phase(), Phase::Escalated);
    let fx = c.handle(T, say(Actor::Visitor, "m2", "anyone?")).unwrap();
    assert!(!fx.iter().any(|e| matches!(e, Effect::AskBot { .. })), "the AI is paused");
    assert_eq!(c.bot_turn_pending(), None);
}

#[test]
fn claim_from_escalated_activates_and_opens_ticket_one() {
    let mut c = escalated();
    let fx = c.handle(T, Input::Claim { by: agent("a", Role::Responder) }).unwrap();
    assert_eq!(c.phase(), Phase::Active);
    assert_eq!(c.assignee(), Some(&aref("a")));
    assert_eq!(*events(&fx)[0], Event::AgentJoined { agent: aref("a"), ticket: 1 });
    assert!(fx.contains(&Effect::OpenTicket {
        number: 1,
        agent: Some(aref("a")),
        at: T,
        offline: false,
        waited: Some(0),
    }));
    assert_eq!(c.view().ticket, Some(1));
}

#[test]
fn take_over_from_bot_phase_works_without_escalation() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "m1", "hi")).unwrap();
    c.handle(T, Input::Claim { by: agent("a", Role::Owner) }).unwrap();
    assert_eq!(c.phase(), Phase::Active);
}

#[test]
fn second_claim_is_refused_naming_the_winner() {
    let mut c = active("a");
    let before = c.clone();
    let r = c.handle(T, Input::Claim { by: agent("b", Role::Responder) }).unwrap_err();
    assert_eq!(r.code, ErrorCode::AlreadyClaimed);
    assert_eq!(r.agent, Some(aref("a")));
    assert!(r.message.contains("Agent a"));
    assert_eq!(c, before);
}

#[test]
fn viewers_and_visitors_cannot_claim() {
    let mut c = escalated();
    assert_eq!(
        refused(&mut c, Input::Claim { by: agent("v", Role::Viewer) }),
        ErrorCode::Forbidden
    );
    assert_eq!(refused(&mut c, Input::Claim { by: Actor::Visitor }), ErrorCode::Forbidden);
}

#[test]
fn viewer_cannot_reply_hand_back_or_end() {
    let mut c = active("a");
    let v = agent("v", Role::Viewer);
    assert_eq!(refused(&mut c, say(v.clone(), "x", "hi")), ErrorCode::Forbidden);
    assert_eq!(
        refused(&mut c, Input::HandBack { by: v.clone(), ask_rating: false }),
        ErrorCode::Forbidden
    );
    assert_eq!(refused(&mut c, Input::End { by: v, spam: false }), ErrorCode::Forbidden);
}

#[test]
fn assignee_reply_is_stored_and_others_are_refused() {
    let mut c = active("a");
    let fx = c.handle(T, say(agent("a", Role::Responder), "r1", "Hi, I'm here")).unwrap();
    assert!(
        matches!(&items(&fx)[0].body, ItemBody::Message(m) if m.author == Author::Agent(aref("a")))
    );
    assert_eq!(
        refused(&mut c, say(agent("b", Role::Admin), "r2", "me too")),
        ErrorCode::NotAssignee
    );
}

#[test]
fn agent_must_claim_before_replying() {
    let mut c = escalated();
    assert_eq!(refused(&mut c, say(agent("a", Role::Owner), "r1", "hi")), ErrorCode::NotAssignee);
}

#[test]
fn hand_back_resolves_the_ticket_and_the_ai_answers_the_next_message() {
    let mut c = active("a");
    let fx = c
        .handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: false })
        .unwrap();
    assert_eq!(
        events(&fx),
        [&Event::AgentLeft { agent: aref("a") }, &Event::AiResumed { by: aref("a") }]
    );
    assert!(fx.contains(&Effect::ResolveTicket { number: 1, at: T }));
    assert_eq!(c.phase(), Phase::Bot);
    assert_eq!(c.bot_turn_pending(), None, "nothing owed until the visitor writes again");
    let fx = c.handle(T, say(Actor::Visitor, "m9", "thanks")).unwrap();
    assert!(fx.iter().any(|e| matches!(e, Effect::AskBot { .. })));
}

#[test]
fn second_cycle_opens_ticket_two() {
    let mut c = active("a");
    c.handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: false }).unwrap();
    let fx = c.handle(T, Input::Claim { by: agent("b", Role::Responder) }).unwrap();
    assert!(fx.contains(&Effect::OpenTicket {
        number: 2,
        agent: Some(aref("b")),
        at: T,
        offline: false,
        waited: None,
    }));
}

#[test]
fn only_the_holder_or_an_admin_hands_back() {
    let mut c = active("a");
    assert_eq!(
        refused(&mut c, Input::HandBack { by: agent("b", Role::Responder), ask_rating: false }),
        ErrorCode::NotAssignee
    );
    c.handle(T, Input::HandBack { by: agent("boss", Role::Admin), ask_rating: false }).unwrap();
    assert_eq!(c.phase(), Phase::Bot);
}

#[test]
fn hand_back_without_a_holder_is_refused() {
    let mut c = escalated();
    assert_eq!(
        refused(&mut c, Input::HandBack { by: agent("a", Role::Owner), ask_rating: false }),
        ErrorCode::InvalidState
    );
}

#[test]
fn reassign_moves_the_conversation_and_its_ticket() {
    let mut c = active("a");
    let fx =
        c.handle(T, Input::Reassign { by: agent("a", Role::Responder), to: aref("b") }).unwrap();
    assert_eq!(*events(&fx)[0], Event::Reassigned { from: aref("a"), to: aref("b") });
    assert!(fx.contains(&Effect::AssignTicket { number: 1, agent: aref("b") }));
    assert_eq!(c.assignee(), Some(&aref("b")));
    assert_eq!(
        refused(&mut c, Input::Reassign { by: agent("b", Role::Responder), to: aref("b") }),
        ErrorCode::InvalidState
    );
    assert_eq!(
        refused(&mut c, Input::Reassign { by: agent("a", Role::Responder), to: aref("c") }),
        ErrorCode::NotAssignee
    );
}

#[test]
fn end_closes_the_conversation_and_everything_after_is_refused() {
    let mut c = active("a");
    let fx = c.handle(T, Input::End { by: agent("a", Role::Responder), spam: false }).unwrap();
    assert!(matches!(events(&fx)[0], Event::Ended { by: EndedBy::Agent(_), spam: false }));
    assert!(fx.contains(&Effect::ResolveTicket { number: 1, at: T }));
    assert_eq!(c.phase(), Phase::Ended);
    assert_eq!(refused(&mut c, say(Actor::Visitor, "z", "hello?")), ErrorCode::ConversationEnded);
    assert_eq!(refused(&mut c, Input::RequestHuman), ErrorCode::ConversationEnded);
    assert_eq!(
        refused(&mut c, Input::Claim { by: agent("b", Role::Owner) }),
        ErrorCode::ConversationEnded
    );
    let owner = agent("o", Role::Owner);
    assert_eq!(
        refused(&mut c, Input::End { by: owner, spam: false }),
        ErrorCode::ConversationEnded
    );
}

#[test]
fn visitors_cannot_end_a_conversation() {
    let mut c = Conversation::new();
    assert_eq!(
        refused(&mut c, Input::End { by: Actor::Visitor, spam: false }),
        ErrorCode::Forbidden
    );
    let mut c = active("a");
    assert_eq!(
        refused(&mut c, Input::End { by: Actor::Visitor, spam: true }),
        ErrorCode::Forbidden
    );
    assert_eq!(c.phase(), Phase::Active);
}

#[test]
fn only_the_holder_or_a_manager_ends_a_held_conversation() {
    let mut c = active("a");
    let other = agent("b", Role::Responder);
    assert_eq!(refused(&mut c, Input::End { by: other, spam: false }), ErrorCode::NotAssignee);
    let admin = agent("m", Role::Admin);
    let fx = c.handle(T, Input::End { by: admin, spam: false }).unwrap();
    assert!(fx.contains(&Effect::ResolveTicket { number: 1, at: T }));
}

#[test]
fn any_responder_closes_an_unheld_conversation_as_spam() {
    let mut c = Conversation::new();
    let fx = c.handle(T, Input::End { by: agent("b", Role::Responder), spam: true }).unwrap();
    assert!(!fx.iter().any(|e| matches!(e, Effect::ResolveTicket { .. })));
    assert!(matches!(events(&fx)[0], Event::Ended { spam: true, .. }));
    assert_eq!(c.phase(), Phase::Ended);
}

#[test]
fn a_message_of_invisible_characters_is_empty() {
    let mut c = Conversation::new();
    let blank = say(Actor::Visitor, "z1", "\u{200B}\u{200B}\u{FEFF} \u{2060}");
    assert_eq!(refused(&mut c, blank), ErrorCode::EmptyMessage);
    let fx = c.handle(T, say(Actor::Visitor, "z2", "\u{202E}hello\u{0007}")).unwrap();
    let stored = fx.iter().find_map(|e| match e {
        Effect::Append(Item { body: ItemBody::Message(m), .. }) => Some(m.text.clone()),
        _ => None,
    });
    assert_eq!(stored.as_deref(), Some("hello"));
}

#[test]
fn repeated_request_for_a_human_is_refused() {
    let mut c = escalated();
    assert_eq!(refused(&mut c, Input::RequestHuman), ErrorCode::InvalidState);
    let mut c = active("a");
    assert_eq!(refused(&mut c, Input::RequestHuman), ErrorCode::InvalidState);
}

#[test]
fn same_client_id_is_stored_once_and_acked_again() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "dup", "hello")).unwrap();
    let fx = c.handle(T, say(Actor::Visitor, "dup", "hello")).unwrap();
    assert_eq!(fx, vec![Effect::Ack { client_id: "dup".into(), seq: 1 }]);
    assert_eq!(c.last_seq(), 1);
}

#[test]
fn client_ids_are_scoped_to_their_author() {
    let mut c = active("a");
    let seq = c.last_seq();
    c.handle(T, say(agent("a", Role::Responder), "v1", "same id as the visitor's")).unwrap();
    assert_eq!(c.last_seq(), seq + 1);
}

#[test]
fn bad_messages_are_refused() {
    let mut c = Conversation::new();
    assert_eq!(refused(&mut c, say(Actor::Visitor, "e", "   \n ")), ErrorCode::EmptyMessage);
    let long = "x".repeat(shared::protocol::limits::MAX_MESSAGE_CHARS + 1);
    assert_eq!(refused(&mut c, say(Actor::Visitor, "l", &long)), ErrorCode::MessageTooLong);
    assert_eq!(refused(&mut c, say(Actor::Visitor, "", "hi")), ErrorCode::InvalidClientId);
    assert_eq!(refused(&mut c, say(Actor::Visitor, "a b", "hi")), ErrorCode::InvalidClientId);
    assert_eq!(
        refused(&mut c, say(Actor::Visitor, &"i".repeat(65), "hi")),
        ErrorCode::InvalidClientId
    );
    assert_eq!(c.last_seq(), 0);
}

#[test]
fn bot_reply_after_takeover_is_dropped() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "m1", "hi")).unwrap();
    c.handle(T, Input::Claim { by: agent("a", Role::Responder) }).unwrap();
    let late =
        BotReply { text: Some("I can help!".into()), handover: None, tokens: None, source: None };
    let fx = c.handle(T, Input::BotReplied { turn: 1, reply: late.clone() }).unwrap();
    assert!(fx.is_empty(), "computed before the takeover: dropped");
    // Even once the AI is back, the old turn stays stale.
    c.handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: false }).unwrap();
    let fx = c.handle(T, Input::BotReplied { turn: 1, reply: late }).unwrap();
    assert!(fx.is_empty());
}

#[test]
fn bot_reply_to_an_older_turn_is_dropped() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "m1", "hi")).unwrap();
    c.handle(T, say(Actor::Visitor, "m2", "are you there")).unwrap();
    let reply = BotReply { text: Some("Hi".into()), handover: None, tokens: None, source: None };
    assert!(c.handle(T, Input::BotReplied { turn: 1, reply: reply.clone() }).unwrap().is_empty());
    assert_eq!(items(&c.handle(T, Input::BotReplied { turn: 2, reply }).unwrap()).len(), 1);
}

#[test]
fn replay_rebuilds_the_same_state() {
    let mut c = Conversation::new();
    let mut log = Vec::new();
    let inputs = [
        say(Actor::Visitor, "m1", "hi"),
        Input::BotReplied {
            turn: 1,
            reply: BotReply {
                text: Some("hey".into()),
                handover: None,
                tokens: None,
                source: None,
            },
        },
        Input::RequestHuman,
        Input::Claim { by: agent("a", Role::Responder) },
        say(agent("a", Role::Responder), "r1", "hello"),
        Input::HandBack { by: agent("a", Role::Responder), ask_rating: false },
    ];
    for input in inputs {
        for e in c.handle(T, input).unwrap() {
            if let Effect::Append(i) = e {
                log.push(i);
            }
        }
    }
    assert_eq!(Conversation::replay(&log), c);
}

#[test]
fn notes_are_stored_without_changing_the_state() {
    let mut c = escalated();
    let before = c.phase();
    let note = Input::Note {
        from: agent("a", Role::Responder),
        client_id: "n1".into(),
        text: "VIP customer".into(),
    };
    let fx = c.handle(T, note.clone()).unwrap();
    assert!(matches!(&items(&fx)[0].body, ItemBody::Note(m) if m.text == "VIP customer"));
    assert!(!items(&fx)[0].body.is_public());
    assert_eq!(c.phase(), before);
    assert_eq!(c.bot_turn_pending(), None);
    // Resent: stored once.
    assert_eq!(
        c.handle(T, note).unwrap(),
        vec![Effect::Ack { client_id: "n1".into(), seq: c.last_seq() }]
    );
}

#[test]
fn visitors_and_viewers_cannot_write_notes() {
    let mut c = escalated();
    let note = |from| Input::Note { from, client_id: "n".into(), text: "x".into() };
    assert_eq!(refused(&mut c, note(Actor::Visitor)), ErrorCode::Forbidden);
    assert_eq!(refused(&mut c, note(agent("v", Role::Viewer))), ErrorCode::Forbidden);
}

#[test]
fn an_engines_words_are_cleaned_and_held_to_a_messages_length() {
    let mut c = Conversation::new();
    c.handle(T, say(Actor::Visitor, "q", "hi")).unwrap();
    let reply = BotReply {
        text: Some(format!("\u{202E}{}", "x".repeat(10_000))),
        handover: Some(format!("urgent\u{202E}\n{}", "r".repeat(500))),
        tokens: None,
        source: None,
    };
    let fx = c.handle(T, Input::BotReplied { turn: 1, reply }).unwrap();
    let text = items(&fx)
        .iter()
        .find_map(|i| match &i.body {
            ItemBody::Message(m) => Some(m.text.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(text.chars().count(), shared::protocol::limits::MAX_MESSAGE_CHARS);
    assert!(!text.contains('\u{202E}'));
    let reason = events(&fx)
        .iter()
        .find_map(|e| match e {
            Event::Escalated { reason, .. } => reason.clone(),
            _ => None,
        })
        .unwrap();
    assert!(reason.starts_with("urgent r") && reason.chars().count() == 200, "{reason}");
}

#[test]
fn a_hand_back_may_ask_for_a_rating_which_is_given_once() {
    let mut c = active("a");
    let fx =
        c.handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: true }).unwrap();
    assert!(matches!(events(&fx)[..], [_, _, Event::RatingAsked { ticket: 1 }]));
    let rate =
        |ticket, score, comment: &str| Input::Rate { ticket, score, comment: comment.into() };
    // Out of range, another ticket, a comment too long: refused, nothing stored.
    assert_eq!(refused(&mut c, rate(1, 0, "")), ErrorCode::MalformedFrame);
    assert_eq!(refused(&mut c, rate(1, 6, "")), ErrorCode::MalformedFrame);
    assert_eq!(refused(&mut c, rate(2, 5, "")), ErrorCode::InvalidState);
    assert_eq!(refused(&mut c, rate(1, 5, &"x".repeat(1001))), ErrorCode::MessageTooLong);
    let fx = c.handle(T, rate(1, 4, "  Quick\u{202e} and kind  ")).unwrap();
    assert_eq!(
        *events(&fx)[0],
        Event::Rated { ticket: 1, score: 4, comment: "Quick and kind".into() }
    );
    assert!(fx.contains(&Effect::RateTicket {
        number: 1,
        score: 4,
        comment: "Quick and kind".into()
    }));
    // Once: a second rating of the same chat is refused, also after a replay.
    assert_eq!(refused(&mut c, rate(1, 5, "")), ErrorCode::InvalidState);
    let mut log = Vec::new();
    let mut fresh = active("a");
    for e in fresh
        .handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: true })
        .unwrap()
    {
        if let Effect::Append(i) = e {
            log.push(i);
        }
    }
    let mut replayed = Conversation::replay(&log);
    assert!(replayed.handle(T, rate(1, 5, "")).is_ok(), "asked, not yet rated: rateable");
}

#[test]
fn a_rating_request_ends_with_the_next_claim_and_survives_a_replay_once_answered() {
    let hand_back = |c: &mut Conversation| {
        c.handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: true }).unwrap()
    };
    let rate = |ticket| Input::Rate { ticket, score: 5, comment: String::new() };
    let mut c = active("a");
    let mut log: Vec<shared::protocol::Item> = Vec::new();
    let keep = |fx: Vec<Effect>, log: &mut Vec<shared::protocol::Item>| {
        log.extend(
            fx.into_iter().filter_map(|e| if let Effect::Append(i) = e { Some(i) } else { None }),
        );
    };
    keep(hand_back(&mut c), &mut log);
    // Not rated; a second cycle begins: the old request is gone.
    keep(c.handle(T, Input::Claim { by: agent("b", Role::Responder) }).unwrap(), &mut log);
    assert_eq!(refused(&mut c, rate(1)), ErrorCode::InvalidState);
    keep(
        c.handle(T, Input::HandBack { by: agent("b", Role::Responder), ask_rating: true }).unwrap(),
        &mut log,
    );
    keep(c.handle(T, rate(2)).unwrap(), &mut log);
    // Rebuilt from what was stored: rated once, so not again.
    let mut replayed = Conversation::replay(&log);
    assert_eq!(refused(&mut replayed, rate(2)), ErrorCode::InvalidState);
    assert_eq!(refused(&mut replayed, rate(1)), ErrorCode::InvalidState);
}

#[test]
fn an_ended_conversation_takes_no_rating() {
    let mut c = active("a");
    c.handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: true }).unwrap();
    c.handle(T, Input::End { by: agent("a", Role::Responder), spam: false }).unwrap();
    let rate = Input::Rate { ticket: 1, score: 5, comment: String::new() };
    assert_eq!(refused(&mut c, rate), ErrorCode::ConversationEnded);
}

#[test]
fn without_asking_there_is_nothing_to_rate() {
    let mut c = active("a");
    c.handle(T, Input::HandBack { by: agent("a", Role::Responder), ask_rating: false }).unwrap();
    let rate = Input::Rate { ticket: 1, score: 5, comment: String::new() };
    assert_eq!(refused(&mut c, rate), ErrorCode::InvalidState);
}
