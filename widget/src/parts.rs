//! The panel's small building blocks, each compiled once: the view code Leptos generates is
//! per type, and a closure or a `<Show>` per use is a copy of it that every visitor downloads.

use std::any::Any;
use std::marker::PhantomData;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::tachys::html::element::ElementType;
use leptos::tachys::html::node_ref::NodeRefContainer;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

use crate::fresh::FreshChildren;
use crate::i18n::{Texts, Words};

/// One of the visitor's strings, following the language. Every text and label of the panel
/// shares this one closure type, so the reactive code behind them is compiled once, not once
/// for each (every visitor downloads each copy).
pub fn say(t: Words, pick: fn(&Texts) -> &'static str) -> impl Fn() -> &'static str + Copy {
    move || pick(t.get())
}

/// A text of the panel that follows the state, boxed: tachys compiles its code to draw and
/// redraw a reactive text (or attribute, or property) once per closure type, and every boxed
/// closure is the same type.
pub type Text = Box<dyn Fn() -> String + Send + Sync>;

pub fn text(f: impl Fn() -> String + Send + Sync + 'static) -> Text {
    Box::new(f)
}

/// A yes or no of the panel that follows the state (`hidden`, `disabled`, a class), boxed for
/// the reason `Text` is.
pub type Flag = Box<dyn Fn() -> bool + Send + Sync>;

pub fn flag(f: impl Fn() -> bool + Send + Sync + 'static) -> Flag {
    Box::new(f)
}

/// An event handler of the panel, boxed for the reason `Text` is (one type for each kind of
/// event, not one per handler).
pub fn act<E: 'static>(f: impl FnMut(E) + 'static) -> Box<dyn FnMut(E)> {
    Box::new(f)
}

/// `<Show>`, compiled once for the whole panel: its condition and its children arrive erased,
/// where `<Show>` is compiled anew for each use (and every visitor downloads each copy). The
/// children are drawn anew each time the condition turns true (`Fresh`), never patched.
#[component]
pub fn When(#[prop(into)] when: Check, children: FreshChildren) -> impl IntoView {
    let when = Derived::new(move || (when.0)());
    move || when.get().then(|| children.draw())
}

/// A condition, boxed: what `When` is given (a `Signal<bool>` would be a signal type of its own).
pub struct Check(Flag);

impl<F: Fn() -> bool + Send + Sync + 'static> From<F> for Check {
    fn from(check: F) -> Self {
        Check(Box::new(check))
    }
}

/// An element of the panel once drawn (`node_ref`), whatever its type: tachys' `NodeRef` is a
/// signal type per element type. Read reactively: an element drawn later is news.
#[derive(Clone, Copy)]
pub struct Grab(Cell<Option<SendWrapper<web_sys::Element>>>);

impl Grab {
    pub fn new() -> Self {
        Grab(Cell::new(None))
    }

    pub fn get(&self) -> Option<web_sys::Element> {
        self.0.with(|el| el.as_deref().cloned())
    }

    pub fn get_untracked(&self) -> Option<web_sys::Element> {
        self.0.with_untracked(|el| el.as_deref().cloned())
    }

    /// The element as the HTML element it is (to focus it).
    pub fn html(&self, tracked: bool) -> Option<web_sys::HtmlElement> {
        let el = if tracked { self.get() } else { self.get_untracked() };
        el.and_then(|el| el.dyn_into().ok())
    }
}

impl<E: ElementType> NodeRefContainer<E> for Grab {
    fn load(self, el: &web_sys::Element) {
        // Made and read on the page's one thread only.
        self.0.set(Some(SendWrapper::new(el.clone())));
    }
}

/// `Effect::new`, compiled once for every effect of the panel: each arrives boxed.
pub fn effect(run: impl FnMut() + 'static) {
    Effect::new(Box::new(run) as Box<dyn FnMut()>);
}

/// A signal whose value is kept erased: Leptos compiles a signal's code (the arena, tracking,
/// notifying, dropping) once per value type, and the widget's state has a dozen types. Every
/// `Cell` shares one copy; only the cast back to `T` is per type. Reads and writes go through
/// guards, not closures: a closure handed to Leptos is a copy of its code per call site.
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
        read(cast(&**self.signal.read() as &dyn Any))
    }

    pub fn with_untracked<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(cast(&**self.signal.read_untracked() as &dyn Any))
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

    /// Nothing, once the part that made it is gone (as Leptos' own `update`).
    pub fn update(&self, change: impl FnOnce(&mut T)) {
        if let Some(mut value) = self.signal.try_write()
            && let Some(value) = (**value).downcast_mut()
        {
            change(value);
        }
    }

    pub fn track(&self) {
        self.signal.track();
    }
}

/// Every `Cell<T>`, `Derived<T>` and `Kept<T>` is made holding a `T` and only ever set to one.
fn cast<T: Any>(value: &dyn Any) -> &T {
    match value.downcast_ref() {
        Some(value) => value,
        None => unreachable!(),
    }
}

/// A value a memo holds erased, compared by its own type's `==`.
trait Held: Any + Send + Sync {
    fn same(&self, other: &dyn Held) -> bool;
    fn any(&self) -> &(dyn Any + Send + Sync);
}

impl<T: PartialEq + Any + Send + Sync> Held for T {
    fn same(&self, other: &dyn Held) -> bool {
        other.any().downcast_ref::<T>() == Some(self)
    }

    fn any(&self) -> &(dyn Any + Send + Sync) {
        self
    }
}

struct Erased(Box<dyn Held>);

impl PartialEq for Erased {
    fn eq(&self, other: &Self) -> bool {
        self.0.same(&*other.0)
    }
}

/// A memo whose value is kept erased, for the reason `Cell` is: one copy of Leptos' memo code
/// for every value type the panel derives.
pub struct Derived<T> {
    memo: Memo<Erased>,
    of: PhantomData<fn() -> T>,
}

impl<T> Clone for Derived<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Derived<T> {}

fn erased_memo(compute: Box<dyn Fn() -> Erased + Send + Sync>) -> Memo<Erased> {
    Memo::new(move |_| compute())
}

impl<T: PartialEq + Any + Send + Sync> Derived<T> {
    pub fn new(compute: impl Fn() -> T + Send + Sync + 'static) -> Self {
        let memo = erased_memo(Box::new(move || Erased(Box::new(compute()))));
        Derived { memo, of: PhantomData }
    }

    pub fn with<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(cast(self.memo.read().0.any() as &dyn Any))
    }

    pub fn with_untracked<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(cast(self.memo.read_untracked().0.any() as &dyn Any))
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
}

/// A value kept beside the panel, outside the reactive graph (`StoredValue`), erased for the
/// reason `Cell` is. Kept on this thread: it may hold browser objects.
pub struct Kept<T> {
    value: StoredValue<Box<dyn Any>, LocalStorage>,
    of: PhantomData<fn() -> T>,
}

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Kept<T> {}

impl<T: 'static> Kept<T> {
    pub fn new(value: T) -> Self {
        Kept { value: StoredValue::new_local(Box::new(value)), of: PhantomData }
    }

    pub fn with_value<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(cast(&**self.value.read_value()))
    }

    pub fn get_value(&self) -> T
    where
        T: Clone,
    {
        self.with_value(T::clone)
    }

    /// Nothing, once the part that made it is gone (as Leptos' own `set_value`).
    pub fn set_value(&self, value: T) {
        if let Some(mut kept) = self.value.try_write_value() {
            *kept = Box::new(value);
        }
    }

    /// Whether the part that made this value is still drawn (a timer may outlive it).
    pub fn alive(&self) -> bool {
        !self.value.is_disposed()
    }

    pub fn update_value<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        match self.value.write_value().downcast_mut() {
            Some(value) => change(value),
            None => unreachable!(),
        }
    }
}

/// `Callback`, kept as a `Kept` is: a function the panel's parts share, `Copy` to move into
/// each closure that calls it.
pub struct Call<A> {
    run: Kept<Rc<dyn Fn(A)>>,
}

impl<A> Clone for Call<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for Call<A> {}

impl<A: 'static> Call<A> {
    pub fn new(run: impl Fn(A) + 'static) -> Self {
        Call { run: Kept::new(Rc::new(run)) }
    }

    /// Called with no lock held: the function may reach this one again.
    pub fn run(&self, with: A) {
        let run = self.run.get_value();
        run(with);
    }
}
