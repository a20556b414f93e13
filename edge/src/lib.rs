//! The edge: one Worker that serves the JSON API, the WebSocket upgrades, the admin page and
//! the static assets, and two Durable Object classes — one [`conversation::Conversation`] per
//! conversation and one [`site::Site`] per site — plus [`echo::Echo`], the benchmarks' floor.

mod alarm;
mod api;
mod bot;
mod conversation;
mod crypto;
mod eager;
mod echo;
mod http;
mod internal;
mod limits;
mod mail;
mod platform;
mod router;
mod site;
mod sockets;
mod sql;
mod vault;

use worker::{Context, Env, Request, Response, Result, event};

/// A duration set in seconds by the var `name` (tests shorten clocks so), in milliseconds;
/// `None` when unset, unreadable or not positive.
pub fn secs_var(env: &Env, name: &str) -> Option<shared::protocol::Millis> {
    let secs = env.var(name).ok()?.to_string().parse::<i64>().ok()?;
    (secs > 0).then(|| secs.saturating_mul(1000))
}

/// The time in ms since the epoch, as workerd gives it (it moves on only between I/O).
pub fn now() -> shared::protocol::Millis {
    // `Date.now()`, not workers-rs's `Date::now()`, which makes a Date object each call.
    js_sys::Date::now() as shared::protocol::Millis
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    router::route(req, env).await
}
