//! The visitor widget. The loader (`loader/embed.js`) draws the launcher at once and imports
//! this module only when the chat is needed; [`mount`] then renders the panel into a div
//! inside the loader's shadow root.

mod api;
mod app;
mod conn;
mod fresh;
mod hooks;
mod i18n;
mod parts;
mod tabs;
mod when;

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// What the exported functions reach once mounted.
#[derive(Clone, Copy)]
struct Handle {
    open: parts::Cell<bool>,
    identity: parts::Cell<Option<shared::protocol::ClientFrame>>,
}

thread_local! {
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// Renders the chat panel into `container` for the site `site_key` served from `base`.
/// `page` fills the page (the `/chat/KEY` page and iframes); `hooks` is the loader's callbacks.
#[wasm_bindgen]
pub fn mount(
    container: web_sys::HtmlElement,
    site_key: String,
    base: String,
    page: bool,
    hooks: JsValue,
) {
    let home = container.parent_node().unwrap_or_else(|| container.clone().into());
    takeover_client::json::keep_frames_in(home);
    let handle = Handle { open: parts::Cell::new(false), identity: parts::Cell::new(None) };
    HANDLE.with(|h| *h.borrow_mut() = Some(handle));
    let hooks = hooks::Hooks::new(hooks);
    let (open, identity) = (handle.open, handle.identity);
    leptos::mount::mount_to(container, move || {
        view! { <app::App site_key base page open identity hooks/> }
    })
    .forget();
}

/// Opens or closes the panel; the loader's launcher and JS API call this.
#[wasm_bindgen]
pub fn set_open(value: bool) {
    if let Some(h) = HANDLE.with(|h| *h.borrow()) {
        h.open.set(value);
    }
}

/// The host page's `Takeover.identify({ name, email })`, or with `user_id` and `token` (signed
/// by the site's backend) a verified identity.
#[wasm_bindgen]
pub fn identify(
    name: Option<String>,
    email: Option<String>,
    user_id: Option<String>,
    token: Option<String>,
) {
    if let Some(h) = HANDLE.with(|h| *h.borrow()) {
        let frame = shared::protocol::ClientFrame::Identify { name, email, user_id, token };
        h.identity.set(Some(frame));
    }
}
