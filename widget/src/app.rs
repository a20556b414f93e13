//! The chat panel: header, timeline, takeover banners and the composer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{
    Author, EndedBy, ErrorCode, EscalatedBy, Event, Item, ItemBody, Millis, Phase,
};
use shared::texts::{self as custom_texts, fill};

use web_sys::{KeyboardEvent, MouseEvent, SubmitEvent};

use crate::api;
use crate::conn::{Chat, Conn, Pending, Status};
use crate::fresh::Fresh;
use crate::hooks::Hooks;
use crate::i18n::{Texts, Words};
use crate::parts::{Call, Cell, Derived, Grab, Kept, When, act, effect, flag, say, text};
use crate::when;

const STYLE: &str = include_str!("style.css");
/// How long a page with words waiting for a first conversation gives another tab that may be
/// making it, before it makes one itself (the making takes well under a second).
const WAIT_FOR_OTHER_TAB: std::time::Duration = std::time::Duration::from_secs(3);

type Identity = Option<shared::protocol::ClientFrame>;

#[component]
pub fn App(
    site_key: String,
    base: String,
    page: bool,
    open: Cell<bool>,
    identity: Cell<Identity>,
    hooks: Hooks,
) -> impl IntoView {
    let chat = Chat::new();
    chat.keep_unstarted(&site_key, identity.with_untracked(|i| signed_in(i.as_ref()).is_some()));
    let config = chat.config;
    let texts_from = base.clone();
    let conn = Kept::new(None::<Conn>);
    let failed = Cell::new(false);
    let hooks = Kept::new(hooks);

    // A saved conversation resumes at once (its replies count as unread while closed); a new
    // one starts only when the visitor first opens the chat, so a prefetch creates nothing.
    // What failed (the edge was down) is tried again when the visitor next opens the chat.
    let load_config = {
        let (site_key, base) = (site_key.clone(), base.clone());
        move || {
            let (site_key, base) = (site_key.clone(), base.clone());
            spawn_local(async move {
                match api::config(&base, &site_key).await {
                    Ok(c) => config.set(Some(c)),
                    Err(e) => {
                        leptos::logging::error!("{e}");
                        failed.set(true);
                    }
                }
            });
        }
    };
    load_config();
    let started = Kept::new(false);
    let key = site_key.clone();
    let site = Kept::new(site_key.clone());
    // The chat page opened from a mailed link continues that conversation, on any device.
    let resume = Kept::new(if page { api::take_resume_link() } else { None });
    let link_spent = Cell::new(false);
    let continued = Kept::new(false);
    let waited = Kept::new(false);
    let start_later = Kept::new(None::<Call<bool>>);
    let start = move |create: bool| {
        if started.get_value() {
            return;
        }
        let usable = move |s: &api::Saved| !chat.is_gone(&s.conversation_id);
        let saved = api::saved(&site_key).filter(|s| usable(s));
        // Used once: "Start a new conversation" must not come back here.
        let link = resume.get_value();
        resume.set_value(None);
        if saved.is_none() && link.is_none() && !create {
            // Words a page left waiting for its first conversation are sent, the chat open or
            // not: after a moment, in which another tab still making that conversation saves
            // it and this one joins it rather than making a second.
            if !chat.has_unsent() {
                return;
            }
            if !waited.get_value() {
                waited.set_value(true);
                let later = move || {
                    if let Some(s) = start_later.get_value() {
                        s.run(false);
                    }
                };
                set_timeout(later, WAIT_FOR_OTHER_TAB);
                return;
            }
        }
        started.set_value(true);
        let (site_key, base) = (site_key.clone(), base.clone());
        // A user the site signed in continues their own recent conversation from another
        // device, once a page: a conversation that then does not open starts a new one.
        let user = identity.with_untracked(|i| signed_in(i.as_ref()));
        let user = user.filter(|_| saved.is_none() && !continued.get_value());
        if user.is_some() {
            continued.set_value(true);
        }
        let tried_continue = continued;
        spawn_local(async move {
            let resumed = match link {
                Some(link) => match api::resume(&base, &site_key, &link).await {
                    Ok(s) => Some(s),
                    Err(e) => {
                        leptos::logging::warn!("{e}");
                        link_spent.set(true);
                        None
                    }
                },
                None => None,
            };
            let continued = match user.filter(|_| resumed.is_none()) {
                Some((user_id, token)) => {
                    api::continue_as(&base, &site_key, &user_id, &token).await.ok()
                }
                None => None,
            };
            let saved = match resumed.or(continued).or(saved) {
                Some(s) => Ok(s),
                None => api::start(&base, &site_key, usable).await,
            };
            match saved {
                Ok(saved) => {
                    let c = Conn::open(&base, &saved, chat);
                    // An identity given before the connection existed; every welcome resends it.
                    if let Some(frame) = identity.get_untracked() {
                        c.identify(frame);
                    }
                    conn.set_value(Some(c));
                }
                Err(e) => {
                    leptos::logging::error!("{e}");
                    failed.set(true);
                    started.set_value(false);
                    tried_continue.set_value(false);
                }
            }
        });
    };
    start(false);
    let start = Call::new(start);
    start_later.set_value(Some(start));
    effect(move || {
        if open.get() {
            if failed.get_untracked() {
                failed.set(false);
                if config.with_untracked(Option::is_none) {
                    load_config();
                }
            }
            start.run(true);
        }
    });
    // A conversation a teammate closed for good: the visitor starts a fresh one.
    // `fresh`: forgets the saved conversation first, unless another tab has already saved
    // another in its place (which this one then joins). `create`: starts a new one at once,
    // not when the visitor next opens the chat.
    let restart = Call::new(move |(fresh, create): (bool, bool)| {
        let left = conn.update_value(Option::take);
        if let Some(c) = &left {
            c.stop();
            if fresh {
                api::forget(&key, c.conversation_id());
            }
        }
        chat.reset();
        started.set_value(false);
        start.run(create);
    });
    let start_again = Call::new(move |()| restart.run((true, true)));
    // The saved conversation does not open for this visitor (another signed-in user's, or its
    // credential is gone): a fresh one starts, and nothing of the old one shows. A page that
    // signs its user in first tries once more with that proof: the conversation may just have
    // become that user's in another tab. A conversation that no longer exists (the
    // deployment's storage was reset or moved, or the page's storage made the id up) hands
    // the new one what this browser typed there and never had stored: nobody else could have
    // read it. Not another user's: their words stay theirs. With nothing to send and the chat
    // closed, the new one waits for the visitor to open it: a page view creates nothing.
    let proved = Kept::new(false);
    effect(move || {
        let notice = chat.notice.get();
        let gone = notice == Some(ErrorCode::UnknownConversation);
        let refused = gone || notice == Some(ErrorCode::Unauthorized);
        if refused && chat.status.get_untracked() == Status::Closed {
            chat.notice.set(None);
            let signed = identity.with_untracked(|i| signed_in(i.as_ref()).is_some());
            let again = !gone && signed && !proved.get_value();
            proved.set_value(proved.get_value() || !gone);
            let unsent = if gone { chat.outbox.get_untracked() } else { Vec::new() };
            // Until the new conversation is saved, the gone one stays saved with its outbox:
            // a reload meanwhile finds them and comes here again.
            let keep = !unsent.is_empty();
            if keep
                && let Some(id) =
                    conn.with_value(|c| c.as_ref().map(|c| c.conversation_id().to_owned()))
            {
                chat.leave(&id);
            }
            let create = !gone || keep || open.get_untracked();
            restart.run((!again && !keep, create));
            if keep {
                chat.outbox.set(unsent);
            }
        }
    });

    // The conversation's language, else the browser's.
    let lang = Derived::new(move || {
        chat.profile
            .with(|p| p.language.clone())
            .or_else(|| web_sys::window().and_then(|w| w.navigator().language()))
            .unwrap_or_default()
    });
    // Another language's strings arrive from the edge; English shows until they do. Strings
    // that could not be fetched are asked for again when the visitor opens the chat.
    let fetched = Trigger::new();
    effect(move || {
        open.track();
        let tag = lang.get();
        if crate::i18n::missing(&tag) {
            let base = texts_from.clone();
            spawn_local(async move {
                if crate::i18n::load(&base, &tag).await {
                    fetched.notify();
                }
            });
        }
    });
    let t = Words { lang, fetched };
    let lines = Derived::new(move || {
        let own = config.with(|c| {
            c.as_ref()
                .map(|c| custom_texts::for_language(&c.texts, &lang.get()))
                .unwrap_or_default()
        });
        Lines::new(own, t.get())
    });

    effect(move || {
        if let Some(frame) = identity.get() {
            if signed_in(Some(&frame)).is_some() {
                chat.stop_keeping_unstarted();
            }
            conn.with_value(|c| c.as_ref().map(|c| c.identify(frame)));
        }
    });
    effect(move || {
        let color = config.with(|c| c.as_ref().map(|c| c.color.clone()));
        if let Some(color) = color {
            hooks.with_value(|h| h.theme(&color, t.get().open_chat, t.get().hide));
        }
    });
    // Live items become host-page events.
    effect(move || {
        let Some(item) = chat.live.get() else { return };
        hooks.with_value(|h| announce(h, &item));
    });
    // Unread: the team's and the assistant's messages newer than what the visitor has had in
    // view, remembered in the browser, so a reload or another page of the site keeps the
    // count and the card with the newest of them.
    let seen = Cell::new(0u64);
    // Read from storage when a welcome arrives (a start or a new conversation), not on
    // every message.
    let conversation = Derived::new(move || {
        chat.state.track();
        site.with_value(|k| api::saved(k)).map(|s| s.conversation_id)
    });
    effect(move || {
        if let Some(id) = conversation.get() {
            seen.set(site.with_value(|k| api::seen(k, &id)));
        }
    });
    effect(move || {
        let newest = chat.items.with(|items| items.last().map(|i| i.seq));
        if open.get()
            && let (Some(newest), Some(id)) = (newest, conversation.get_untracked())
            && newest > seen.get_untracked()
        {
            seen.set(newest);
            site.with_value(|k| api::set_seen(k, &id, newest));
        }
    });
    let unread = Derived::new(move || {
        let after = seen.get();
        chat.items.with(|items| {
            let mut count = 0u32;
            let mut newest = None;
            for i in items.iter().filter(|i| i.seq > after) {
                if let ItemBody::Message(m) = &i.body {
                    let who = match &m.author {
                        Author::Visitor => continue,
                        Author::Bot => None,
                        Author::Agent(a) => Some(a.name.clone()),
                    };
                    count += 1;
                    newest = Some((who, m.text.clone()));
                }
            }
            (count, newest)
        })
    });
    effect(move || {
        let (count, newest) = if open.get() { (0, None) } else { unread.get() };
        let assistant = t.get().assistant;
        let newest = newest.map(|(who, text)| (who.unwrap_or_else(|| assistant.to_owned()), text));
        hooks.with_value(|h| {
            h.unread(count, newest.as_ref().map(|(w, t)| (w.as_str(), t.as_str())))
        });
    });

    let send = move |text: String| {
        let pending = chat.queue(text);
        conn.with_value(|c| c.as_ref().map(|c| c.send(&pending)));
    };
    let ask_human = move |_: MouseEvent| {
        conn.with_value(|c| c.as_ref().map(|c| c.request_human()));
    };
    let typing = move |on: bool, text: Option<String>| {
        conn.with_value(|c| c.as_ref().map(|c| c.typing(on, text)));
    };
    let rate = move |(ticket, score, comment): (u32, u8, String)| {
        conn.with_value(|c| c.as_ref().map(|c| c.rate(ticket, score, comment)));
    };
    let leave_message = move |form: Form| {
        let client_id = chat.new_client_id();
        conn.with_value(|c| c.as_ref().map(|c| c.leave_message(client_id, form)));
    };
    let close = move || hooks.with_value(|h| h.close());

    // Memos: several parts of the panel read each of these, and the items only grow.
    let phase = Derived::new(move || chat.state.with(|s| s.as_ref().map(|s| s.phase)));
    let visitor_messages = Derived::new(move || {
        let stored = chat.items.with(|items| {
            items
                .iter()
                .filter(|i| matches!(&i.body, ItemBody::Message(m) if m.author == Author::Visitor))
                .count()
        });
        stored + chat.outbox.with(Vec::len)
    });
    // The newest timeline event decides what the visitor is offered or told (a rating is
    // beside the point: it changes neither).
    let last_event = Derived::new(move || {
        chat.items.with(|items| {
            items.iter().rev().find_map(|i| match &i.body {
                ItemBody::Event(e) if !is_rating(e) => Some(Latest::of(e)),
                _ => None,
            })
        })
    });
    // Closed only for being quiet, the chat stays writable: the visitor's next message opens
    // it again. Any other end offers a new conversation instead.
    let closed_for_good =
        move || phase.get() == Some(Phase::Ended) && last_event.get() != Some(Latest::EndedIdle);
    // The contact form stands in for the composer until sent or put aside ("Back to the
    // chat"); a later offer brings it back. An offer from long ago (the page reloaded the
    // next day) is history, not a form to fill.
    let offer_seq = Derived::new(move || {
        let recent = js_sys::Date::now() as Millis - OFFER_FRESH_MS;
        chat.items
            .with(|items| {
                items.iter().rev().find_map(|i| match &i.body {
                    ItemBody::Event(Event::OutOfHours { .. }) => {
                        Some((i.at > recent).then_some(i.seq))
                    }
                    ItemBody::Event(e) if !is_rating(e) => Some(None),
                    _ => None,
                })
            })
            .flatten()
    });
    let put_aside = Cell::new(None::<u64>);
    let offer_form = move || {
        phase.get() == Some(Phase::Bot)
            && offer_seq.get().is_some_and(|seq| put_aside.get() != Some(seq))
    };
    let last_asked = move || {
        chat.items
            .with_untracked(|items| {
                items.iter().rev().find_map(|i| match &i.body {
                    ItemBody::Message(m) if m.author == Author::Visitor => Some(m.text.clone()),
                    _ => None,
                })
            })
            .unwrap_or_default()
    };
    let left_message = move || {
        phase.get() == Some(Phase::Escalated) && last_event.get() == Some(Latest::LeftMessage)
    };
    let show_human_button = move || {
        let (shown, threshold) = config.with(|c| {
            c.as_ref().map_or((true, 0), |c| {
                (c.takeover && c.show_human_button, c.human_button_after as usize)
            })
        });
        shown
            && phase.get() == Some(Phase::Bot)
            && visitor_messages.get() >= threshold
            && !offer_form()
    };
    // One state at a time: waiting for a person, then (from the claim, not the person's first
    // words) with that person, named with their initials in the header.
    let waiting = move || phase.get() == Some(Phase::Escalated) && !left_message();
    // A memo: the banner asks whether there is one and then shows it, and each asking would
    // make the browser's number formatter again.
    let expected_wait = Derived::new(move || match last_event.get() {
        Some(Latest::Waiting(Some(secs))) => {
            let t = t.get();
            Some(t.usual_wait(&when::minutes(t.code, secs)))
        }
        _ => None,
    });
    let with_human = move || phase.get() == Some(Phase::Active);
    let ask_email = move || config.with(|c| c.as_ref().is_some_and(|c| c.ask_email));
    let give_email = Call::new(move |email: String| {
        // The last refusal was for the address before.
        chat.notice.set(None);
        conn.with_value(|c| c.as_ref().map(|c| c.give_email(email)));
    });
    // The chat the visitor was asked to rate and has not (with who they talked to), until
    // rated or put aside.
    let to_rate = Derived::new(move || {
        chat.items.with(|items| {
            let mut asked = None;
            let mut with = String::new();
            for i in items {
                match &i.body {
                    ItemBody::Event(Event::AgentLeft { agent }) => with = agent.name.clone(),
                    // The next chat with a person ends an unanswered request.
                    ItemBody::Event(Event::AgentJoined { .. }) => asked = None,
                    ItemBody::Event(Event::RatingAsked { ticket }) => {
                        asked = Some((*ticket, with.clone()));
                    }
                    ItemBody::Event(Event::Rated { ticket, .. })
                        if asked.as_ref().is_some_and(|(t, _)| t == ticket) =>
                    {
                        asked = None;
                    }
                    _ => {}
                }
            }
            asked
        })
    });
    let skipped = Cell::new(None::<u32>);
    // A memo: the card keeps its stars and words while other things change around it.
    let rating_card = Derived::new(move || {
        let open = phase.get() != Some(Phase::Ended) && !offer_form();
        to_rate.get().filter(|(t, _)| open && skipped.get() != Some(*t))
    });
    let agent = Derived::new(move || {
        chat.state.with(|s| s.as_ref().and_then(|s| s.assignee.as_ref().map(|a| a.name.clone())))
    });
    let assigned = move || agent.with(Option::is_some);
    let title = move || config.with(|c| c.as_ref().map(|c| c.title.clone()).unwrap_or_default());
    // One tap asks: offered until the visitor has said anything.
    let suggestions =
        move || config.with(|c| c.as_ref().map(|c| c.suggestions.clone()).unwrap_or_default());
    let color = move || {
        config.with(|c| c.as_ref().map(|c| c.color.clone()).unwrap_or_else(|| "#0f766e".into()))
    };

    // The benchmark's "interactive" moment: the panel is open and the conversation is live.
    let marked = Kept::new(false);
    effect(move || {
        if marked.get_value() {
            return;
        }
        if open.get() && chat.status.get() == Status::Online {
            marked.set_value(true);
            if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                let _ = perf.mark("takeover:interactive");
            }
        }
    });

    // The timeline's lines in order. The answer being written is a line while it lasts (its
    // words change without the list changing).
    let drafting = Derived::new(move || chat.draft.with(Option::is_some));
    let rows = move || {
        let mut rows: Vec<Row> =
            chat.items.with(|items| items.iter().cloned().map(Row::Item).collect());
        if drafting.get() {
            rows.push(Row::Draft);
        }
        chat.outbox.with(|o| rows.extend(o.iter().cloned().map(Row::Pending)));
        rows
    };

    // Keep the newest message in view as the conversation grows.
    let timeline = Grab::new();
    effect(move || {
        let _ = chat.items.with(Vec::len) + chat.outbox.with(Vec::len);
        let _ = chat.draft.with(|d| d.as_ref().map(String::len));
        let _ = open.get();
        if let Some(el) = timeline.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });

    let input = Grab::new();
    // Sent or put aside, the card goes: the cursor goes back to the message box.
    let after_card = move || {
        if let Some(el) = input.html(false) {
            let _ = el.focus();
        }
    };
    effect(move || {
        if open.get()
            && let Some(el) = input.html(true)
        {
            let _ = el.focus();
        }
    });

    view! {
        <style>{STYLE}</style>
        <div
            class="panel"
            class:page=page
            role="dialog"
            aria-label=text(title)
            hidden=flag(move || !open.get())
            lang=say(t, |t| t.code)
            dir=say(t, |t| if t.rtl { "rtl" } else { "ltr" })
            style=text(move || format!("--accent: {}", color()))
            on:keydown=act(move |ev: KeyboardEvent| {
                if ev.key() == "Escape" && !page {
                    ev.stop_propagation();
                    close();
                }
            })
        >
            <header>
                <div class="heading">
                    <When when=assigned>
                        <span class="avatar" aria-hidden="true">{text(move || initials(&agent.get().unwrap_or_default()))}</span>
                    </When>
                    <div>
                        <h2>{text(title)}</h2>
                        <When when=assigned>
                            <p class="with">{text(move || agent.get().unwrap_or_default())}</p>
                        </When>
                    </div>
                </div>
                <When when=move || !page>
                    <button class="close" type="button" aria-label=say(t, |t| t.close) on:click=act(move |_: MouseEvent| close())>
                        <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor"
                            stroke-width="2.5" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>
                    </button>
                </When>
            </header>
            <When when=move || chat.status.get() == Status::Reconnecting>
                <div class="status" role="status">{say(t, |t| t.reconnecting)}</div>
            </When>
            <When when=move || failed.get()>
                <div class="status" role="alert">{say(t, |t| t.cannot_start)}</div>
            </When>
            <When when=move || link_spent.get()>
                <div class="status" role="status">{say(t, |t| t.link_spent)}</div>
            </When>
            // Focusable: a keyboard can scroll a long conversation.
            <ol class="timeline" aria-live="polite" tabindex="0" data-testid="timeline" node_ref=timeline>
                <When when=move || config.with(Option::is_some)>
                    <li class="bubble bot greeting">
                        <span class="who">{say(t, |t| t.assistant)}</span>
                        {text(move || lines.with(|l| l.greeting.clone()))}
                    </li>
                </When>
                // Only while the AI is the one to ask: not beside the contact form, not while a
                // person is asked for.
                <When when=move || {
                    visitor_messages.get() == 0
                        && phase.get().is_none_or(|p| p == Phase::Bot)
                        && !offer_form()
                        && !suggestions().is_empty()
                }>
                    <li>
                        <div class="suggestions" role="group" aria-label=say(t, |t| t.suggested)>
                            // The owner's questions keep their own direction (an English one in
                            // an Arabic panel ends with its "?"). A few, changed only with the
                            // settings: drawn again then, with no keyed diffing to download.
                            {move || suggestions().into_iter().map(|q| {
                                let asked = q.clone();
                                view! {
                                    <button type="button" dir="auto" on:click=act(move |_: MouseEvent| send(asked.clone()))>{q}</button>
                                }
                            }).collect_view()}
                        </div>
                    </li>
                </When>
                // Keyed: a message acknowledged leaves with its own line, and no line of the live
                // region takes another's words (a screen reader would read them again). One list
                // for the stored items, the answer being written and the visitor's unsent
                // messages: each keyed list is a copy of tachys' diffing to download.
                <For each=rows key=Row::key let:row>
                    {match row {
                        Row::Item(item) => timeline_item(item, t, lines),
                        Row::Draft => Fresh::new(view! {
                            <li class="bubble bot draft">
                                <span class="who">{say(t, |t| t.assistant)}</span>
                                {text(move || chat.draft.get().unwrap_or_default())}
                            </li>
                        }),
                        Row::Pending(p) => Fresh::new(view! {
                            <li class="bubble visitor pending" title=say(t, |t| t.sending)>{p.text}</li>
                        }),
                    }}
                </For>
            </ol>
            <When when=move || chat.bot_typing.get()>
                <div class="typing" role="status">{say(t, |t| t.thinking)}</div>
            </When>
            <When when=move || chat.agent_typing.get().is_some()>
                <div class="typing" role="status">
                    {text(move || t.get().typing(&chat.agent_typing.get().unwrap_or_default()))}
                </div>
            </When>
            <When when=waiting>
                <div class="waiting" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    <p>
                        {text(move || lines.with(|l| l.handover.clone()))}
                        <When when=move || expected_wait.with(Option::is_some)>
                            <small>{text(move || expected_wait.get().unwrap_or_default())}</small>
                        </When>
                    </p>
                </div>
                <When when=ask_email>
                    <EmailPrompt
                        t=t
                        saved=Derived::new(move || chat.profile.with(|p| p.email.clone()))
                        verified=Derived::new(move || chat.profile.with(|p| p.verified()))
                        give=give_email
                    />
                </When>
            </When>
            <When when=left_message>
                <div class="banner" role="status">{say(t, |t| t.message_left)}</div>
            </When>
            <When when=offer_form>
                <ContactForm
                    t=t
                    send=leave_message
                    asked=last_asked()
                    put_aside=move || put_aside.set(offer_seq.get_untracked())
                />
            </When>
            <When when=with_human>
                <div class="banner" role="status">{say(t, |t| t.with_human)}</div>
            </When>
            // A new card for a new chat to rate, never the old one patched.
            {move || rating_card.get().map(|(ticket, with)| Fresh::new(view! {
                <RatingCard ticket with t=t
                    rate=move |r| { rate(r); after_card() }
                    skip=move || { skipped.set(Some(ticket)); after_card() }/>
            }))}
            <When when=move || chat.notice.get().is_some()>
                <div class="notice" role="alert">{text(move || chat.notice.get().map(|c| t.get().refusal(c).to_owned()).unwrap_or_default())}</div>
            </When>
            <When when=move || show_human_button() && rating_card.with(Option::is_none)>
                <button class="human" type="button" on:click=act(ask_human)>{say(t, |t| t.talk_to_human)}</button>
            </When>
            <When when=closed_for_good>
                // The timeline already says it has ended: here is what to do next.
                <div class="restart">
                    <button class="human" type="button" on:click=act(move |_: MouseEvent| start_again.run(()))>{say(t, |t| t.new_conversation)}</button>
                </div>
            </When>
            <When when=move || !closed_for_good() && !offer_form()>
                <Composer send typing input t=t/>
            </When>
        </div>
    }
}

/// The user id and token of a page's signed `identify`.
fn signed_in(frame: Option<&shared::protocol::ClientFrame>) -> Option<(String, String)> {
    match frame? {
        shared::protocol::ClientFrame::Identify { user_id: Some(u), token: Some(t), .. } => {
            Some((u.clone(), t.clone()))
        }
        _ => None,
    }
}

/// Host-page events for a live item.
fn announce(hooks: &Hooks, item: &Item) {
    match &item.body {
        ItemBody::Message(m) => {
            let author = match &m.author {
                Author::Visitor => "visitor",
                Author::Bot => "bot",
                Author::Agent(_) => "agent",
            };
            hooks.emit("message", &[("author", author), ("text", &m.text)]);
        }
        ItemBody::Event(Event::Escalated { .. }) => hooks.emit("escalated", &[]),
        ItemBody::Event(Event::AgentJoined { agent, .. }) => {
            hooks.emit("agent_joined", &[("name", &agent.name)]);
        }
        // Notes never reach a visitor's socket.
        ItemBody::Note(_) | ItemBody::Event(_) => {}
    }
}

/// The message box grows with what is written (up to its CSS max-height, then it scrolls).
fn grow(input: Grab) {
    if let Some(el) = input.get_untracked() {
        let _ = el.set_attribute("style", "height:auto");
        let height = el.scroll_height() + 2;
        let _ = el.set_attribute("style", &format!("height:{height}px"));
    }
}

/// The draft goes to the team at most this often while the visitor types.
const PEEK_EVERY_MS: f64 = 600.0;
/// Quiet this long: no longer typing.
const TYPING_IDLE_MS: u64 = 3_000;

#[component]
fn Composer(
    send: impl Fn(String) + Copy + 'static,
    /// Typing or not, with the draft so far.
    typing: impl Fn(bool, Option<String>) + Copy + 'static,
    input: Grab,
    t: Words,
) -> impl IntoView {
    let draft = Cell::new(String::new());
    // When the draft was last sent and last changed, and whether "typing" is on.
    let peeked_at = Kept::new(0.0f64);
    let changed_at = Kept::new(0.0f64);
    let on = Kept::new(false);
    let trailing = Kept::new(false);
    let stop = move || {
        if on.get_value() {
            on.set_value(false);
            typing(false, None);
        }
    };
    let typed = move |text: String| {
        let now = js_sys::Date::now();
        changed_at.set_value(now);
        if text.trim().is_empty() {
            return stop();
        }
        if !on.get_value() || now - peeked_at.get_value() >= PEEK_EVERY_MS {
            on.set_value(true);
            peeked_at.set_value(now);
            typing(true, Some(text));
        } else if !trailing.get_value() {
            // The latest words still go, once the pause is over.
            trailing.set_value(true);
            set_timeout(
                move || {
                    // The message box may be gone by now (the chat ended, a form took its
                    // place), and its values with it.
                    if !trailing.alive() {
                        return;
                    }
                    trailing.set_value(false);
                    let latest = draft.get_untracked();
                    if on.get_value() && !latest.trim().is_empty() {
                        peeked_at.set_value(js_sys::Date::now());
                        typing(true, Some(latest));
                    }
                },
                std::time::Duration::from_millis(PEEK_EVERY_MS as u64),
            );
        }
        set_timeout(
            move || {
                if changed_at.alive()
                    && js_sys::Date::now() - changed_at.get_value() >= TYPING_IDLE_MS as f64
                {
                    stop();
                }
            },
            std::time::Duration::from_millis(TYPING_IDLE_MS),
        );
    };
    let submit = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            send(text.trim().to_owned());
            draft.set(String::new());
            stop();
            if let Some(el) = input.get_untracked() {
                let _ = el.remove_attribute("style");
            }
        }
    };
    view! {
        <form class="composer" on:submit=act(move |ev: SubmitEvent| { ev.prevent_default(); submit(); })>
            <textarea
                node_ref=input
                rows="1"
                aria-label=say(t, |t| t.placeholder)
                placeholder=say(t, |t| t.placeholder)
                prop:value=text(move || draft.get())
                on:input=act(move |ev: web_sys::Event| {
                    let text = event_target_value(&ev);
                    draft.set(text.clone());
                    typed(text);
                    grow(input);
                })
                on:keydown=act(move |ev: KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
                    }
                })
            ></textarea>
            <button type="submit">{say(t, |t| t.send)}</button>
        </form>
    }
}

fn initials(name: &str) -> String {
    let first: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    // The browser's upper case: Rust's compiles Unicode's case tables into every download.
    js_sys::JsString::from(first).to_upper_case().into()
}

/// What the newest event of the timeline (a rating aside) means for the panel.
#[derive(Clone, Copy, PartialEq)]
enum Latest {
    /// Asked for a person, with the usual wait when the site knows it.
    Waiting(Option<u32>),
    /// Asked for a person while nobody could answer: a message was left.
    LeftMessage,
    /// Closed for being quiet.
    EndedIdle,
    Other,
}

impl Latest {
    fn of(e: &Event) -> Latest {
        match e {
            Event::Escalated { offline: true, .. } => Latest::LeftMessage,
            Event::Escalated { expected_wait_secs, .. } => Latest::Waiting(*expected_wait_secs),
            Event::Ended { by: EndedBy::Idle, .. } => Latest::EndedIdle,
            _ => Latest::Other,
        }
    }
}

fn is_rating(e: &Event) -> bool {
    matches!(e, Event::RatingAsked { .. } | Event::Rated { .. })
}

/// "How was your chat with Ana?": 1 to 5 stars and optional words, after a hand-back.
#[component]
fn RatingCard(
    ticket: u32,
    with: String,
    t: Words,
    rate: impl Fn((u32, u8, String)) + Copy + 'static,
    skip: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let score = Cell::new(0u8);
    let comment = Cell::new(String::new());
    // Sent once: a rating is given once, and a second click would only be refused.
    let sent = Cell::new(false);
    let star = move |n: u8| {
        view! {
            <button type="button" class="star" class:lit=flag(move || n <= score.get())
                aria-pressed=text(move || if score.get() == n { "true" } else { "false" }.to_owned())
                aria-label=text(move || t.get().rate_star(n))
                on:click=act(move |_: MouseEvent| score.set(n))>"★"</button>
        }
    };
    let prompt = move || t.get().rate_prompt(&with);
    let chosen = move || score.get() != 0;
    view! {
        <form class="rating" on:submit=act(move |ev: SubmitEvent| {
            ev.prevent_default();
            if score.get_untracked() > 0 && !sent.get_untracked() {
                sent.set(true);
                rate((ticket, score.get_untracked(), comment.get_untracked()));
            }
        })>
            <fieldset>
                <legend>{text(prompt)}</legend>
                <div class="stars" role="group">
                    // Five of one type, not a list: a list is tachys' list code to download.
                    {(star(1), star(2), star(3), star(4), star(5))}
                </div>
                <When when=chosen>
                    <label>{say(t, |t| t.rate_comment)}
                        <textarea name="comment" rows="2" maxlength="1000" prop:value=text(move || comment.get())
                            on:input=act(move |ev: web_sys::Event| comment.set(event_target_value(&ev)))></textarea>
                    </label>
                </When>
                <div class="actions">
                    <button type="button" class="quiet" on:click=act(move |_: MouseEvent| skip())>{say(t, |t| t.rate_skip)}</button>
                    <button type="submit" disabled=flag(move || !chosen() || sent.get())>{say(t, |t| t.rate_send)}</button>
                </div>
            </fieldset>
        </form>
    }
}

/// How long an offer of the contact form stays open across reloads.
const OFFER_FRESH_MS: Millis = 30 * 60 * 1000;

/// What the out-of-hours form sends.
pub struct Form {
    pub name: String,
    pub email: String,
    pub text: String,
}

/// Outside business hours: name, email and message for the team, who answer by email.
#[component]
fn ContactForm(
    t: Words,
    send: impl Fn(Form) + Copy + 'static,
    /// What the visitor last asked: the team's message starts from it.
    asked: String,
    /// Back to the assistant without leaving a message.
    put_aside: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let (name, email, message) =
        (Cell::new(String::new()), Cell::new(String::new()), Cell::new(asked));
    let field =
        |value: Cell<String>| act(move |ev: web_sys::Event| value.set(event_target_value(&ev)));
    view! {
        <form class="contact" on:submit=act(move |ev: SubmitEvent| {
            ev.prevent_default();
            let form = Form { name: name.get_untracked(), email: email.get_untracked(), text: message.get_untracked() };
            if !form.name.trim().is_empty() && !form.email.trim().is_empty() && !form.text.trim().is_empty() {
                send(form);
            }
        })>
            <label>{say(t, |t| t.name_label)}
                <input name="name" autocomplete="name" required prop:value=text(move || name.get()) on:input=field(name)/>
            </label>
            <label>{say(t, |t| t.email_label)}
                <input name="email" type="email" autocomplete="email" required prop:value=text(move || email.get()) on:input=field(email)/>
            </label>
            <label>{say(t, |t| t.message_label)}
                <textarea name="message" rows="3" required prop:value=text(move || message.get()) on:input=field(message)></textarea>
            </label>
            <div class="actions">
                <button type="button" class="quiet" on:click=act(move |_: MouseEvent| put_aside())>{say(t, |t| t.keep_chatting)}</button>
                <button type="submit">{say(t, |t| t.send)}</button>
            </div>
        </form>
    }
}

/// While waiting for a person: an email the team can reply to if the visitor leaves. Once
/// given, a line says where replies will go, with a way to change it (not for a visitor the
/// site signed in: theirs is the site's).
#[component]
fn EmailPrompt(
    t: Words,
    saved: Derived<Option<String>>,
    verified: Derived<bool>,
    give: Call<String>,
) -> impl IntoView {
    let editing = Cell::new(false);
    let draft = Cell::new(String::new());
    // The address the server took ends the editing.
    let before = Kept::new(None::<Option<String>>);
    effect(move || {
        let now = saved.get();
        if before.update_value(|b| b.replace(now.clone())).is_some_and(|b| b != now) {
            editing.set(false);
        }
    });
    let asking = move || saved.with(Option::is_none) || editing.get();
    move || {
        if asking() {
            view! {
                <form class="email-ask" on:submit=act(move |ev: SubmitEvent| {
                    ev.prevent_default();
                    let email = draft.get_untracked().trim().to_owned();
                    if !email.is_empty() {
                        give.run(email);
                    }
                })>
                    <label>{say(t, |t| t.email_ask)}
                        <input name="email" type="email" autocomplete="email" required maxlength="254"
                            prop:value=text(move || draft.get()) on:input=act(move |ev: web_sys::Event| draft.set(event_target_value(&ev)))/>
                    </label>
                    <button type="submit">{say(t, |t| t.email_save)}</button>
                </form>
            }
            .into_any()
        } else {
            view! {
                <p class="email-saved">
                    {text(move || t.get().email_saved(&saved.get().unwrap_or_default()))}
                    <When when=move || !verified.get()>
                        " "
                        <button type="button" class="link" on:click=act(move |_: MouseEvent| {
                            draft.set(saved.get_untracked().unwrap_or_default());
                            editing.set(true);
                        })>{say(t, |t| t.email_change)}</button>
                    </When>
                </p>
            }
            .into_any()
        }
    }
}

/// A line of the timeline.
enum Row {
    Item(Item),
    /// The assistant's answer as it is written.
    Draft,
    Pending(Pending),
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum RowKey {
    Seq(u64),
    Draft,
    Pending(String),
}

impl Row {
    fn key(&self) -> RowKey {
        match self {
            Row::Item(i) => RowKey::Seq(i.seq),
            Row::Draft => RowKey::Draft,
            Row::Pending(p) => RowKey::Pending(p.client_id.clone()),
        }
    }
}

/// The lines an owner can reword, in the visitor's language: the owner's, else the widget's.
#[derive(Clone, PartialEq)]
struct Lines {
    greeting: String,
    handover: String,
    out_of_hours: String,
    /// Templates with `{name}`.
    joined: String,
    left: String,
    unclaimed: String,
}

impl Lines {
    fn new(own: custom_texts::Texts, t: &Texts) -> Lines {
        let or = |own: Option<String>, default: &str| own.unwrap_or_else(|| default.to_owned());
        Lines {
            greeting: or(own.greeting, t.greeting),
            handover: or(own.handover, t.waiting),
            out_of_hours: or(own.out_of_hours, t.out_of_hours),
            joined: or(own.joined, t.joined),
            left: or(own.left, t.left),
            unclaimed: or(own.unclaimed, t.unclaimed),
        }
    }
}

/// One stored item as a line of the timeline, drawn once (keyed, it is never redrawn).
fn timeline_item(item: Item, t: Words, lines: Derived<Lines>) -> Fresh {
    match item.body {
        ItemBody::Note(_) => Fresh::new(()),
        ItemBody::Message(m) => match m.author {
            Author::Visitor => Fresh::new(view! { <li class="bubble visitor">{m.text}</li> }),
            Author::Bot => Fresh::new(view! {
                <li class="bubble bot"><span class="who">{say(t, |t| t.assistant)}</span>{m.text}</li>
            }),
            Author::Agent(a) => Fresh::new(view! {
                <li class="bubble agent">
                    <span class="avatar" aria-hidden="true">{initials(&a.name)}</span>
                    <span class="who">{a.name.clone()}</span>
                    {m.text}
                </li>
            }),
        },
        // Asking for a rating shows as the card, not as a line; a reopened chat just goes on.
        // Channel events belong to a visitor on a messaging channel, never to the widget.
        ItemBody::Event(
            Event::RatingAsked { .. }
            | Event::Reopened { .. }
            | Event::ChannelUnsupported { .. }
            | Event::ChannelUndelivered { .. },
        ) => Fresh::new(()),
        ItemBody::Event(e) => {
            let line = move || {
                let t = t.get();
                let joined = |name: &str| lines.with(|l| fill(&l.joined, name));
                let left = |name: &str| lines.with(|l| fill(&l.left, name));
                match &e {
                    Event::Escalated { offline: true, .. } => t.you_left_message.to_owned(),
                    Event::Escalated { by: EscalatedBy::Visitor, .. } => t.you_asked.to_owned(),
                    Event::Escalated { .. } => t.handed_over.to_owned(),
                    Event::AgentJoined { agent, .. } => joined(&agent.name),
                    Event::Reassigned { to, .. } => joined(&to.name),
                    Event::AgentLeft { agent } | Event::Requeued { agent } => left(&agent.name),
                    Event::AiResumed { .. } => t.ai_resumed.to_owned(),
                    Event::Ended { by: EndedBy::Idle, .. } => t.idle_closed.to_owned(),
                    Event::Ended { .. } => t.ended.to_owned(),
                    Event::Rated { score, .. } => t.rated(*score),
                    Event::RatingAsked { .. }
                    | Event::Reopened { .. }
                    | Event::ChannelUnsupported { .. }
                    | Event::ChannelUndelivered { .. } => String::new(),
                    Event::OutOfHours { unstaffed: true, .. } => t.nobody_available.to_owned(),
                    Event::OutOfHours { back_at, .. } => {
                        let away = lines.with(|l| l.out_of_hours.clone());
                        match back_at.filter(|at| *at > js_sys::Date::now() as Millis) {
                            Some(at) => {
                                let (day, time) = when::day_and_time(t.code, at);
                                format!("{away} {}", t.back_at(&day, &time))
                            }
                            None => away,
                        }
                    }
                    Event::Unclaimed => lines.with(|l| l.unclaimed.clone()),
                }
            };
            Fresh::new(view! { <li class="event">{text(line)}</li> })
        }
    }
}
