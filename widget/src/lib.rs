//! The visitor widget. The loader (`loader/embed.js`) draws the launcher at once and imports
//! this module only when the chat is needed; [`mount`] then renders the panel into a div
//! inside the loader's shadow root.

mod api;
mod app;
mod conn;
mod text;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

thread_local! {
    static OPEN: std::cell::Cell<Option<RwSignal<bool>>> = const { std::cell::Cell::new(None) };
}

/// Renders the chat panel into `container` for the site `site_key` served from `base`.
#[wasm_bindgen]
pub fn mount(container: web_sys::HtmlElement, site_key: String, base: String) {
    console_error_panic_hook::set_once();
    let open = RwSignal::new(false);
    OPEN.with(|o| o.set(Some(open)));
    leptos::mount::mount_to(container, move || view! { <app::App site_key base open/> }).forget();
}

/// Opens or closes the panel; the loader's launcher and JS API call this.
#[wasm_bindgen]
pub fn set_open(value: bool) {
    if let Some(open) = OPEN.with(|o| o.get()) {
        open.set(value);
    }
}
