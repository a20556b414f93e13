//! One conversation as an agent works it: visitor details, the whole timeline with its
//! takeover separators, and the actions the agent's role allows.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Me, Member, MemberChange};
use shared::protocol::{
    AgentRef, Author, ClientFrame, Credential, EndedBy, ErrorCode, EscalatedBy, Event, Hello, Item,
    ItemBody, PROTOCOL_VERSION, Phase, ServerFrame, StateView, VisitorProfile,
};

use crate::api;
use crate::time;
use shared::llm::Assist;
use takeover_client::{Handlers, Link};

const ENTER_SENDS: &str = "takeover:enter-sends";
const TYPING_IDLE_MS: f64 = 3000.0;

fn client_id() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("c{}", (js_sys::Math::random() * 1e16) as u64))
}

/// "Chrome on Linux" from a user agent, good enough for a header.
fn browser(ua: &str) -> String {
    let name = ["Edg/", "OPR/", "Firefox/", "Chrome/", "Safari/"]
        .iter()
        .find(|k| ua.contains(*k))
        .map(|k| match *k {
            "Edg/" => "Edge",
            "OPR/" => "Opera",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            _ => "Safari",
        })
        .unwrap_or("Unknown browser");
    let os = ["Windows", "Android", "iPhone", "iPad", "Mac OS", "Linux"]
        .iter()
        .find(|k| ua.contains(*k))
        .map(|k| if *k == "Mac OS" { "macOS" } else { k })
        .unwrap_or("unknown OS");
    format!("{name} on {os}")
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Reply,
    Note,
}

#[component]
pub fn ConversationView(
    id: String,
    me: RwSignal<Me>,
    team: RwSignal<Vec<Member>>,
    /// Whether the visitor is on the site now, as the inbox knows it.
    visitor_online: Signal<Option<bool>>,
    /// Back to the list, where the two are not side by side (a phone).
    #[prop(optional)]
    back: Option<Callback<()>>,
) -> impl IntoView {
    let items = RwSignal::new(Vec::<Item>::new());
    let state = RwSignal::new(None::<StateView>);
    let visitor = RwSignal::new(VisitorProfile::default());
    let page = RwSignal::new(None::<(Option<String>, Option<String>)>);
    let channel = RwSignal::new(None::<shared::channel::ChannelPeer>);
    // The platform's reply window (WhatsApp), and the clock that closes it while open.
    let window = RwSignal::new(None::<i64>);
    let tick = RwSignal::new(time::now());
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if window.get_untracked().is_some() {
                tick.set(time::now());
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || timer.clear());
    }
    let closed = Signal::derive(move || {
        let window = window.get()?;
        let kind = channel.with(|c| c.as_ref().map(|p| p.kind.label()))?;
        // The window runs from the last item the visitor's own message made, as the server
        // counts it: their words, what the chat cannot show, their asking for a person.
        let last_in = items.with(|all| {
            all.iter().rev().find_map(|i| match &i.body {
                ItemBody::Message(m) if m.author == Author::Visitor => Some(i.at),
                ItemBody::Event(
                    Event::ChannelUnsupported { .. }
                    | Event::Escalated { by: EscalatedBy::Visitor, .. }
                    | Event::OutOfHours { .. },
                ) => Some(i.at),
                _ => None,
            })
        })?;
        let closes = last_in + window;
        (closes <= tick.get()).then(|| {
            format!(
                "{kind}'s reply window closed at {}: you can reply when the customer writes again. Internal notes still work.",
                time::clock(closes)
            )
        })
    });
    // Whether a reply the visitor misses by having left is mailed to them.
    let mailed = RwSignal::new(None::<u32>);
    let claimed_by = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // The server has no such conversation (its storage was reset, or a wrong link): said once,
    // not asked for again.
    let gone = RwSignal::new(false);
    let ask_name = RwSignal::new(false);
    let claim_on_welcome = StoredValue::new(false);
    // The reply or note sent and not yet acknowledged (the link resends it after a reconnect
    // or a late ack, under the same id, stored once): its draft stays until the ack.
    let outgoing = RwSignal::new(None::<String>);
    let delivered = RwSignal::new(None::<String>);
    // The visitor typing, with their draft so far when the widget sends it, and when that
    // was last heard: a visitor who closed the page mid-word stops "typing" after a while.
    let visitor_typing = RwSignal::new(None::<String>);
    let typing_heard = StoredValue::new(0.0f64);

    // Items arrive in order (a welcome's backlog, its further pages, then live ones); one
    // already shown is not shown again.
    let add = move |more: Vec<Item>| {
        items.update(|all| {
            for item in more {
                if all.last().is_none_or(|l| item.seq > l.seq) {
                    all.push(item);
                }
            }
        })
    };
    // One of ours is stored, told by its ack or by its item (`Hello::item_acks`): the link
    // stops resending it, and its draft may go.
    let stored = move |link: &Link, client_id: &str| {
        link.acked(client_id);
        if outgoing.get_untracked().as_deref() == Some(client_id) {
            outgoing.set(None);
            delivered.set(Some(client_id.to_owned()));
        }
    };
    // A teammate's message or note names its sender's id: one of those may be ours.
    let add_seen = move |link: &Link, more: Vec<Item>| {
        for item in &more {
            if let ItemBody::Message(m) | ItemBody::Note(m) = &item.body
                && matches!(m.author, Author::Agent(_))
                && let Some(id) = &m.client_id
            {
                stored(link, id);
            }
        }
        add(more);
    };
    let on_text = move |link: &Link, text: String| {
        let Some(frame) = takeover_client::json::server_frame(&text) else { return };
        match frame {
            ServerFrame::Welcome(w) => {
                link.welcomed();
                // What is stored already is not sent again.
                add_seen(link, w.backlog);
                link.resend();
                if let Some(visit) = w.visit {
                    mailed.set(visit.replies_mailed.then_some(visit.mailed_after_secs));
                    page.set(Some((visit.page_url, visit.user_agent)));
                    channel.set(visit.channel);
                    window.set(visit.reply_window_ms);
                }
                state.set(Some(w.state));
                visitor.set(w.visitor);
            }
            ServerFrame::Item(item) => {
                let from_visitor =
                    matches!(&item.body, ItemBody::Message(m) if m.author == Author::Visitor);
                if from_visitor {
                    visitor_typing.set(None);
                }
                add_seen(link, vec![item]);
            }
            ServerFrame::Backlog { items } => add_seen(link, items),
            ServerFrame::Typing { author: Author::Visitor, on, text } => {
                visitor_typing.set(on.then(|| text.unwrap_or_default()));
                typing_heard.set_value(js_sys::Date::now());
                if on {
                    set_timeout(
                        move || {
                            // Nothing once the agent has left this conversation: its values
                            // are gone with its view (reading one would panic).
                            let heard = typing_heard.try_get_value();
                            if heard.is_some_and(|at| js_sys::Date::now() - at >= TYPING_STALE_MS) {
                                visitor_typing.set(None);
                            }
                        },
                        std::time::Duration::from_millis(TYPING_STALE_MS as u64),
                    );
                }
            }
            ServerFrame::Pong => {}
            ServerFrame::State(s) => {
                if s.phase != Phase::Active {
                    claimed_by.set(None);
                }
                state.set(Some(s));
            }
            ServerFrame::Visitor(v) => visitor.set(v),
            ServerFrame::Error(e) => {
                let ours = e.client_id.is_some() && outgoing.get_untracked() == e.client_id;
                if ours && !e.retryable {
                    // Never stored: the draft stays for the agent to change and send again.
                    link.give_up(e.client_id.as_deref().unwrap_or_default());
                    outgoing.set(None);
                }
                if e.code == ErrorCode::UnknownConversation {
                    // Gone while open too (the deployment's storage was reset): nothing of it
                    // stays on screen to act on.
                    gone.set(true);
                    state.set(None);
                    items.set(Vec::new());
                    claimed_by.set(None);
                }
                if e.code == ErrorCode::AlreadyClaimed {
                    claimed_by.set(e.agent.map(|a| a.name));
                } else if !(ours && e.retryable) {
                    error.set(Some(e.message));
                }
            }
            ServerFrame::Ack { client_id, .. } => stored(link, &client_id),
            ServerFrame::Typing { .. } | ServerFrame::BotDraft { .. } | ServerFrame::Config(_) => {}
        }
    };
    let on_open = move |link: &Link| {
        let last_seq = items.with_untracked(|all| all.last().map_or(0, |i| i.seq));
        link.send(&ClientFrame::Hello(Hello {
            version: PROTOCOL_VERSION,
            credential: Credential::Agent,
            last_seq,
            identity: None,
            beats: true,
            item_acks: true,
        }));
        if claim_on_welcome.get_value() {
            claim_on_welcome.set_value(false);
            link.send(&ClientFrame::Claim);
        }
    };
    let handlers = Handlers {
        open: Box::new(on_open),
        text: Box::new(on_text),
        down: Box::new(|code| code != 4004),
    };
    let link =
        Link::open(crate::app::ws_url(&format!("/api/admin/conversations/{id}/ws")), handlers);
    // Heard every half minute, whatever passes (a ping, answered without waking the
    // conversation): a socket that stops is one whose machine slept, and the conversation
    // stops counting its holder as there (see the edge's `has_open`).
    link.keep_saying(shared::protocol::PING);
    let link = StoredValue::new_local(link);
    on_cleanup(move || link.with_value(Link::stop));
    let send = move |frame: ClientFrame| {
        error.set(None);
        if !link.with_value(|l| l.send(&frame)) {
            error.set(Some("Not connected; trying again in a moment.".into()));
        }
    };
    let send_message = move |client_id: String, frame: ClientFrame| {
        error.set(None);
        outgoing.set(Some(client_id.clone()));
        link.with_value(|l| l.send_tracked(&client_id, &frame));
    };

    let can_act = move || me.with(|m| m.role.can_respond());
    let manage = Signal::derive(move || me.with(|m| m.role.can_manage()));
    let phase = move || state.with(|s| s.as_ref().map(|s| s.phase));
    let mine = move || {
        state.with(|s| {
            s.as_ref()
                .and_then(|s| s.assignee.as_ref())
                .is_some_and(|a| a.id == me.with(|m| m.agent.id.clone()))
        })
    };
    // Closing for good: the holder or a manager while someone holds it, anyone who can act
    // otherwise (the server checks the same).
    let can_close = move || {
        can_act()
            && match phase() {
                Some(Phase::Bot | Phase::Escalated) => true,
                Some(Phase::Active) => mine() || me.with(|m| m.role.can_manage()),
                _ => false,
            }
    };
    let claim = move |_| {
        if me.with_untracked(|m| m.agent.name.trim().is_empty()) {
            ask_name.set(true);
        } else {
            send(ClientFrame::Claim);
        }
    };
    // With a new display name the socket must reconnect (its identity is fixed at the upgrade),
    // then claims at once.
    let save_name = Callback::new(move |name: String| {
        spawn_local(async move {
            let change = MemberChange { name: Some(name.clone()), ..Default::default() };
            match api::change_me(&me.get_untracked().csrf, &change).await {
                Ok(_) => {
                    me.update(|m| m.agent.name = name);
                    ask_name.set(false);
                    claim_on_welcome.set_value(true);
                    // The agent may have left the conversation meanwhile (Back): its link
                    // went with its view.
                    link.try_with_value(Link::reconnect);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });

    let friendly = shared::names::friendly(&id);
    // The visitor's bubbles carry the name the header shows.
    let visitor_label = {
        let friendly = friendly.clone();
        Signal::derive(move || {
            visitor
                .with(|v| v.name.clone())
                .or_else(|| channel.with(|c| c.as_ref().and_then(|p| p.name.clone())))
                .unwrap_or_else(|| friendly.clone())
        })
    };
    let title = move || {
        if gone.get() {
            return view! { <h2>"No such conversation"</h2> }.into_any();
        }
        let v = visitor.get();
        let named = v.name.is_some();
        let verified = v.verified();
        let peer = channel.get();
        let who = v
            .name
            .or_else(|| peer.as_ref().and_then(|p| p.name.clone()))
            .unwrap_or_else(|| friendly.clone());
        let badge = peer.map(|p| view! { " " <span class="channel-badge">{p.kind.label()}</span> });
        view! { <h2>{who}{trust(named, verified)}{badge}</h2> }.into_any()
    };
    let details = move || {
        let v = visitor.get();
        let (url, ua) = page.get().unwrap_or_default();
        view! {
            <dl class="details">
                <dt>"Channel"</dt><dd>{match channel.get() {
                    Some(p) => {
                        let profile = [p.handle.clone(), p.name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                        format!("{} · {}", p.kind.label(), if profile.is_empty() { p.address.clone() } else { profile })
                    }
                    None => "Website".to_owned(),
                }}</dd>
                <dt>"Email"</dt><dd>{match v.email.clone() {
                    Some(e) => view! { {e}{trust(true, v.verified())} }.into_any(),
                    None => "—".into_any(),
                }}</dd>
                {v.user_id.clone().map(|id| view! { <dt>"User ID"</dt><dd>{id}{trust(true, true)}</dd> })}
                <dt>"Page"</dt><dd class="url">{url.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Browser"</dt><dd>{ua.map(|u| browser(&u)).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Language"</dt><dd>{v.language.unwrap_or_else(|| "—".into())}</dd>
            </dl>
        }
    };
    // Keep the newest item in view as the conversation grows.
    let scroller = NodeRef::<leptos::html::Section>::new();
    // On a phone the list that held focus is gone: focus moves to the way back. (Hidden
    // beside the list, the button has no layout box and is left alone.)
    let back_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(el) = back_button.get().filter(|el| el.offset_parent().is_some()) {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        let _ = items.with(Vec::len);
        if let Some(el) = scroller.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    // A visitor writing another language than the teammate's can be read in theirs.
    let ai_help = AiHelp::learnt();
    let foreign = Signal::derive(move || {
        let theirs = visitor.with(|v| v.language.clone());
        ai_help.get() == Some(true)
            && can_act()
            && theirs.is_some_and(|l| !crate::translation::is_mine(&l))
    });
    let csrf = Signal::derive(move || me.with(|m| m.csrf.clone()));
    let tr = crate::translation::Translations::follow(id.clone(), items, csrf, foreign);
    let transcript_json = format!("/api/admin/conversations/{id}/transcript");
    let transcript_text = format!("/api/admin/conversations/{id}/transcript?format=text");

    view! {
        <section class="conversation" aria-label="Conversation" node_ref=scroller>
            <header class="conv-head">
                {back.map(|back| view! {
                    <button class="back" node_ref=back_button on:click=move |_| back.run(())>"← Inbox"</button>
                })}
                {title}
                <div class="actions">
                    <Show when=move || !gone.get()>
                        <span class="pill">{move || phase().map(|p| p.as_str()).unwrap_or("…")}</span>
                    </Show>
                    <Show when=move || can_act() && claimed_by.get().is_none() && phase() == Some(Phase::Escalated)>
                        <button class="primary" data-key="claim" aria-keyshortcuts="c" on:click=claim>"Claim"</button>
                    </Show>
                    <Show when=move || can_act() && claimed_by.get().is_none() && phase() == Some(Phase::Bot)>
                        <button class="primary" data-key="claim" aria-keyshortcuts="c" on:click=claim>"Take over"</button>
                    </Show>
                    <Show when=move || can_act() && mine()>
                        <Reassign team me send=Callback::new(move |agent_id| send(ClientFrame::Reassign { agent_id }))/>
                        <HandBack delivered
                            say=Callback::new(move |(id, frame)| send_message(id, frame))
                            hand_back=Callback::new(move |ask_rating| send(ClientFrame::HandBack { ask_rating }))/>
                    </Show>
                    <Show when=can_close>
                        <CloseMenu send=Callback::new(move |spam| send(ClientFrame::End { spam }))/>
                    </Show>
                    <Show when=move || can_act() && phase() == Some(Phase::Ended)>
                        <button on:click=move |_| send(ClientFrame::Reopen)>"Reopen"</button>
                    </Show>
                    <Show when=move || !gone.get()>
                        <a href=transcript_json.clone() download="transcript.json">"JSON"</a>
                        <a href=transcript_text.clone() download="transcript.txt">"Text"</a>
                    </Show>
                </div>
            </header>
            {move || (!gone.get()).then(details)}
            {move || foreign.get().then(|| visitor.with(|v| v.language.clone())).flatten().map(|language| view! {
                <crate::translation::Toggle tr language/>
            })}
            <Show when=move || claimed_by.get().is_some()>
                <p class="claimed" role="alert">{move || format!("Already claimed by {}", claimed_by.get().unwrap_or_default())}</p>
            </Show>
            <p class="error" role="alert">{move || error.get()}</p>
            <ol class="timeline" aria-live="polite">
                <For each=move || with_asked(&items.get()) key=|(i, _)| i.seq let:line>
                    <Line translation=tr.of(line.0.seq) item=line.0 asked=line.1 manage visitor=visitor_label/>
                </For>
            </ol>
            {move || visitor_typing.get().map(|draft| {
                let who = visitor_label.get();
                view! {
                    <p class="visitor-typing">
                        <span class="who">{format!("{who} is typing")}</span>
                        {(!draft.is_empty()).then(|| view! { <span class="peek">{format!("“{draft}”")}</span> })}
                    </p>
                }
            })}
            <Show when=move || can_act() && claimed_by.get().is_none() && phase() != Some(Phase::Ended) && !gone.get()>
                <Composer send send_message outgoing delivered mine=Signal::derive(mine) conversation=id.clone() closed csrf ai_help>
                    <crate::reach::Reach online=visitor_online visitor name=visitor_label mailed=mailed.into() channel=channel.into()/>
                </Composer>
            </Show>
            <Show when=move || ask_name.get()>
                <NameModal save=save_name cancel=Callback::new(move |()| ask_name.set(false))/>
            </Show>
        </section>
    }
}

/// A visitor's typing not heard of for this long has stopped (a closed page says nothing).
const TYPING_STALE_MS: f64 = 8_000.0;

/// "Hand back to AI", then optional closing words to the visitor, sent (and stored) before
/// the conversation goes back to the AI, so they are the person's last words.
#[component]
fn HandBack(
    delivered: RwSignal<Option<String>>,
    say: Callback<(String, ClientFrame)>,
    /// With whether to ask the visitor for a rating.
    hand_back: Callback<bool>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let words = RwSignal::new(String::new());
    let ask_rating = RwSignal::new(true);
    let awaiting = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let Some(id) = delivered.get() else { return };
        if awaiting.get_value().as_deref() == Some(id.as_str()) {
            awaiting.set_value(None);
            asking.set(false);
            words.set(String::new());
            hand_back.run(ask_rating.get_untracked());
        }
    });
    // The closing words are what the agent types next.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if asking.get() {
            request_animation_frame(move || {
                if let Some(el) = input.get_untracked() {
                    let _ = el.focus();
                }
            });
        }
    });
    let confirm = move || {
        let text = words.get_untracked().trim().to_owned();
        if text.is_empty() {
            asking.set(false);
            hand_back.run(ask_rating.get_untracked());
        } else if awaiting.get_value().is_none() {
            let id = client_id();
            awaiting.set_value(Some(id.clone()));
            say.run((id.clone(), ClientFrame::Send { client_id: id, text, original: None }));
        }
    };
    view! {
        <Show when=move || asking.get() fallback=move || view! {
            <button data-key="hand-back" aria-keyshortcuts="h" on:click=move |_| asking.set(true)>"Hand back to AI"</button>
        }>
            <form class="confirm hand-back" aria-label="Hand back to the AI"
                on:submit=move |e| { e.prevent_default(); confirm() }>
                <label>"Closing words to the visitor (optional)"
                    <input node_ref=input maxlength="4000" placeholder="e.g. Glad I could help! The assistant is here if you need anything else."
                        prop:value=move || words.get() on:input=move |e| words.set(event_target_value(&e))/>
                </label>
                <label class="check"><input type="checkbox" prop:checked=move || ask_rating.get()
                    on:change=move |e| ask_rating.set(event_target_checked(&e))/>
                    "Ask the visitor to rate this chat"</label>
                <button type="submit" class="primary">"Hand back"</button>
                <button type="button" on:click=move |_| asking.set(false)>"Cancel"</button>
            </form>
        </Show>
    }
}

/// "Close…", then a choice: close the conversation, or close it as spam (hidden from the
/// inbox). Two steps, so a stray click closes nothing.
#[component]
fn CloseMenu(send: Callback<bool>) -> impl IntoView {
    let asking = RwSignal::new(false);
    view! {
        <Show when=move || asking.get() fallback=move || view! {
            <button on:click=move |_| asking.set(true)>"Close…"</button>
        }>
            <span class="confirm" role="group" aria-label="Close this conversation">
                <button class="danger" on:click=move |_| { asking.set(false); send.run(false) }>"Close conversation"</button>
                <button class="danger" on:click=move |_| { asking.set(false); send.run(true) }>"Close as spam"</button>
                <button on:click=move |_| asking.set(false)>"Cancel"</button>
            </span>
        </Show>
    }
}

#[component]
fn Reassign(
    team: RwSignal<Vec<Member>>,
    me: RwSignal<Me>,
    send: Callback<String>,
) -> impl IntoView {
    let others = move || {
        let my_id = me.with(|m| m.agent.id.clone());
        team.with(|t| {
            t.iter()
                .filter(|m| m.role.can_respond() && m.id != my_id && !m.name.is_empty())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <select aria-label="Reassign to" on:change=move |e| {
            let id = event_target_value(&e);
            if !id.is_empty() { send.run(id) }
        }>
            <option value="" selected>"Reassign to…"</option>
            <For each=others key=|m| m.id.clone() let:m>
                <option value=m.id.clone()>{m.name.clone()}</option>
            </For>
        </select>
    }
}

/// Whether the site has a model for AI help, learnt by the first conversation opened and kept
/// for the others; the settings page forgets it (the engine may change there).
#[derive(Clone, Copy)]
pub struct AiHelp(pub RwSignal<Option<bool>>);

impl AiHelp {
    /// Whether AI help is there, asked of the server the first time.
    fn learnt() -> RwSignal<Option<bool>> {
        let known = use_context::<AiHelp>().map(|h| h.0).unwrap_or_else(|| RwSignal::new(None));
        if known.get_untracked().is_none() {
            spawn_local(async move {
                if let Ok(s) = api::settings().await {
                    let _ = known.try_set(Some(matches!(s.engine, shared::api::Engine::Llm(_))));
                }
            });
        }
        known
    }
}

#[component]
fn Composer(
    send: impl Fn(ClientFrame) + Copy + 'static,
    send_message: impl Fn(String, ClientFrame) + Copy + 'static,
    outgoing: RwSignal<Option<String>>,
    delivered: RwSignal<Option<String>>,
    mine: Signal<bool>,
    /// For drafts from the site's model.
    conversation: String,
    csrf: Signal<String>,
    /// Whether the site has a model to ask (see [`AiHelp`]).
    ai_help: RwSignal<Option<bool>>,
    /// Why no reply can reach the visitor now (their platform's window closed).
    closed: Signal<Option<String>>,
    /// Shown at the top of the box (where the reply will reach the visitor).
    children: Children,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    // The teammate's own words while the draft is their translation for the visitor: sent
    // along, kept in the team's transcript.
    let original = RwSignal::new(None::<String>);
    // The model's translation those words became: edited, the draft keeps them; replaced, not.
    let translated = StoredValue::new(None::<String>);
    // The draft (and its words) before the model's, for Undo; asking, and what went wrong.
    let before = RwSignal::new(None::<(String, Option<String>)>);
    let asking = RwSignal::new(false);
    let assist_error = RwSignal::new(None::<String>);
    // Each edit of the draft (typing, sending, a draft arriving) counts: an answer lands only
    // on the draft it was asked about.
    let edits = StoredValue::new(0u64);
    let conversation = StoredValue::new(conversation);
    let ask_ai = move |action: Assist| {
        let text = draft.get_untracked();
        let asked_at = edits.get_value();
        asking.set(true);
        assist_error.set(None);
        spawn_local(async move {
            let ask = shared::api::AssistRequest {
                action,
                text: text.clone(),
                seq: None,
                language: None,
            };
            let id = conversation.get_value();
            let answer = api::assist(&csrf.get_untracked(), &id, &ask).await;
            let _ = asking.try_set(false);
            match answer {
                Ok(reply) if edits.try_get_value() == Some(asked_at) => {
                    edits.set_value(asked_at + 1);
                    let words = original.get_untracked();
                    before.set(Some((text.clone(), words.clone())));
                    // A suggestion is the model's words, not the teammate's. Translating
                    // again what is still the last translation keeps the words it came
                    // from; anything else translated is the teammate's words now.
                    let was_translation = translated
                        .get_value()
                        .is_some_and(|t| shared::llm::still_the_translation(&text, &t));
                    let words = match action {
                        Assist::Suggest => None,
                        Assist::Translate if was_translation => words.or(Some(text)),
                        Assist::Translate => Some(text),
                        Assist::Improve | Assist::TranslateForTeam => words,
                    };
                    translated.set_value(words.is_some().then(|| reply.text.clone()));
                    original.set(words);
                    draft.set(reply.text);
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = assist_error.try_set(Some(e));
                }
            }
        });
    };
    // The draft goes only when the server has stored it, and only if it is still what was
    // sent (an agent may have started the next reply meanwhile).
    let awaiting = StoredValue::new(None::<(String, String)>);
    Effect::new(move |_| {
        let Some(id) = delivered.get() else { return };
        if let Some((sent_id, text)) = awaiting.get_value()
            && sent_id == id
        {
            awaiting.set_value(None);
            if draft.get_untracked() == text {
                original.set(None);
                draft.set(String::new());
            }
        }
    });
    let sending = move || outgoing.with(Option::is_some);
    let mode = RwSignal::new(Mode::Reply);
    let enter_sends = RwSignal::new(
        crate::app::storage()
            .and_then(|s| s.get_item(ENTER_SENDS).ok().flatten())
            .is_none_or(|v| v != "false"),
    );
    let typing = StoredValue::new(false);
    let last_key = StoredValue::new(0.0f64);
    // The visitor sees "… is typing" until the agent sends or pauses for a few seconds.
    fn stop_when_idle_after(
        typing: StoredValue<bool>,
        last_key: StoredValue<f64>,
        send: impl Fn(ClientFrame) + Copy + 'static,
    ) {
        set_timeout(
            move || {
                // The agent may have left this conversation meanwhile: its values are gone
                // with its view (reading one would panic).
                let (Some(true), Some(last_key_at)) =
                    (typing.try_get_value(), last_key.try_get_value())
                else {
                    return;
                };
                if js_sys::Date::now() - last_key_at >= TYPING_IDLE_MS {
                    typing.set_value(false);
                    send(ClientFrame::Typing { on: false, text: None });
                } else {
                    stop_when_idle_after(typing, last_key, send);
                }
            },
            std::time::Duration::from_millis(1000),
        );
    }
    let stop_when_idle = move || stop_when_idle_after(typing, last_key, send);
    // Only the agent holding the conversation replies; anyone who can act writes notes.
    // Taking the conversation switches to replying, losing it to notes.
    // Taking it also puts the cursor in the reply box, where the agent's next keys belong.
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |was: Option<bool>| {
        let now = mine.get();
        mode.set(if now { Mode::Reply } else { Mode::Note });
        if now && was == Some(false) {
            request_animation_frame(move || {
                if let Some(el) = input.get_untracked() {
                    let _ = el.focus();
                }
            });
        }
        now
    });
    let reply_closed = move || mode.get() == Mode::Reply && closed.with(Option::is_some);
    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || outgoing.with_untracked(Option::is_some) {
            return;
        }
        if mode.get_untracked() == Mode::Reply && closed.with_untracked(Option::is_some) {
            return;
        }
        let id = client_id();
        let frame = match mode.get_untracked() {
            Mode::Reply => ClientFrame::Send {
                client_id: id.clone(),
                text,
                original: original.get_untracked(),
            },
            Mode::Note => ClientFrame::Note { client_id: id.clone(), text },
        };
        awaiting.set_value(Some((id.clone(), draft.get_untracked())));
        edits.update_value(|n| *n += 1);
        before.set(None);
        send_message(id, frame);
        if typing.get_value() {
            typing.set_value(false);
            send(ClientFrame::Typing { on: false, text: None });
        }
    };
    let label = move || {
        if mode.get() == Mode::Note {
            "Internal note (teammates only; @Name notifies)"
        } else {
            "Reply to the visitor"
        }
    };
    view! {
        <form class="composer" class:note=move || mode.get() == Mode::Note on:submit=move |e| { e.prevent_default(); submit(); }>
            {children()}
            <div class="modes" role="radiogroup" aria-label="Write">
                <label><input type="radio" name="mode" data-key="reply" aria-keyshortcuts="r" prop:checked=move || mode.get() == Mode::Reply
                    disabled=move || !mine.get() on:change=move |_| mode.set(Mode::Reply)/>"Reply"</label>
                <label><input type="radio" name="mode" data-key="note" aria-keyshortcuts="n" prop:checked=move || mode.get() == Mode::Note
                    on:change=move |_| mode.set(Mode::Note)/>"Internal note"</label>
                <label class="pref"><input type="checkbox" prop:checked=move || enter_sends.get() on:change=move |e| {
                    let on = event_target_checked(&e);
                    enter_sends.set(on);
                    if let Some(s) = crate::app::storage() { let _ = s.set_item(ENTER_SENDS, if on { "true" } else { "false" }); }
                }/>"Enter sends (else Ctrl/⌘+Enter)"</label>
            </div>
            <Show when=move || !mine.get()>
                <p class="hint">"Replying is for whoever holds the conversation: what you write here is an internal note, seen by the team only."</p>
            </Show>
            {move || closed.get().filter(|_| mode.get() == Mode::Reply).map(|why| view! { <p class="window-closed" role="status">{why}</p> })}
            <textarea node_ref=input aria-label=label placeholder=label prop:value=move || draft.get() disabled=reply_closed
                on:input=move |e| {
                    let text = event_target_value(&e);
                    // Replaced rather than edited, the draft is no longer from those words.
                    let kept = translated.get_value().is_some_and(|t| shared::llm::still_the_translation(&text, &t));
                    if !kept && original.with_untracked(Option::is_some) { original.set(None); }
                    draft.set(text);
                    edits.update_value(|n| *n += 1);
                    before.set(None);
                    last_key.set_value(js_sys::Date::now());
                    if mode.get_untracked() == Mode::Reply && !typing.get_value() {
                        typing.set_value(true);
                        send(ClientFrame::Typing { on: true, text: None });
                        stop_when_idle();
                    }
                }
                on:keydown=move |e| {
                    let chord = e.ctrl_key() || e.meta_key();
                    let sends = if enter_sends.get_untracked() { !e.shift_key() } else { chord };
                    if e.key() == "Enter" && sends && !e.is_composing() {
                        e.prevent_default();
                        submit();
                    }
                }></textarea>
            <Show when=move || ai_help.get() == Some(true) && mode.get() == Mode::Reply>
                <div class="assist" role="group" aria-label="AI help (fills the box; you send)">
                    <button type="button" disabled=move || asking.get() on:click=move |_| ask_ai(Assist::Suggest)>"Suggest reply"</button>
                    <button type="button" disabled=move || asking.get() || draft.with(|d| d.trim().is_empty())
                        on:click=move |_| ask_ai(Assist::Improve)>"Improve"</button>
                    <button type="button" disabled=move || asking.get() || draft.with(|d| d.trim().is_empty())
                        title="Into the visitor's language" on:click=move |_| ask_ai(Assist::Translate)>"Translate for the visitor"</button>
                    <Show when=move || before.with(Option::is_some)>
                        <button type="button" class="link" on:click=move |_| {
                            if let Some((old, words)) = before.get_untracked() {
                                draft.set(old);
                                original.set(words);
                            }
                            before.set(None);
                        }>"Undo"</button>
                    </Show>
                    <span role="status">{move || asking.get().then_some("Asking the AI…")}</span>
                </div>
                <Show when=move || original.with(Option::is_some)>
                    <p class="hint translated">"Translated for the visitor: your own words stay in the team's transcript."</p>
                </Show>
                <p class="error" role="alert">{move || assist_error.get()}</p>
            </Show>
            <button type="submit" class="primary" disabled=move || sending() || reply_closed()
                title=move || closed.get().filter(|_| mode.get() == Mode::Reply)>{move || match (sending(), mode.get()) {
                (true, _) => "Sending…",
                (false, Mode::Note) => "Add note",
                (false, Mode::Reply) => "Send",
            }}</button>
        </form>
    }
}

#[component]
fn NameModal(save: Callback<String>, cancel: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    view! {
        <div class="modal-backdrop">
            <form class="modal" role="dialog" aria-modal="true" aria-labelledby="name-title"
                on:submit=move |e| { e.prevent_default(); if !name.get_untracked().trim().is_empty() { save.run(name.get_untracked().trim().to_owned()) } }>
                <h2 id="name-title">"Choose your display name"</h2>
                <p>"Visitors see this name on your messages."</p>
                <label>"Display name" <input required maxlength="60" autofocus
                    prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/></label>
                <div class="actions">
                    <button type="button" on:click=move |_| cancel.run(())>"Cancel"</button>
                    <button type="submit" class="primary">"Save and take over"</button>
                </div>
            </form>
        </div>
    }
}

fn who(a: &Author) -> String {
    match a {
        Author::Visitor => "Visitor".into(),
        Author::Bot => "AI assistant".into(),
        Author::Agent(agent) => agent.name.clone(),
    }
}

fn name(a: &AgentRef) -> String {
    a.name.clone()
}

/// Each item, and on a handover for want of a FAQ answer the visitor's message before it: the
/// question to add to the FAQ.
fn with_asked(items: &[Item]) -> Vec<(Item, Option<String>)> {
    let mut last = None;
    items
        .iter()
        .map(|i| {
            let asked = match &i.body {
                ItemBody::Message(m) if m.author == Author::Visitor => {
                    last = Some(m.text.clone());
                    None
                }
                ItemBody::Event(Event::Escalated {
                    by: EscalatedBy::Bot, reason: Some(r), ..
                }) if r == shared::faq::NO_CONFIDENT_ANSWER => last.clone(),
                _ => None,
            };
            (i.clone(), asked)
        })
        .collect()
}

/// "Add this question to the FAQ", for those who may edit it.
fn to_faq(question: String, manage: Signal<bool>) -> impl IntoView {
    let to_faq = use_context::<crate::faq::ToFaq>();
    move || {
        let q = question.clone();
        to_faq.filter(|_| manage.get()).map(|to_faq| {
            view! {
                " "
                <button type="button" class="link" on:click=move |_| to_faq.send(q.clone())>
                    "Add this question to the FAQ"
                </button>
            }
        })
    }
}

#[component]
fn Line(
    item: Item,
    asked: Option<String>,
    manage: Signal<bool>,
    visitor: Signal<String>,
    /// The message in the teammate's language, when they asked for it.
    translation: Signal<Option<crate::translation::Shown>>,
) -> impl IntoView {
    let at = time::clock(item.at);
    match item.body {
        ItemBody::Message(m) => {
            // Why the AI said it: for the team only, the widget shows the text alone.
            let source = m.source.clone().map(|s| view! {
                <small class="source">{format!("From the FAQ: “{}” · {}% sure", s.faq_question, s.confidence)}</small>
            });
            let class = match m.author {
                Author::Visitor => "bubble visitor",
                Author::Bot => "bubble bot",
                Author::Agent(_) => "bubble agent",
            };
            let author = m.author.clone();
            let label = move || match &author {
                Author::Visitor => visitor.get(),
                other => who(other),
            };
            // A reply sent translated: what its writer wrote, for the team.
            let original = m.original.clone().map(|o| view! {
                <small class="original">"Written as: "{o}</small>
            });
            // A translation that says the same as the message adds nothing.
            let text = m.text.clone();
            let translated = Signal::derive(move || {
                translation.get().filter(|t| !matches!(t, crate::translation::Shown::Done(d) if *d == text))
            });
            view! {
                <li class=class><span class="who">{label}" · "{at}</span>{m.text}{crate::translation::under(translated)}{original}{source}</li>
            }
            .into_any()
        }
        ItemBody::Note(m) => view! {
            <li class="bubble note"><span class="who">"Internal note · "{who(&m.author)}" · "{at}</span>{m.text}</li>
        }
        .into_any(),
        ItemBody::Event(e) => match e {
            Event::AgentJoined { agent, ticket } => view! {
                <li class="separator">{format!("Live chat · ticket {ticket}")}</li>
                <li class="event">{format!("{} joined the conversation", name(&agent))}</li>
            }
            .into_any(),
            Event::AiResumed { by } => view! {
                <li class="separator">{format!("AI resumed · by {}", name(&by))}</li>
            }
            .into_any(),
            Event::ChannelUndelivered { error, .. } => view! {
                <li class="event failed" role="alert">{format!("Not delivered to the visitor: {error}")}" · "{at}</li>
            }
            .into_any(),
            other => {
                let text = match other {
                    Event::Escalated { offline: true, .. } => "The visitor left a message through the contact form (pending ticket)".to_owned(),
                    Event::Escalated { by: EscalatedBy::Visitor, .. } => "The visitor asked for a person".to_owned(),
                    Event::RatingAsked { .. } => "The visitor was asked to rate the chat".to_owned(),
                    Event::Rated { score, comment, .. } => {
                        let words = if comment.is_empty() { String::new() } else { format!(": “{comment}”") };
                        format!("The visitor rated the chat {} {score}/5{words}", crate::tickets::stars(score))
                    }
                    Event::OutOfHours { unstaffed: true, .. } => "A person was asked for while nobody was available: the contact form was offered".to_owned(),
                    Event::OutOfHours { .. } => "A person was asked for out of hours: the contact form was offered".to_owned(),
                    Event::Unclaimed => "Nobody claimed in time: the AI resumed".to_owned(),
                    Event::Requeued { agent } => format!("{} went offline: back to Pending", name(&agent)),
                    Event::Escalated { reason, .. } => format!("The AI handed over{}", reason.map(|r| format!(": {r}")).unwrap_or_default()),
                    Event::AgentLeft { agent } => format!("{} left the conversation", name(&agent)),
                    Event::Reassigned { from, to } => format!("Reassigned from {} to {}", name(&from), name(&to)),
                    Event::Ended { by: EndedBy::Visitor, .. } => "The visitor ended the conversation".to_owned(),
                    Event::Ended { by: EndedBy::Agent(a), spam: true } => format!("{} closed the conversation as spam", name(&a)),
                    Event::Ended { by: EndedBy::Agent(a), spam: false } => format!("{} closed the conversation", name(&a)),
                    Event::Ended { by: EndedBy::Idle, .. } => "Closed after a quiet while: the visitor's next message opens it again".to_owned(),
                    Event::Reopened { by: Some(a) } => format!("{} reopened the conversation", name(&a)),
                    Event::Reopened { by: None } => "The visitor wrote again: reopened".to_owned(),
                    Event::ChannelUnsupported { what, .. } => format!("The visitor sent {what}, which this chat cannot show; they were asked to write instead"),
                    Event::AgentJoined { .. } | Event::AiResumed { .. } | Event::ChannelUndelivered { .. } => String::new(),
                };
                view! { <li class="event">{text}" · "{at}{asked.map(|q| to_faq(q, manage))}</li> }.into_any()
            }
        },
    }
}

/// Marks who vouches for a name or email: the site's backend (a signed token), or nobody
/// (the visitor or the page said it).
fn trust(shown: bool, verified: bool) -> impl IntoView {
    match (shown, verified) {
        (false, _) => ().into_any(),
        (true, true) => view! { " " <span class="verified" title="Signed by the site's backend">"✓ verified"</span> }.into_any(),
        (true, false) => view! { " " <span class="unverified" title="Given by the visitor or the page, not checked">"unverified"</span> }.into_any(),
    }
}
