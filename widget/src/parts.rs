//! The panel's small building blocks, each compiled once: the view code Leptos generates is
//! per type, and a closure or a `<Show>` per use is a copy of it that every visitor downloads.

use leptos::prelude::*;

use crate::i18n::Texts;

/// One of the visitor's strings, following the language. Every text and label of the panel
/// shares this one closure type, so the reactive code behind them is compiled once, not once
/// for each (every visitor downloads each copy).
pub fn say(
    t: Signal<&'static Texts>,
    pick: fn(&Texts) -> &'static str,
) -> impl Fn() -> &'static str + Copy {
    move || pick(t.get())
}

/// `<Show>`, compiled once for the whole panel: its condition and its children arrive erased,
/// where `<Show>` is compiled anew for each use (and every visitor downloads each copy).
#[component]
pub fn When(#[prop(into)] when: Signal<bool>, children: ChildrenFn) -> impl IntoView {
    let when = Memo::new(move |_| when.get());
    move || when.get().then(|| children())
}

/// `Effect::new`, compiled once for every effect of the panel: each arrives boxed.
pub fn effect(run: impl FnMut() + 'static) {
    Effect::new(Box::new(run) as Box<dyn FnMut()>);
}
