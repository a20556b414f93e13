//! The panel's small building blocks, each compiled once: the view code Leptos generates is
//! per type, and a closure or a `<Show>` per use is a copy of it that every visitor downloads.

use std::any::Any;
use std::marker::PhantomData;

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

/// A signal whose value is kept erased: Leptos compiles a signal's code (the arena, tracking,
/// notifying, dropping) once per value type, and the chat's state has a dozen types. Every
/// `Cell` shares one copy; only the cast back to `T` is per type.
pub struct Cell<T> {
    signal: RwSignal<Box<dyn Any + Send + Sync>>,
    of: PhantomData<fn() -> T>,
}

impl<T> Clone for Cell<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Cell<T> {}

impl<T: Any + Send + Sync> Cell<T> {
    pub fn new(value: T) -> Self {
        Cell { signal: RwSignal::new(Box::new(value)), of: PhantomData }
    }

    pub fn with<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        self.signal.with(|value| read(cast(&**value)))
    }

    pub fn with_untracked<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        self.signal.with_untracked(|value| read(cast(&**value)))
    }

    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }

    pub fn get_untracked(&self) -> T
    where
        T: Clone,
    {
        self.with_untracked(T::clone)
    }

    pub fn set(&self, value: T) {
        self.signal.set(Box::new(value));
    }

    pub fn update(&self, change: impl FnOnce(&mut T)) {
        self.signal.update(|value| {
            if let Some(value) = (**value).downcast_mut() {
                change(value);
            }
        });
    }

    pub fn track(&self) {
        self.signal.track();
    }
}

/// Every `Cell<T>` is made holding a `T` and only ever set to one.
fn cast<T: Any>(value: &(dyn Any + Send + Sync)) -> &T {
    match value.downcast_ref() {
        Some(value) => value,
        None => unreachable!(),
    }
}
