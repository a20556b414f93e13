//! The console's shell: sign-in, navigation, the live inbox with its tabs, notifications.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ConversationSummary, Me, Member};
use shared::channel::ChannelKind;
use shared::protocol::Phase;

use crate::alerts::{self, Alerts, AlertsBanner};
use crate::conversation::ConversationView;
use crate::inbox::Inbox;
use crate::links::{self, LinkPage};
use crate::login::Login;
use crate::route::{self, Page};
use crate::team::Team;
use crate::tickets::Tickets;
use crate::{api, time};
use wasm_bindgen::JsCast;

const STYLE: &str = include_str!("style.css");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Pending,
    Active,
    Resolved,
    Live,
}

#[component]
pub fn App() -> impl IntoView {
    let account = RwSignal::new(None::<Me>);
    let checked = RwSignal::new(false);
    // Why the console went back to the sign-in page, when the server ended the session.
    let notice = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(me) = api::me().await {
            account.set(Some(me));
        }
        checked.set(true);
    });
    // A link from a mail (an invitation, a password reset) is for whoever opened it, signed
    // in or not: its page comes first, and ends signed in as them.
    let open = RwSignal::new(links::from_location());
    view! {
        <style>{STYLE}</style>
        <Show when=move || checked.get() fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || match (open.get(), account.get()) {
                (Some(link), _) => view! { <LinkPage link account notice open/> }.into_any(),
                (None, Some(me)) => view! { <Console me account notice/> }.into_any(),
                (None, None) => view! { <Login account notice/> }.into_any(),
            }}
        </Show>
    }
}

/// `path` on this origin as a WebSocket address.
pub fn ws_url(path: &str) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    shared::protocol::socket_url(&origin, path)
}

pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[component]
fn Console(
    me: Me,
    account: RwSignal<Option<Me>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let me = RwSignal::new(me);
    let inbox = Inbox::new();
    let alerts = Alerts::load();
    provide_context(alerts);
    let page = RwSignal::new(Page::Inbox);
    let selected = RwSignal::new(None::<String>);
    // The server closes the inbox when the account changes (4003: role or name, 4001: the
    // session ended). Whatever the reason, ask who we are now: a changed role applies at once,
    // an ended session goes back to the sign-in page.
    let dropped = move |_code: u16| {
        spawn_local(async move {
            match api::me_now().await {
                // Unless the console has gone meanwhile (a sign-out while this was asked).
                Ok(Some(fresh)) => {
                    if me.try_get_untracked().is_some_and(|held| held != fresh) {
                        me.set(fresh);
                    }
                }
                Ok(None) => {
                    notice.set(Some("Your session ended. Please sign in again.".into()));
                    account.set(None);
                }
                // Offline: the socket keeps retrying, and asks again on the next drop.
                Err(_) => {}
            }
        })
    };
    let escalated = move |c: &ConversationSummary| {
        // On screen only when the inbox is the page shown.
        let open = selected.get_untracked().filter(|_| page.get_untracked() == Page::Inbox);
        alerts.escalated(c, open.as_deref())
    };
    let socket = StoredValue::new_local(inbox.connect(escalated, dropped));
    on_cleanup(move || socket.with_value(takeover_client::Link::stop));
    let pending = Signal::derive(move || inbox.count(Phase::Escalated));
    Effect::new(move |_| alerts::show_waiting(pending.get()));
    on_cleanup(|| alerts::show_waiting(0));
    let waiting_here = Signal::derive(move || {
        inbox.by_phase(Phase::Escalated).iter().filter(|c| c.visitor_online).count()
    });
    alerts::repeat_while_waiting(alerts, waiting_here);
    let team = RwSignal::new(Vec::<Member>::new());
    spawn_local(async move {
        if let Ok(list) = api::team().await {
            team.set(list);
        }
    });

    let unsaved = crate::settings::Unsaved(RwSignal::new(false));
    route::sync(page, selected, unsaved);
    let open = Callback::new(move |id: String| {
        if unsaved.may_leave() {
            selected.set(Some(id));
            page.set(Page::Inbox);
        }
    });
    provide_context(crate::conversation::AiHelp(RwSignal::new(None)));
    provide_context(crate::faq::ToFaq {
        question: RwSignal::new(None),
        go: Callback::new(move |()| {
            let may = unsaved.may_leave();
            if may {
                page.set(Page::Settings);
            }
            may
        }),
    });
    let toggle_notify = move |e: leptos::ev::Event| alerts.set_notify(event_target_checked(&e));
    let sign_out = move |_| {
        if !unsaved.may_leave() {
            return;
        }
        spawn_local(async move {
            api::logout(&me.get_untracked().csrf).await;
            account.set(None);
        })
    };
    let nav = move |p: Page, label: &'static str| {
        view! {
            <button class="nav" aria-current=move || (page.get() == p).then_some("page") on:click=move |_| if page.get_untracked() == p || unsaved.may_leave() { page.set(p) }>{label}</button>
        }
    };

    view! {
        <header class="top">
            <strong class="brand">"Takeover"</strong>
            <nav aria-label="Console">
                {nav(Page::Inbox, "Inbox")}
                {nav(Page::Tickets, "Tickets")}
                <Show when=move || me.with(|m| m.role.can_manage())>
                    {nav(Page::Team, "Team")}
                    {nav(Page::Settings, "Settings")}
                </Show>
                {nav(Page::Account, "Account")}
            </nav>
            <span class="status" role="status">{move || inbox.link.get().label()}</span>
            <crate::availability::AvailabilitySwitch me=me.into()/>
            <label class="notify"><input type="checkbox" prop:checked=move || alerts.notify.get() == Some(true) on:change=toggle_notify/><span class="wide">"Notify me of new escalations"</span><span class="narrow">"Alerts"</span></label>
            <crate::keys::Shortcuts/>
            <span class="whoami">{move || me.with(|m| format!("{} ({})", if m.agent.name.is_empty() { m.email.clone() } else { m.agent.name.clone() }, m.role.as_str()))}</span>
            <button on:click=sign_out>"Sign out"</button>
        </header>
        <AlertsBanner alerts/>
        <Mentions inbox open/>
        {move || match page.get() {
            Page::Inbox => view! { <InboxPage inbox me team selected/> }.into_any(),
            Page::Tickets => view! { <Tickets inbox me open/> }.into_any(),
            Page::Team => view! { <Team me/> }.into_any(),
            Page::Settings => view! { <crate::settings::Settings me unsaved/> }.into_any(),
            Page::Account => view! { <crate::account::Account me/> }.into_any(),
        }}
    }
}

#[component]
fn Mentions(inbox: Inbox, open: Callback<String>) -> impl IntoView {
    let list = move || inbox.mentions.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <ul class="mentions" aria-live="polite" aria-label="Mentions">
            <For each=list key=|(i, m)| (*i, m.conversation_id.clone(), m.text.clone()) let:pair>
                {
                    let (index, m) = pair;
                    let id = m.conversation_id.clone();
                    view! {
                        <li class="mention">
                            <button class="link" on:click=move |_| {
                                inbox.mentions.update(|all| { all.remove(index); });
                                open.run(id.clone());
                            }>{format!("{} mentioned you: {}", m.by.name, m.text)}</button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// Puts `text` on the clipboard; `done` hears whether the browser let it.
pub fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let Some(w) = web_sys::window() else { return done(false) };
    let promise = w.navigator().clipboard().write_text(text);
    spawn_local(async move { done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()) });
}

/// One line of the inbox list.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Row {
    id: String,
    title: String,
    detail: String,
    /// Whether the visitor has the chat open (unknown for resolved tickets).
    online: Option<bool>,
    urgency: Urgency,
}

/// How long a visitor has waited for a person, as the list colours it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Urgency {
    Calm,
    /// Past two minutes.
    Long,
    /// Past five.
    Late,
}

impl Urgency {
    fn of(waited_ms: i64) -> Urgency {
        match waited_ms {
            ..120_000 => Urgency::Calm,
            120_000..300_000 => Urgency::Long,
            _ => Urgency::Late,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Urgency::Calm => "",
            Urgency::Long => "long",
            Urgency::Late => "late",
        }
    }
}

/// Closes the conversation (the list takes the screen again on a phone) and puts focus back on
/// its row once the list is drawn.
fn back_to_list(selected: RwSignal<Option<String>>) {
    let Some(id) = selected.get_untracked() else { return };
    selected.set(None);
    request_animation_frame(move || {
        let row = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(&format!("button.row[data-id=\"{id}\"]")).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(row) = row {
            let _ = row.focus();
        }
    });
}

#[component]
fn InboxPage(
    inbox: Inbox,
    me: RwSignal<Me>,
    team: RwSignal<Vec<Member>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Pending);
    let on_me = RwSignal::new(false);
    // Which channel's conversations are listed: all, the website's (`Some(None)`), or one
    // messaging channel's.
    let channel = RwSignal::new(None::<Option<ChannelKind>>);
    let any_channel = move || {
        channel.with(Option::is_some)
            || inbox.conversations.with(|all| all.values().any(|c| c.channel.is_some()))
    };
    // Waiting times tick while the page is open.
    let now = RwSignal::new(time::now());
    let tick = leptos::prelude::set_interval_with_handle(
        move || now.set(time::now()),
        std::time::Duration::from_secs(5),
    );
    on_cleanup(move || {
        if let Ok(t) = tick {
            t.clear();
        }
    });
    let count = move |t: Tab| match t {
        Tab::Pending => inbox.count(Phase::Escalated),
        Tab::Active => inbox.count(Phase::Active),
        Tab::Resolved => inbox.resolved_count(),
        Tab::Live => inbox.count(Phase::Bot),
    };
    let tab_button = move |t: Tab, label: &'static str| {
        view! {
            <button role="tab" id=format!("tab-{label}") aria-selected=move || (tab.get() == t).to_string()
                aria-controls="inbox-list" on:click=move |_| tab.set(t)>
                {label}" "<span class="count">{move || count(t)}</span>
            </button>
        }
    };
    let rows = move || -> Vec<Row> {
        let my_id = me.with(|m| m.agent.id.clone());
        let row = |c: ConversationSummary, detail: String, urgency: Urgency| {
            let who = c.visitor_name.clone().unwrap_or_else(|| shared::names::friendly(&c.id));
            let online = if c.visitor_online { " (online)" } else { "" };
            let verified = if c.verified { " ✓ verified" } else { "" };
            let channel = c.channel.map(|k| format!(" · {}", k.label())).unwrap_or_default();
            Row {
                title: format!("{who}{verified}{channel}{online} — {}", c.preview),
                id: c.id,
                detail,
                online: Some(c.visitor_online),
                urgency,
            }
        };
        // Visitors still here first: they are the ones a reply reaches now.
        let wanted = channel.get();
        let here_first = |mut list: Vec<ConversationSummary>| {
            list.retain(|c| wanted.is_none_or(|w| c.channel == w));
            list.sort_by_key(|c| !c.visitor_online);
            list
        };
        match tab.get() {
            Tab::Pending => here_first(inbox.pending())
                .into_iter()
                .map(|c| {
                    let since = c.waiting_since.unwrap_or(c.updated_at);
                    let waited = time::ago(since, now.get());
                    let urgency = Urgency::of(now.get() - since);
                    row(c, format!("waiting {waited}"), urgency)
                })
                .collect(),
            Tab::Active => here_first(inbox.by_phase(Phase::Active))
                .into_iter()
                .filter(|c| !on_me.get() || c.assignee.as_ref().is_some_and(|a| a.id == my_id))
                .map(|c| {
                    let who = c.assignee.as_ref().map(|a| a.name.clone()).unwrap_or_default();
                    let unread = if c.unanswered > 0 {
                        format!(" · {} unanswered", c.unanswered)
                    } else {
                        String::new()
                    };
                    row(c, format!("with {who}{unread}"), Urgency::Calm)
                })
                .collect(),
            Tab::Live => here_first(inbox.by_phase(Phase::Bot))
                .into_iter()
                .map(|c| row(c, "AI answering".into(), Urgency::Calm))
                .collect(),
            Tab::Resolved => inbox
                .resolved()
                .into_iter()
                .map(|t| {
                    let by = t.assignee.map_or_else(
                        || "resolved".to_owned(),
                        |a| format!("resolved by {}", a.name),
                    );
                    Row {
                        id: t.conversation_id,
                        title: t.subject,
                        detail: by,
                        online: None,
                        urgency: Urgency::Calm,
                    }
                })
                .collect(),
        }
    };
    view! {
        <main class="inbox" class:picked=move || selected.with(Option::is_some)>
            <section class="list" aria-labelledby="inbox-title">
                <h1 id="inbox-title" class="sr-only">"Inbox"</h1>
                <div role="tablist" aria-label="Conversations">
                    {tab_button(Tab::Pending, "Pending")}
                    {tab_button(Tab::Active, "Active")}
                    {tab_button(Tab::Resolved, "Resolved")}
                    {tab_button(Tab::Live, "Live")}
                </div>
                <Show when=move || tab.get() == Tab::Active>
                    <label class="filter"><input type="checkbox" prop:checked=move || on_me.get()
                        on:change=move |e| on_me.set(event_target_checked(&e))/>"On you"</label>
                </Show>
                <Show when=move || any_channel() && tab.get() != Tab::Resolved>
                    <label class="filter">"Channel "
                        <select prop:value=move || match channel.get() {
                            None => "all",
                            Some(None) => "website",
                            Some(Some(ChannelKind::Telegram)) => "telegram",
                            Some(Some(ChannelKind::WhatsApp)) => "whatsapp",
                        } on:change=move |e| channel.set(match event_target_value(&e).as_str() {
                            "website" => Some(None),
                            "telegram" => Some(Some(ChannelKind::Telegram)),
                            "whatsapp" => Some(Some(ChannelKind::WhatsApp)),
                            _ => None,
                        })>
                            <option value="all">"All"</option>
                            <option value="website">"Website"</option>
                            <option value="telegram">"Telegram"</option>
                            <option value="whatsapp">"WhatsApp"</option>
                        </select>
                    </label>
                </Show>
                <div id="inbox-list" role="tabpanel">
                <ul>
                    <For each=rows key=|r| r.clone() let:row>
                        {
                            let Row { id, title, detail, online, urgency } = row;
                            let current = id.clone();
                            view! {
                                <li>
                                    <button class="row" data-id=current.clone() aria-current=move || (selected.get().as_deref() == Some(current.as_str())).then_some("true")
                                        on:click=move |_| selected.set(Some(id.clone()))>
                                        <span class="title">
                                            {online.map(|on| view! { <span class=if on { "dot online" } else { "dot away" } aria-hidden="true"></span> })}
                                            {title}
                                        </span>
                                        <span class=format!("detail {}", urgency.class())>{detail}</span>
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                </div>
            </section>
            {move || match selected.get() {
                Some(id) => {
                    let key = id.clone();
                    let visitor_online = Signal::derive(move || inbox.conversations.with(|c| c.get(&key).map(|s| s.visitor_online)));
                    view! { <ConversationView id me team visitor_online back=Callback::new(move |()| back_to_list(selected))/> }.into_any()
                }
                None => view! { <section class="conversation empty"><p>"Select a conversation."</p></section> }.into_any(),
            }}
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::Urgency;

    #[test]
    fn a_wait_turns_long_after_two_minutes_and_late_after_five() {
        assert!(Urgency::of(0) == Urgency::Calm);
        assert!(Urgency::of(119_999) == Urgency::Calm);
        assert!(Urgency::of(120_000) == Urgency::Long);
        assert!(Urgency::of(299_999) == Urgency::Long);
        assert!(Urgency::of(300_000) == Urgency::Late);
    }
}
