//! `Fresh`: a view erased like tachys' `AnyView`, but drawn anew rather than patched when
//! its place is drawn again.
//!
//! `AnyView` keeps, for every type it erases, the code to patch an old drawing of that type
//! into a new one (`rebuild`), and so does every part of that type, down to each attribute.
//! The panel's conditional parts (`When`), the timeline's lines and the rating card are
//! never patched: a `When` shows its children when its condition turns true and drops them
//! when it turns false, a keyed line is drawn once, and a new rating card is a new card. Their
//! patching code was downloaded by every visitor and never run. A `Fresh` that is drawn again
//! anyway (a condition reporting the same value twice) draws itself anew in the old one's
//! place, which is correct, only slower.

use std::sync::Arc;

use leptos::children::ToChildren;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::renderer::Rndr;
use leptos::tachys::renderer::types::{Element, Node};
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Mountable, Position, PositionState, Render, RenderHtml};

/// A view, erased, to be drawn once.
pub struct Fresh(Box<dyn FnOnce() -> Drawn + Send>);

/// What a `Fresh` drew.
pub struct Drawn(Box<dyn Mountable>);

impl Fresh {
    pub fn new<V>(view: V) -> Fresh
    where
        V: RenderHtml + 'static,
        V::State: 'static,
    {
        Fresh(Box::new(move || {
            // A view of no nodes (a note in the timeline) stands as an empty comment, as in
            // `AnyView`: a line drawn before it later needs a node to stand before.
            if V::EXISTS {
                Drawn(Box::new(view.build()))
            } else {
                Drawn(Box::new(Rndr::create_placeholder()))
            }
        }))
    }
}

impl Mountable for Drawn {
    fn unmount(&mut self) {
        self.0.unmount();
    }

    fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
        self.0.mount(parent, marker);
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        self.0.insert_before_this(child)
    }

    fn elements(&self) -> Vec<Element> {
        self.0.elements()
    }
}

impl Render for Fresh {
    type State = Drawn;

    fn build(self) -> Drawn {
        (self.0)()
    }

    fn rebuild(self, old: &mut Drawn) {
        let mut new = self.build();
        // Every `Fresh` has a node to stand before (an empty one, a placeholder).
        old.insert_before_this(&mut new);
        old.unmount();
        *old = new;
    }
}

impl AddAnyAttr for Fresh {
    type Output<SomeNewAttr: Attribute> = Fresh;

    fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Fresh {
        self
    }
}

/// The widget draws in the browser only: no HTML is rendered on a server, nothing hydrated.
impl RenderHtml for Fresh {
    type AsyncOutput = Fresh;
    type Owned = Fresh;

    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Fresh {
        self
    }

    fn to_html_with_buf(
        self,
        _buf: &mut String,
        _position: &mut Position,
        _escape: bool,
        _mark_branches: bool,
        _extra_attrs: Vec<AnyAttribute>,
    ) {
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        _cursor: &Cursor,
        _position: &PositionState,
    ) -> Drawn {
        self.build()
    }

    fn into_owned(self) -> Fresh {
        self
    }
}

/// Children drawn as `Fresh` each time they are asked for (what `When` shows).
pub struct FreshChildren(Arc<dyn Fn() -> Fresh + Send + Sync>);

impl FreshChildren {
    pub fn draw(&self) -> Fresh {
        (self.0)()
    }
}

impl<F, C> ToChildren<F> for FreshChildren
where
    F: Fn() -> C + Send + Sync + 'static,
    C: RenderHtml + 'static,
    C::State: 'static,
{
    fn to_children(f: F) -> Self {
        FreshChildren(Arc::new(move || Fresh::new(f())))
    }
}
