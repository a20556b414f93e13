//! The visitor's rating of a chat, through a real worker: asked for at a hand-back, given
//! once, 1 to 5 with optional words, refused otherwise; stored on the ticket and shown in the
//! tickets list, the CSV and the transcript.

use std::time::Duration;

use integration::{Agent, Edge, Socket, Visitor, event};
use shared::api::Ticket;
use shared::protocol::{ClientFrame, ErrorCode, Event};

const TEAM: &[(&str, &str, &str)] = &[("ana@t.test", "Ana", "responder")];

/// A visitor whose chat Ana claimed: her conversation socket and the visitor.
async fn claimed(edge: &Edge, site: &str, ana: &Agent) -> (Visitor, Socket) {
    let mut visitor = Visitor::join(edge, site).await;
    visitor.say("v1", "hello").await;
    visitor.socket.send(&ClientFrame::RequestHuman).await;
    visitor.socket.until("escalated", |f| matches!(event(f), Some(Event::Escalated { .. }))).await;
    let (mut desk, _) = ana.open(&visitor.conversation_id).await;
    desk.send(&ClientFrame::Claim).await;
    visitor.socket.until("joined", |f| matches!(event(f), Some(Event::AgentJoined { .. }))).await;
    (visitor, desk)
}

fn rate(ticket: u32, score: u8, comment: &str) -> ClientFrame {
    ClientFrame::Rate { ticket, score, comment: comment.into() }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_back_asks_for_a_rating_given_once_and_kept_on_the_ticket() {
    let edge = Edge::start();
    let site = edge.site("rated", TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let (mut visitor, mut desk) = claimed(&edge, &site, &ana).await;
    desk.send(&ClientFrame::HandBack { ask_rating: true }).await;
    visitor
        .socket
        .until("the request for a rating", |f| event(f) == Some(&Event::RatingAsked { ticket: 1 }))
        .await;

    // Out of range, another ticket, from the agent: refused, nothing stored.
    visitor.socket.send(&rate(1, 9, "")).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::MalformedFrame);
    visitor.socket.send(&rate(2, 5, "")).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::InvalidState);
    desk.send(&rate(1, 1, "")).await;
    assert_eq!(desk.error().await.code, ErrorCode::Forbidden);
    visitor.socket.send_raw(r#"{"type":"rate","ticket":1,"score":-3}"#).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::MalformedFrame);

    // Words that a spreadsheet would run as a formula.
    visitor.socket.send(&rate(1, 4, "=1+1 was quick")).await;
    let rated = Event::Rated { ticket: 1, score: 4, comment: "=1+1 was quick".into() };
    desk.until("the rating, seen by the agent", |f| event(f) == Some(&rated)).await;
    visitor.socket.send(&rate(1, 5, "")).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::InvalidState, "once");

    // On the ticket, in the list and the export, as the visitor gave it.
    let mut ticket = None;
    for _ in 0..50 {
        let tickets: Vec<Ticket> = ana.get("/api/admin/tickets").await.json().await.unwrap();
        ticket = tickets.into_iter().find(|t| t.rating.is_some());
        if ticket.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ticket = ticket.expect("the rated ticket");
    assert_eq!(
        (ticket.rating, ticket.rating_comment.as_deref()),
        (Some(4), Some("=1+1 was quick"))
    );
    let csv = ana.get("/api/admin/tickets.csv").await.text().await.unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",rating,rating_comment"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().ends_with(",4,'=1+1 was quick"), "inert in a sheet: {csv}");
    let path =
        format!("/api/admin/conversations/{}/transcript?format=text", visitor.conversation_id);
    let text = ana.get(&path).await.text().await.unwrap();
    assert!(text.contains("The visitor rated the chat 4/5: =1+1 was quick"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_asking_nothing_can_be_rated() {
    let edge = Edge::start();
    let site = edge.site("unrated", TEAM);
    let ana = Agent::login(&edge, &site, "ana@t.test").await;
    let (mut visitor, mut desk) = claimed(&edge, &site, &ana).await;
    // A console of before: `hand_back` with no field.
    desk.send_raw(r#"{"type":"hand_back"}"#).await;
    visitor
        .socket
        .until("the AI back", |f| matches!(event(f), Some(Event::AiResumed { .. })))
        .await;
    visitor.socket.send(&rate(1, 5, "")).await;
    assert_eq!(visitor.socket.error().await.code, ErrorCode::InvalidState);
}
