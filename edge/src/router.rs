//! The route table; every handler lives in `api/`.
//!
//! Built once per isolate, not per request: workers-rs's `Router` is made and dropped by
//! each request, its table inserted route by route. In a V8 profile of `GET /api/health`
//! that was about a third of the thread's time per request; from outside, the worker's CPU
//! per request read 767–910 µs built once against 923–967 rebuilt (the rest is workerd's
//! own: the request, the response and the dev server's middleware).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use worker::{Env, Method, Request, Response, Result};

use crate::api::{account, admin, assets, bench, bot, channels, setup, unsubscribe, visitor};
use crate::http::{ApiResult, finish};

/// What a handler is given besides the request: the environment and the path's parameters.
pub struct Ctx {
    pub env: Env,
    params: Vec<(String, String)>,
}

impl Ctx {
    /// The path parameter `key` (`:site` in the pattern is `site`).
    pub fn param(&self, key: &str) -> Option<&String> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<Response>>>>;
type Handler = fn(Request, Ctx) -> Pending;

/// Adapts a handler returning [`ApiResult`] to the table's signature.
macro_rules! h {
    ($f:path) => {
        |req: Request, ctx: Ctx| -> Pending { Box::pin(async move { finish($f(req, ctx).await) }) }
    };
}

/// The same for a handler that answers at once, written as `|req, ctx| answer`.
macro_rules! at_once {
    (|$req:pat_param, $ctx:pat_param| $answer:expr) => {
        |$req: Request, $ctx: Ctx| -> Pending { Box::pin(std::future::ready($answer)) }
    };
}

fn routes() -> Vec<(Method, &'static str, Handler)> {
    vec![
        (Method::Get, "/api/health", at_once!(|_, _| Response::ok("ok"))),
        (Method::Post, "/api/setup", h!(setup::setup)),
        (Method::Get, "/api/sites/:site/config", h!(visitor::config)),
        (Method::Get, "/api/texts/:lang", at_once!(|_, ctx| visitor::texts(&ctx))),
        (Method::Post, "/api/sites/:site/conversations", h!(visitor::create)),
        (Method::Post, "/api/sites/:site/conversations/resume", h!(visitor::resume)),
        (Method::Post, "/api/sites/:site/conversations/continue", h!(visitor::continue_as)),
        (Method::Options, "/api/sites/:site/*rest", at_once!(|_, _| visitor::preflight())),
        (Method::Get, "/api/conversations/:id/ws", h!(visitor::socket)),
        (Method::Post, "/api/bot/conversations/:id/reply", h!(bot::reply)),
        (Method::Post, "/api/channels/telegram/:site", h!(channels::telegram)),
        (Method::Get, "/api/channels/whatsapp/:site", h!(channels::whatsapp_handshake)),
        (Method::Post, "/api/channels/whatsapp/:site", h!(channels::whatsapp)),
        (Method::Post, "/api/admin/login", h!(admin::login)),
        (Method::Post, "/api/admin/logout", h!(admin::logout)),
        (Method::Get, "/api/admin/me", h!(admin::me)),
        (Method::Patch, "/api/admin/me", h!(admin::team)),
        (Method::Get, "/api/admin/me/availability", h!(admin::availability)),
        (Method::Put, "/api/admin/me/availability", h!(admin::availability)),
        (Method::Get, "/api/admin/me/email", h!(admin::email)),
        (Method::Put, "/api/admin/me/email", h!(admin::email)),
        (Method::Get, "/api/admin/hooks", h!(admin::hooks)),
        (Method::Post, "/api/admin/hooks", h!(admin::hooks)),
        (Method::Patch, "/api/admin/hooks/:id", h!(admin::hooks)),
        (Method::Delete, "/api/admin/hooks/:id", h!(admin::hooks)),
        (Method::Post, "/api/admin/hooks/:id/rotate", h!(admin::hooks)),
        (Method::Post, "/api/admin/hooks/:id/test", h!(admin::hooks)),
        (Method::Get, "/api/admin/hooks/:id/deliveries", h!(admin::hooks)),
        (Method::Post, "/api/admin/hooks/:id/deliveries/:delivery/redeliver", h!(admin::hooks)),
        (Method::Get, "/api/admin/invitations", h!(admin::invitations)),
        (Method::Post, "/api/admin/invitations", h!(admin::invitations)),
        (Method::Delete, "/api/admin/invitations/:id", h!(admin::invitations)),
        (Method::Post, "/api/account/invite/info", h!(account::invite)),
        (Method::Post, "/api/account/invite", h!(account::accept)),
        (Method::Post, "/api/account/reset", h!(account::reset)),
        (Method::Post, "/api/account/reset/finish", h!(account::reset_finish)),
        (Method::Get, "/api/unsubscribe", h!(unsubscribe::page_for)),
        (Method::Post, "/api/unsubscribe", h!(unsubscribe::confirm)),
        (Method::Get, "/api/admin/team", h!(admin::team)),
        (Method::Post, "/api/admin/team", h!(admin::team)),
        (Method::Patch, "/api/admin/team/:id", h!(admin::team)),
        (Method::Delete, "/api/admin/team/:id", h!(admin::team)),
        (Method::Get, "/api/admin/tickets", h!(admin::tickets)),
        (Method::Get, "/api/admin/usage", h!(admin::usage)),
        (Method::Get, "/api/admin/settings", h!(admin::settings)),
        (Method::Put, "/api/admin/settings", h!(admin::settings)),
        (Method::Get, "/api/admin/tickets.csv", h!(admin::tickets_csv)),
        (Method::Get, "/api/admin/channels", h!(admin::channels)),
        (Method::Put, "/api/admin/channels/telegram", h!(admin::channels)),
        (Method::Delete, "/api/admin/channels/telegram", h!(admin::channels)),
        (Method::Put, "/api/admin/channels/whatsapp", h!(admin::channels)),
        (Method::Delete, "/api/admin/channels/whatsapp", h!(admin::channels)),
        (Method::Get, "/api/admin/secrets", h!(admin::secrets)),
        (Method::Put, "/api/admin/secrets/model-key", h!(admin::secrets)),
        (Method::Delete, "/api/admin/secrets/model-key", h!(admin::secrets)),
        (Method::Post, "/api/admin/secrets/webhook", h!(admin::secrets)),
        (Method::Delete, "/api/admin/secrets/webhook-previous", h!(admin::secrets)),
        (Method::Post, "/api/admin/secrets/identity", h!(admin::secrets)),
        (Method::Delete, "/api/admin/secrets/identity-previous", h!(admin::secrets)),
        (Method::Get, "/api/admin/conversations/:id/transcript", h!(admin::transcript)),
        (Method::Post, "/api/admin/conversations/:id/assist", h!(admin::assist)),
        (Method::Get, "/api/admin/conversations", h!(admin::conversations)),
        (Method::Get, "/api/admin/conversations/:id/ws", h!(admin::conversation_socket)),
        (Method::Get, "/api/admin/inbox/ws", h!(admin::inbox_socket)),
        (Method::Get, "/admin", h!(assets::admin_page)),
        (Method::Get, "/admin/*rest", h!(assets::admin_page)),
        (Method::Get, "/widget/*file", h!(assets::widget_file)),
        (Method::Head, "/widget/*file", h!(assets::widget_file)),
        (Method::Get, "/chat/:site", h!(assets::chat_page)),
        (Method::Get, "/api/bench/echo/:id/ws", h!(bench::echo)),
        (Method::Get, "/api/bench/sites/:key/load", h!(bench::site_load)),
        (Method::Post, "/api/bench/sites/:key/reports", h!(bench::site_reports)),
        (Method::Post, "/api/bench/sites/:key/floor", h!(bench::site_floor)),
        (Method::Post, "/api/bench/sites/:key/fetched", h!(bench::site_fetched)),
        (Method::Post, "/api/bench/sites/:key/ingress", h!(bench::site_ingress)),
        (Method::Post, "/api/bench/conversations/:id/fail-reads", h!(bench::fail_reads)),
    ]
}

/// Routes by method and path; any other method on a known path is 405, any other `/api/`
/// path the API's JSON 404, anything else a plain 404.
struct Table {
    by_method: HashMap<Method, matchit::Router<Handler>>,
    api: matchit::Router<Handler>,
}

impl Table {
    fn new() -> Table {
        let mut by_method: HashMap<Method, matchit::Router<Handler>> = HashMap::new();
        for (method, pattern, handler) in routes() {
            if let Err(e) = by_method.entry(method).or_default().insert(pattern, handler) {
                panic!("route {pattern}: {e}");
            }
        }
        let mut api = matchit::Router::new();
        let not_found: Handler = at_once!(|_, _| not_found());
        if let Err(e) = api.insert("/api/*rest", not_found) {
            panic!("route /api/*rest: {e}");
        }
        Table { by_method, api }
    }

    fn find(&self, method: &Method, path: &str) -> Found {
        let take = |m: matchit::Match<'_, '_, &Handler>| {
            let params = m.params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            Found::Handler(*m.value, params)
        };
        if let Some(m) = self.by_method.get(method).and_then(|r| r.at(path).ok()) {
            return take(m);
        }
        let elsewhere = self.by_method.iter().any(|(other, r)| {
            !matches!(other, Method::Head | Method::Options | Method::Trace) && r.at(path).is_ok()
        });
        if elsewhere {
            return Found::OtherMethod;
        }
        self.api.at(path).map_or(Found::Nothing, take)
    }
}

enum Found {
    Handler(Handler, Vec<(String, String)>),
    OtherMethod,
    Nothing,
}

thread_local! {
    static TABLE: Table = Table::new();
}

pub async fn route(req: Request, env: Env) -> Result<Response> {
    match TABLE.with(|t| t.find(&req.method(), &req.path())) {
        Found::Handler(handler, params) => handler(req, Ctx { env, params }).await,
        Found::OtherMethod => Response::error("Method Not Allowed", 405),
        Found::Nothing => Response::error("Not Found", 404),
    }
}

fn not_found() -> Result<Response> {
    finish(ApiResult::Err(crate::http::refuse(404, "not_found", "No such endpoint.")))
}
