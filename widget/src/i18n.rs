//! The widget's strings: English built in, another language fetched from the edge once the
//! visitor's browser or words call for it (`shared::widget_texts` holds them all).

use std::cell::RefCell;

use leptos::prelude::{Track, Trigger};
use shared::texts::primary;
pub use shared::widget_texts::Texts;
use shared::widget_texts::{CODES, ENGLISH};

use crate::parts::Derived;

thread_local! {
    /// Each language fetched on this page, once.
    static LOADED: RefCell<Vec<&'static Texts>> = const { RefCell::new(Vec::new()) };
    /// Languages on their way: asked for once at a time.
    static ASKED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The panel's strings in the conversation's language, read reactively: new when the language
/// changes and when another language's strings arrive. Looked up on each read, not kept: the
/// lookup is a short scan, and a kept value would be one more signal type to download.
#[derive(Clone, Copy)]
pub struct Words {
    pub lang: Derived<String>,
    pub fetched: Trigger,
}

impl Words {
    pub fn get(&self) -> &'static Texts {
        self.fetched.track();
        self.lang.with(|tag| texts(tag))
    }
}

/// The strings for a BCP 47 tag such as `pt-BR`, by its primary subtag, once fetched; English
/// until then, and for a language the widget does not speak.
pub fn texts(tag: &str) -> &'static Texts {
    let primary = primary(tag);
    LOADED.with_borrow(|all| all.iter().find(|t| t.code == primary).copied()).unwrap_or(&ENGLISH)
}

/// Whether `tag` names a language the widget speaks whose strings are not here yet.
pub fn missing(tag: &str) -> bool {
    let primary = primary(tag);
    CODES.contains(&primary.as_str()) && texts(tag).code != primary
}

/// Fetches the strings for `tag`; `true` once they are here (`false` when they could not be
/// fetched, or are being fetched already).
pub async fn load(base: &str, tag: &str) -> bool {
    let code = primary(tag);
    if ASKED.with_borrow(|asked| asked.contains(&code)) {
        return false;
    }
    ASKED.with_borrow_mut(|asked| asked.push(code.clone()));
    let answer = crate::api::texts(base, &code).await;
    ASKED.with_borrow_mut(|asked| asked.retain(|c| *c != code));
    match answer {
        Ok(texts) => {
            if missing(texts.code) {
                LOADED.with_borrow_mut(|all| all.push(Box::leak(Box::new(texts))));
            }
            true
        }
        Err(e) => {
            leptos::logging::warn!("{e}");
            false
        }
    }
}
