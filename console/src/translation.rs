//! The conversation in the teammate's language: with a model configured, a teammate who does
//! not read the visitor's language turns on "Show in <their language>" and every message of
//! the visitor and the AI is shown translated, its original kept beneath. Nothing is stored:
//! the translations live in this page, asked one at a time, newest first.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::AssistRequest;
use shared::llm::Assist;
use shared::protocol::{Author, Item, ItemBody, Seq};

use crate::api;

/// Remembered across conversations: a teammate who reads no German wants every German
/// conversation translated.
const PREFERENCE: &str = "takeover.translate";

/// The teammate's language: the primary subtag of the browser's ("de" of "de-AT").
pub fn mine() -> String {
    let tag = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    let valid = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    if valid { primary } else { "en".to_owned() }
}

/// Whether `tag` ("en-GB", "en") is the teammate's language.
pub fn is_mine(tag: &str) -> bool {
    tag.split(['-', '_']).next().is_some_and(|p| p.eq_ignore_ascii_case(&mine()))
}

/// A language's English name ("German" for "de"), the code itself where the browser has none.
pub fn name(code: &str) -> String {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"type".into(), &"language".into());
    let locales = js_sys::Array::of1(&"en".into());
    let names = js_sys::Intl::DisplayNames::new(&locales, &options);
    names.of(code).map(String::from).unwrap_or_else(|| code.to_owned())
}

/// One message's translation.
#[derive(Clone, PartialEq)]
pub enum Shown {
    Asking,
    Done(String),
    Failed(String),
}

/// The translations of one conversation's messages, and whether they are wanted.
#[derive(Clone, Copy)]
pub struct Translations {
    pub on: RwSignal<bool>,
    got: RwSignal<HashMap<Seq, Shown>>,
    busy: StoredValue<bool>,
}

impl Translations {
    /// Follows `items`: while on, each message of the visitor or the AI not yet translated is
    /// asked for, one at a time, the newest first; a failure stops the run (a limit reached
    /// would fail the rest too), and turning it on again retries.
    pub fn follow(
        conversation: String,
        items: RwSignal<Vec<Item>>,
        csrf: Signal<String>,
        wanted: Signal<bool>,
    ) -> Self {
        let stored = crate::app::storage().and_then(|s| s.get_item(PREFERENCE).ok().flatten());
        let tr = Translations {
            on: RwSignal::new(stored.as_deref() == Some("on")),
            got: RwSignal::new(HashMap::new()),
            busy: StoredValue::new(false),
        };
        let conversation = StoredValue::new(conversation);
        Effect::new(move |_| {
            if tr.on.get() && wanted.get() {
                let _ = items.with(Vec::len);
                tr.next(conversation, items, csrf);
            }
        });
        tr
    }

    pub fn set(&self, on: bool) {
        if let Some(s) = crate::app::storage() {
            let _ = s.set_item(PREFERENCE, if on { "on" } else { "off" });
        }
        if on {
            self.got.update(|g| g.retain(|_, s| !matches!(s, Shown::Failed(_))));
        }
        self.on.set(on);
    }

    /// What is shown for the message `seq`, while on.
    pub fn of(&self, seq: Seq) -> Signal<Option<Shown>> {
        let (on, got) = (self.on, self.got);
        Signal::derive(move || on.get().then(|| got.with(|g| g.get(&seq).cloned())).flatten())
    }

    fn next(
        self,
        conversation: StoredValue<String>,
        items: RwSignal<Vec<Item>>,
        csrf: Signal<String>,
    ) {
        if self.busy.get_value() || !self.on.get_untracked() {
            return;
        }
        let stopped =
            self.got.with_untracked(|g| g.values().any(|s| matches!(s, Shown::Failed(_))));
        if stopped {
            return;
        }
        let wanted = items.with_untracked(|all| {
            all.iter().rev().find_map(|i| match &i.body {
                ItemBody::Message(m)
                    if matches!(m.author, Author::Visitor | Author::Bot)
                        && self.got.with_untracked(|g| !g.contains_key(&i.seq)) =>
                {
                    Some(i.seq)
                }
                _ => None,
            })
        });
        let Some(seq) = wanted else { return };
        self.busy.set_value(true);
        self.got.update(|g| {
            g.insert(seq, Shown::Asking);
        });
        spawn_local(async move {
            let ask = AssistRequest {
                action: Assist::TranslateForTeam,
                text: String::new(),
                seq: Some(seq),
                language: Some(mine()),
            };
            let id = conversation.get_value();
            let answer = api::assist(&csrf.get_untracked(), &id, &ask).await;
            let shown = match answer {
                Ok(reply) => Shown::Done(reply.text),
                Err(e) => Shown::Failed(e),
            };
            if self.got.try_update(|g| g.insert(seq, shown)).is_none() {
                return; // The conversation was closed meanwhile.
            }
            self.busy.set_value(false);
            self.next(conversation, items, csrf);
        });
    }
}

/// "Show in German": the switch, for a conversation in another language than the teammate's.
#[component]
pub fn Toggle(tr: Translations, language: String) -> impl IntoView {
    let label = format!("Show in {}", name(&mine()));
    let title = format!(
        "The visitor writes {}: translate their messages and the AI's for you (nothing is stored)",
        name(&language)
    );
    view! {
        <label class="translate-toggle" title=title>
            <input type="checkbox" prop:checked=move || tr.on.get()
                on:change=move |e| tr.set(event_target_checked(&e))/>
            {label}
        </label>
    }
}

/// Under a message: its translation, or why there is none.
pub fn under(shown: Signal<Option<Shown>>) -> impl IntoView {
    move || match shown.get() {
        Some(Shown::Done(text)) => {
            Some(view! { <span class="translation" lang=mine()>{text}</span> }.into_any())
        }
        Some(Shown::Asking) => {
            Some(view! { <small class="translating">"Translating…"</small> }.into_any())
        }
        Some(Shown::Failed(e)) => Some(
            view! { <small class="translating failed">{format!("Not translated: {e}")}</small> }
                .into_any(),
        ),
        None => None,
    }
}
