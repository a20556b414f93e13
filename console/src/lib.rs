//! The agents' console. `edge/admin/index.html` imports this module and calls [`start`]; the
//! console then talks to the same API and sockets as any client: the session cookie and CSRF
//! token for HTTP, the inbox socket for the live list, one socket per open conversation.

mod account;
mod alerts;
mod api;
mod app;
mod availability;
mod channels;
mod conversation;
mod engine;
mod faq;
mod hooks;
mod inbox;
mod invites;
mod keys;
mod links;
mod login;
mod look;
mod mail_prefs;
mod reach;
mod route;
mod rules;
mod secrets;
mod section;
mod settings;
mod team;
mod tickets;
mod time;
mod translation;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn start() {
    console_error_panic_hook::set_once();
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    leptos::mount::mount_to(root, app::App).forget();
}
