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
    Some(shared::texts::primary(&tag))
        .filter(|p| shared::api::is_language_code(p))
        .unwrap_or_else(|| "en".into())
}

/// Whether `tag` ("en-GB", "en") is the teammate's language.
pub fn is_mine(tag: &str) -> bool {
    shared::texts::primary(tag) == mine()
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
}

/// How many of the newest messages are translated: what a teammate reads to catch up, within
/// the limit of 120 a minute.
const NEWEST: usize = 20;

/// The translations of one conversation's messages, and whether they are wanted.
#[derive(Clone, Copy)]
pub struct Translations {
    pub on: RwSignal<bool>,
    /// Whether the conversation is in another language than the teammate's, with a model.
    wanted: Signal<bool>,
    got: RwSignal<HashMap<Seq, Shown>>,
    /// Why the last one failed: the run stops there until the teammate tries again.
    pub failed: RwSignal<Option<String>>,
    busy: StoredValue<bool>,
    conversation: StoredValue<String>,
    items: RwSignal<Vec<Item>>,
    csrf: Signal<String>,
}

impl Translations {
    /// Follows `items`: while on and wanted, each of the newest messages of the visitor or the
    /// AI not yet translated is asked for, one at a time, the newest first (kept for the
    /// browser's session, so reopening the conversation asks nothing again).
    pub fn follow(
        conversation: String,
        items: RwSignal<Vec<Item>>,
        csrf: Signal<String>,
        wanted: Signal<bool>,
    ) -> Self {
        let stored = crate::app::storage().and_then(|s| s.get_item(PREFERENCE).ok().flatten());
        let tr = Translations {
            on: RwSignal::new(stored.as_deref() == Some("on")),
            wanted,
            got: RwSignal::new(HashMap::new()),
            failed: RwSignal::new(None),
            busy: StoredValue::new(false),
            conversation: StoredValue::new(conversation),
            items,
            csrf,
        };
        Effect::new(move |_| {
            if tr.on.get() && wanted.get() && tr.failed.with(Option::is_none) {
                let _ = items.with(Vec::len);
                tr.next();
            }
        });
        tr
    }

    pub fn set(&self, on: bool) {
        if let Some(s) = crate::app::storage() {
            let _ = s.set_item(PREFERENCE, if on { "on" } else { "off" });
        }
        self.failed.set(None);
        self.on.set(on);
    }

    /// After a failure: ask again from where it stopped.
    pub fn retry(&self) {
        self.failed.set(None);
    }

    /// What is shown for the message `seq`, while on.
    pub fn of(&self, seq: Seq) -> Signal<Option<Shown>> {
        let (on, wanted, got) = (self.on, self.wanted, self.got);
        Signal::derive(move || {
            (on.get() && wanted.get()).then(|| got.with(|g| g.get(&seq).cloned())).flatten()
        })
    }

    fn next(self) {
        if self.busy.get_value() || !self.on.get_untracked() || !self.wanted.get_untracked() {
            return;
        }
        let newest: Vec<Seq> = self.items.with_untracked(|all| {
            all.iter()
                .rev()
                .filter(|i| {
                    matches!(&i.body, ItemBody::Message(m) if matches!(m.author, Author::Visitor | Author::Bot))
                })
                .take(NEWEST)
                .map(|i| i.seq)
                .collect()
        });
        let language = mine();
        let conversation = self.conversation.get_value();
        let key = |seq: Seq| format!("takeover.translated.{conversation}.{seq}.{language}");
        let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
        let mut wanted = None;
        for seq in newest {
            if self.got.with_untracked(|g| g.contains_key(&seq)) {
                continue;
            }
            let kept = session.as_ref().and_then(|s| s.get_item(&key(seq)).ok().flatten());
            match kept {
                Some(text) => self.got.update(|g| {
                    g.insert(seq, Shown::Done(text));
                }),
                None => {
                    wanted = Some(seq);
                    break;
                }
            }
        }
        let Some(seq) = wanted else { return };
        self.busy.set_value(true);
        self.got.update(|g| {
            g.insert(seq, Shown::Asking);
        });
        let ask = AssistRequest {
            action: Assist::TranslateForTeam,
            text: String::new(),
            seq: Some(seq),
            language: Some(language.clone()),
        };
        let (csrf, key) = (self.csrf.get_untracked(), key(seq));
        spawn_local(async move {
            let answer = api::assist(&csrf, &conversation, &ask).await;
            let done = self.got.try_update(|g| match answer {
                Ok(reply) => {
                    if let Some(s) = &session {
                        let _ = s.set_item(&key, &reply.text);
                    }
                    g.insert(seq, Shown::Done(reply.text));
                    None
                }
                Err(e) => {
                    g.remove(&seq);
                    Some(e)
                }
            });
            // The conversation was closed meanwhile: nothing is left to update.
            let Some(failed) = done else { return };
            self.busy.set_value(false);
            match failed {
                Some(e) => self.failed.set(Some(e)),
                None => self.next(),
            }
        });
    }
}

/// "Show in German": the switch, for a conversation in another language than the teammate's,
/// and why translating stopped, with a way to go on.
#[component]
pub fn Toggle(tr: Translations, language: String) -> impl IntoView {
    let label = format!("Show in {}", name(&mine()));
    let title = format!(
        "The visitor writes {}: translate their messages and the AI's for you (nothing is stored)",
        name(&language)
    );
    view! {
        <p class="translate-toggle">
            <label title=title>
                <input type="checkbox" prop:checked=move || tr.on.get()
                    on:change=move |e| tr.set(event_target_checked(&e))/>
                {label}
            </label>
            {move || tr.failed.get().filter(|_| tr.on.get()).map(|e| view! {
                <span class="error" role="alert">{format!("Translation stopped: {e}")}</span>
                <button type="button" class="link" on:click=move |_| tr.retry()>"Try again"</button>
            })}
        </p>
    }
}

/// Under a message: its translation, or that it is on its way.
pub fn under(shown: Signal<Option<Shown>>) -> impl IntoView {
    move || match shown.get() {
        Some(Shown::Done(text)) => {
            Some(view! { <span class="translation" lang=mine()>{text}</span> }.into_any())
        }
        Some(Shown::Asking) => {
            Some(view! { <small class="translating">"Translating…"</small> }.into_any())
        }
        None => None,
    }
}
