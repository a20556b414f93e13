//! The conversation's whole record for export, as JSON or as plain text with the takeover
//! cycles marked by separators.

use std::fmt::Write;

use shared::api::{Ticket, Transcript};
use shared::protocol::{Author, EndedBy, EscalatedBy, Event, ItemBody, Millis};

fn iso(ms: Millis) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).to_iso_string())
}

fn author(a: &Author) -> String {
    match a {
        Author::Visitor => "Visitor".into(),
        Author::Bot => "AI assistant".into(),
        Author::Agent(agent) => agent.name.clone(),
    }
}

/// A message's later lines, indented: text a visitor wrote can never begin a line of its own
/// and pass for another entry of the transcript.
fn indented(text: &str) -> String {
    text.replace('\n', "\n    ")
}

pub fn text(t: &Transcript) -> String {
    let mut out = String::new();
    let v = &t.visitor;
    let _ = writeln!(out, "Conversation {} on site {}", t.conversation_id, t.site_key);
    let _ = writeln!(out, "Started: {}", iso(t.created_at));
    let who = [v.name.clone(), v.email.as_ref().map(|e| format!("<{e}>"))];
    let who: Vec<String> = who.into_iter().flatten().collect();
    // Whatever the visitor or the host page said: nothing vouches for it yet.
    let who =
        if who.is_empty() { "unknown".into() } else { format!("{} (unverified)", who.join(" ")) };
    let _ = writeln!(out, "Visitor: {who}");
    if let Some(lang) = &v.language {
        let _ = writeln!(out, "Language: {lang}");
    }
    if let Some(page) = &t.page_url {
        let _ = writeln!(out, "Page: {page}");
    }
    for ticket in &t.tickets {
        let _ = writeln!(out, "{}", ticket_line(ticket));
    }
    out.push('\n');
    for item in &t.items {
        let at = iso(item.at);
        let line = match &item.body {
            ItemBody::Message(m) => {
                let said = format!("[{at}] {}: {}", author(&m.author), indented(&m.text));
                match &m.original {
                    Some(o) => format!("{said}\n    (translated; written as: {})", indented(o)),
                    None => said,
                }
            }
            ItemBody::Note(m) => {
                format!("[{at}] Internal note by {}: {}", author(&m.author), indented(&m.text))
            }
            ItemBody::Event(e) => match e {
                Event::Escalated { by, reason, offline, .. } => {
                    let by = match (by, offline) {
                        (_, true) => "the visitor left a message through the contact form",
                        (EscalatedBy::Visitor, _) => "the visitor asked for a person",
                        (EscalatedBy::Bot, _) => "the AI handed over",
                    };
                    let reason = reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
                    format!("[{at}] Escalated: {by}{reason}")
                }
                Event::AgentJoined { agent, ticket } => format!(
                    "──────── Live chat · ticket {ticket} ────────\n[{at}] {} joined the conversation",
                    agent.name
                ),
                Event::RatingAsked { .. } => {
                    format!("[{at}] The visitor was asked to rate the chat")
                }
                Event::Rated { score, comment, .. } => {
                    let words = if comment.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", indented(comment))
                    };
                    format!("[{at}] The visitor rated the chat {score}/5{words}")
                }
                Event::OutOfHours { unstaffed: true, .. } => {
                    format!(
                        "[{at}] A person was asked for, nobody was available: contact form offered"
                    )
                }
                Event::OutOfHours { .. } => {
                    format!("[{at}] A person was asked for out of hours: contact form offered")
                }
                Event::Unclaimed => {
                    "──────── AI resumed · nobody claimed in time ────────".to_owned()
                }
                Event::Requeued { agent } => {
                    format!("[{at}] {} went offline: back to Pending", agent.name)
                }
                Event::AgentLeft { agent } => {
                    format!("[{at}] {} left the conversation", agent.name)
                }
                Event::AiResumed { by } => {
                    format!("──────── AI resumed · by {} ────────", by.name)
                }
                Event::Reassigned { from, to } => {
                    format!("[{at}] Reassigned from {} to {}", from.name, to.name)
                }
                Event::Ended { by, spam } => {
                    let spam = if *spam { " as spam" } else { "" };
                    match by {
                        EndedBy::Visitor => {
                            format!("[{at}] Conversation closed{spam} by the visitor")
                        }
                        EndedBy::Agent(a) => {
                            format!("[{at}] Conversation closed{spam} by {}", a.name)
                        }
                        EndedBy::Idle => format!("[{at}] Conversation closed after a quiet while"),
                    }
                }
                Event::Reopened { by: Some(a) } => {
                    format!("[{at}] Conversation reopened by {}", a.name)
                }
                Event::Reopened { by: None } => {
                    format!("[{at}] Conversation reopened: the visitor wrote again")
                }
                Event::ChannelUnsupported { what, .. } => {
                    format!("[{at}] The visitor sent {what}, which the chat cannot show")
                }
                Event::ChannelUndelivered { error, .. } => {
                    format!("[{at}] Not delivered to the visitor's channel: {error}")
                }
            },
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

fn ticket_line(t: &Ticket) -> String {
    let status = t.status.as_str();
    let who = t.assignee.as_ref().map_or("unassigned", |a| a.name.as_str());
    let offline = if t.offline { ", left through the contact form" } else { "" };
    let rating = t.rating.map(|r| format!(", rated {r}/5")).unwrap_or_default();
    format!("Ticket {} ({status}, {who}{offline}{rating}): {}", t.number, t.subject)
}
