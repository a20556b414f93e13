//! The chat panel: header, timeline, takeover banners and the composer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::WidgetConfig;
use shared::protocol::{Author, Event, Item, ItemBody, Phase};

use crate::api;
use crate::conn::{Chat, Conn, Status};
use crate::text;

const STYLE: &str = include_str!("style.css");

#[component]
pub fn App(site_key: String, base: String, open: RwSignal<bool>) -> impl IntoView {
    let chat = Chat::new();
    let config = RwSignal::new(None::<WidgetConfig>);
    let conn = StoredValue::new_local(None::<Conn>);
    let failed = RwSignal::new(false);

    // Start or resume the conversation as soon as the panel exists.
    {
        let (site_key, base) = (site_key.clone(), base.clone());
        spawn_local(async move {
            match api::config(&base, &site_key).await {
                Ok(c) => config.set(Some(c)),
                Err(_) => {
                    failed.set(true);
                    return;
                }
            }
            let saved = match api::saved(&site_key) {
                Some(s) => Ok(s),
                None => api::start(&base, &site_key).await,
            };
            match saved {
                Ok(saved) => conn.set_value(Some(Conn::open(&base, &saved, chat))),
                Err(_) => failed.set(true),
            }
        });
    }
    let with_conn = move |f: &dyn Fn(&Conn)| conn.with_value(|c| c.as_ref().map(f));
    let send = move |text: String| {
        let pending = chat.queue(text);
        with_conn(&|c| c.send(&pending));
    };
    let ask_human = move |_| {
        with_conn(&|c| c.request_human());
    };

    let phase = move || chat.state.with(|s| s.as_ref().map(|s| s.phase));
    let visitor_messages = move || {
        chat.items.with(|items| {
            items
                .iter()
                .filter(|i| matches!(&i.body, ItemBody::Message(m) if m.author == Author::Visitor))
                .count()
        }) + chat.outbox.with(Vec::len)
    };
    let show_human_button = move || {
        let threshold = config.with(|c| c.as_ref().map_or(0, |c| c.human_button_after as usize));
        phase() == Some(Phase::Bot) && visitor_messages() >= threshold
    };
    // From escalation (or a takeover) until the agent's first message, the visitor waits.
    let agent_spoke = move || {
        chat.items.with(|items| {
            for item in items.iter().rev() {
                match &item.body {
                    ItemBody::Message(m) if matches!(m.author, Author::Agent(_)) => return true,
                    ItemBody::Event(Event::AgentJoined { .. } | Event::Escalated { .. }) => {
                        return false;
                    }
                    _ => {}
                }
            }
            false
        })
    };
    let waiting = move || match phase() {
        Some(Phase::Escalated) => true,
        Some(Phase::Active) => !agent_spoke(),
        _ => false,
    };
    let with_human = move || phase() == Some(Phase::Active) && agent_spoke();
    let title = move || config.with(|c| c.as_ref().map(|c| c.title.clone()).unwrap_or_default());
    let color = move || {
        config.with(|c| {
            c.as_ref()
                .map(|c| c.color.clone())
                .unwrap_or_else(|| "#0f766e".into())
        })
    };

    view! {
        <style>{STYLE}</style>
        <div class="panel" role="dialog" aria-label=title hidden=move || !open.get()
            style=move || format!("--accent: {}", color())>
            <header>
                <h2>{title}</h2>
                <button class="close" aria-label=text::CLOSE on:click=move |_| open.set(false)>"×"</button>
            </header>
            <Show when=move || chat.status.get() == Status::Reconnecting>
                <div class="status" role="status">{text::RECONNECTING}</div>
            </Show>
            <Show when=move || failed.get()>
                <div class="status" role="alert">{text::CANNOT_START}</div>
            </Show>
            <ol class="timeline" aria-live="polite" data-testid="timeline">
                <For each=move || chat.items.get() key=|i| i.seq let:item>
                    <TimelineItem item/>
                </For>
                <For each=move || chat.outbox.get() key=|p| p.client_id.clone() let:p>
                    <li class="bubble visitor pending">{p.text}</li>
                </For>
            </ol>
            <Show when=move || chat.bot_typing.get()>
                <div class="typing" role="status">{text::THINKING}</div>
            </Show>
            <Show when=move || chat.agent_typing.get().is_some()>
                <div class="typing" role="status">{move || text::typing(&chat.agent_typing.get().unwrap_or_default())}</div>
            </Show>
            <Show when=waiting>
                <div class="waiting" role="status"><span class="spinner" aria-hidden="true"></span>{text::WAITING}</div>
            </Show>
            <Show when=with_human>
                <div class="banner" role="status">{text::WITH_HUMAN}</div>
            </Show>
            <Show when=move || chat.notice.get().is_some()>
                <div class="notice" role="alert">{move || chat.notice.get().unwrap_or_default()}</div>
            </Show>
            <Show when=show_human_button>
                <button class="human" on:click=ask_human>{text::TALK_TO_HUMAN}</button>
            </Show>
            <Composer send disabled=Signal::derive(move || phase() == Some(Phase::Ended)) />
        </div>
    }
}

#[component]
fn Composer(send: impl Fn(String) + Copy + 'static, disabled: Signal<bool>) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let submit = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            send(text.trim().to_owned());
            draft.set(String::new());
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <textarea rows="1" aria-label=text::PLACEHOLDER placeholder=text::PLACEHOLDER
                prop:value=move || draft.get() disabled=move || disabled.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        submit();
                    }
                }></textarea>
            <button type="submit" disabled=move || disabled.get()>{text::SEND}</button>
        </form>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

#[component]
fn TimelineItem(item: Item) -> impl IntoView {
    match item.body {
        ItemBody::Message(m) => match m.author {
            Author::Visitor => view! { <li class="bubble visitor">{m.text}</li> }.into_any(),
            Author::Bot => view! {
                <li class="bubble bot"><span class="who">{text::ASSISTANT}</span>{m.text}</li>
            }
            .into_any(),
            Author::Agent(a) => view! {
                <li class="bubble agent">
                    <span class="avatar" aria-hidden="true">{initials(&a.name)}</span>
                    <span class="who">{a.name.clone()}</span>{m.text}
                </li>
            }
            .into_any(),
        },
        ItemBody::Event(e) => {
            let line = match e {
                Event::Escalated {
                    by: shared::protocol::EscalatedBy::Visitor,
                    ..
                } => text::YOU_ASKED.to_owned(),
                Event::Escalated { .. } => text::HANDED_OVER.to_owned(),
                Event::AgentJoined { agent, .. } => text::joined(&agent.name),
                Event::Reassigned { to, .. } => text::joined(&to.name),
                Event::AgentLeft { agent } => text::left(&agent.name),
                Event::AiResumed { .. } => text::AI_RESUMED.to_owned(),
                Event::Ended { .. } => text::ENDED.to_owned(),
            };
            view! { <li class="event">{line}</li> }.into_any()
        }
    }
}
