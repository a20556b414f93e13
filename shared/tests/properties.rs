//! Invariants of the state machine over random input sequences.

use proptest::prelude::*;
use shared::machine::{Actor, BotReply, Conversation, Effect, Input, Rules};
use shared::protocol::{AgentRef, Author, Event, Item, ItemBody, Phase, Role};

fn actor() -> impl Strategy<Value = Actor> {
    let role = prop_oneof![
        Just(Role::Owner),
        Just(Role::Admin),
        Just(Role::Responder),
        Just(Role::Viewer)
    ];
    prop_oneof![
        1 => Just(Actor::Visitor),
        3 => (0..4u8, role).prop_map(|(i, role)| Actor::Agent {
            agent: AgentRef { id: format!("a{i}"), name: format!("Agent {i}") },
            role,
        }),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    let text = prop_oneof![Just("hi".to_owned()), Just(" ".to_owned()), "[a-z ]{1,12}"];
    prop_oneof![
        4 => (actor(), 0..6u8, text).prop_map(|(from, id, text)| Input::Message {
            from,
            client_id: format!("c{id}"),
            text,
            original: None,
        }),
        1 => (actor(), 0..6u8).prop_map(|(from, id)| Input::Note {
            from,
            client_id: format!("n{id}"),
            text: "note".to_owned(),
        }),
        2 => Just(Input::RequestHuman),
        3 => actor().prop_map(|by| Input::Claim { by }),
        2 => (actor(), any::<bool>())
            .prop_map(|(by, ask_rating)| Input::HandBack { by, ask_rating }),
        1 => (0..4u32, 0..7u8).prop_map(|(ticket, score)| Input::Rate {
            ticket,
            score,
            comment: "thanks".to_owned(),
        }),
        1 => (actor(), 0..4u8).prop_map(|(by, i)| Input::Reassign {
            by,
            to: AgentRef { id: format!("a{i}"), name: format!("Agent {i}") },
        }),
        1 => (actor(), any::<bool>()).prop_map(|(by, spam)| Input::End { by, spam }),
        1 => actor().prop_map(|by| Input::Reopen { by }),
        1 => (0..6u8, text_of_form()).prop_map(|(id, text)| Input::LeaveMessage {
            client_id: format!("c{id}"),
            text,
        }),
        2 => Just(Input::Tick),
        1 => (0..4u8, 0..40i64, 0..20i64).prop_map(|(i, offline_since, after)| {
            Input::AssigneeAway { agent_id: format!("a{i}"), offline_since, after }
        }),
        4 => (0..12u64, any::<bool>(), any::<bool>()).prop_map(|(turn, text, handover)| {
            Input::BotReplied {
                turn,
                reply: BotReply {
                    text: text.then(|| "answer".to_owned()),
                    handover: handover.then(|| "unsure".to_owned()),
                    tokens: None,
                    source: None,
                },
            }
        }),
    ]
}

fn text_of_form() -> impl Strategy<Value = String> {
    prop_oneof![Just("please call me".to_owned()), Just("".to_owned())]
}

fn rules() -> impl Strategy<Value = Rules> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>(), prop::option::of(0..10i64)),
        (any::<bool>(), prop::option::of(0..10i64)),
    )
        .prop_map(|((takeover, open, staffed, unclaimed_after), (answers, idle))| Rules {
            takeover,
            open,
            staffed,
            unclaimed_after,
            answers_while_waiting: answers,
            idle_close_after: idle,
            ..Rules::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn invariants_hold(rules in rules(), inputs in prop::collection::vec(input(), 0..40)) {
        let mut c = Conversation::new();
        c.set_rules(rules.clone());
        let mut log: Vec<Item> = Vec::new();
        let mut tickets = 0u32;
        for (step, input) in inputs.into_iter().enumerate() {
            let before = c.clone();
            let phase_before = c.phase();
            let Ok(effects) = c.handle(step as i64, input) else {
                prop_assert_eq!(&c, &before, "a refusal changed the state");
                continue;
            };
            let mut phase = phase_before;
            let appended: Vec<&Item> = effects
                .iter()
                .filter_map(|e| if let Effect::Append(i) = e { Some(i) } else { None })
                .collect();
            for item in &appended {
                // Sequence numbers are strictly increasing, without gaps.
                prop_assert_eq!(item.seq, log.last().map_or(0, |i| i.seq) + 1);
                match &item.body {
                    ItemBody::Message(m) if m.author == Author::Bot => {
                        let waiting = phase == Phase::Escalated && rules.answers_while_waiting;
                        prop_assert!(phase == Phase::Bot || waiting, "AI spoke while paused");
                    }
                    ItemBody::Event(e) => {
                        phase = match e {
                            Event::Escalated { .. } | Event::Requeued { .. } => {
                                prop_assert!(rules.takeover || phase == Phase::Active, "escalated with takeover off");
                                Phase::Escalated
                            }
                            Event::AgentJoined { .. } | Event::Reassigned { .. } => Phase::Active,
                            Event::AiResumed { .. } | Event::Unclaimed => Phase::Bot,
                            Event::Ended { .. } => Phase::Ended,
                            Event::Reopened { .. } => {
                                prop_assert_eq!(phase, Phase::Ended, "reopened what was open");
                                Phase::Bot
                            }
                            Event::AgentLeft { .. }
                            | Event::RatingAsked { .. }
                            | Event::ChannelUnsupported { .. }
                            | Event::ChannelUndelivered { .. } => phase,
                            Event::Rated { score, .. } => {
                                prop_assert!((1..=5).contains(score), "a rating out of range");
                                phase
                            }
                            Event::OutOfHours { unstaffed, .. } => {
                                prop_assert!(
                                    !rules.open || (!rules.staffed && *unstaffed),
                                    "contact form offered within hours with someone available"
                                );
                                phase
                            }
                        };
                    }
                    ItemBody::Message(_) | ItemBody::Note(_) => {}
                }
                log.push((*item).clone());
            }
            // Tickets are numbered 1, 2, 3… and only existing ones are assigned.
            for e in &effects {
                match e {
                    Effect::OpenTicket { number, .. } => {
                        prop_assert_eq!(*number, tickets + 1);
                        tickets = *number;
                    }
                    Effect::AssignTicket { number, .. }
                    | Effect::UnassignTicket { number }
                    | Effect::ResolveTicket { number, .. } => {
                        prop_assert!(*number >= 1 && *number <= tickets);
                    }
                    _ => {}
                }
            }
            // Every phase change is explained by a timeline event in the same step.
            prop_assert_eq!(phase, c.phase());
            let has = |f: fn(&Event) -> bool| appended.iter().any(|i| matches!(&i.body, ItemBody::Event(e) if f(e)));
            if phase_before != Phase::Active && c.phase() == Phase::Active {
                prop_assert!(has(|e| matches!(e, Event::AgentJoined { .. })), "takeover without its event");
            }
            if phase_before == Phase::Active && c.phase() == Phase::Bot {
                prop_assert!(has(|e| matches!(e, Event::AiResumed { .. })), "resume without its event");
            }
            // At most one assignee, and exactly while active.
            prop_assert_eq!(c.assignee().is_some(), c.phase() == Phase::Active);
            prop_assert_eq!(c.view().ticket.is_some(), c.phase() == Phase::Active);
            let answering = c.phase() == Phase::Bot
                || (c.phase() == Phase::Escalated && rules.answers_while_waiting);
            if !answering {
                prop_assert_eq!(c.bot_turn_pending(), None);
            }
        }
        let mut replayed = Conversation::replay(&log);
        replayed.set_rules(rules);
        prop_assert_eq!(replayed, c);
    }
}
