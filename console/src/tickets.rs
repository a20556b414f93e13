//! Every takeover cycle as a ticket, with the CSV export.

use leptos::prelude::*;
use shared::api::{Me, TicketStatus};

use crate::inbox::Inbox;
use crate::time;

#[component]
pub fn Tickets(inbox: Inbox, me: RwSignal<Me>, open: Callback<String>) -> impl IntoView {
    let rows = move || {
        let mut all: Vec<_> = inbox.tickets.with(|t| t.values().cloned().collect());
        all.sort_by_key(|t| std::cmp::Reverse(t.opened_at));
        all
    };
    view! {
        <main class="page" aria-labelledby="tickets-title">
            <header class="page-head">
                <h1 id="tickets-title">"Tickets"</h1>
                <a class="button" href="/api/admin/tickets.csv" download="tickets.csv">"Export CSV"</a>
            </header>
            <table>
                <thead><tr>
                    <th scope="col">"Status"</th><th scope="col">"Subject"</th><th scope="col">"Summary"</th>
                    <th scope="col">"Customer"</th><th scope="col">"Assignee"</th><th scope="col">"Rating"</th><th scope="col">"Opened"</th>
                </tr></thead>
                <tbody>
                    <For each=rows key=|t| (t.id.clone(), t.status, t.assignee.clone(), t.subject.clone(), t.rating) let:t>
                        {
                            let mine = t.assignee.as_ref().is_some_and(|a| a.id == me.get_untracked().agent.id);
                            let status = match t.status {
                                TicketStatus::Resolved => "Resolved",
                                TicketStatus::Pending if t.offline => "Pending · left offline",
                                TicketStatus::Pending => "Pending",
                                TicketStatus::Open if mine => "On you",
                                TicketStatus::Open => "Open",
                            };
                            let customer = t.customer_name.clone().or(t.customer_email.clone()).unwrap_or_else(|| shared::names::friendly(&t.conversation_id));
                            let id = t.conversation_id.clone();
                            view! {
                                <tr>
                                    <td><span class="pill">{status}</span></td>
                                    <td><button class="link" on:click=move |_| open.run(id.clone())>{t.subject.clone()}</button></td>
                                    <td>{t.summary.clone()}</td>
                                    <td>{customer}</td>
                                    <td>{t.assignee.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| "Nobody yet".into())}</td>
                                    <td>{rating(t.rating, t.rating_comment.clone())}</td>
                                    <td>{time::clock(t.opened_at)}</td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </main>
    }
}

/// A rating as stars: "★★★★☆" for 4.
pub fn stars(score: u8) -> String {
    (1..=5).map(|i| if i <= score { '★' } else { '☆' }).collect()
}

/// "★★★★☆ 4/5" with the visitor's words under it; nothing when not rated.
fn rating(score: Option<u8>, comment: Option<String>) -> impl IntoView {
    score.map(|r| {
        view! {
            <span class="stars" aria-hidden="true">{stars(r)}</span>
            " "
            <span>{format!("{r}/5")}</span>
            {comment.map(|c| view! { <p class="rating-words">{c}</p> })}
        }
    })
}
