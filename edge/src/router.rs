//! The route table; every handler lives in `api/`.

use worker::{Env, Request, Response, Result, RouteContext, Router};

use crate::api::{account, admin, assets, bench, bot, channels, setup, unsubscribe, visitor};
use crate::http::{ApiResult, finish};

type Ctx = RouteContext<()>;

/// Adapts a handler returning [`ApiResult`] to the router's signature.
macro_rules! h {
    ($f:path) => {
        |req: Request, ctx: Ctx| async move { finish($f(req, ctx).await) }
    };
}

pub async fn route(req: Request, env: Env) -> Result<Response> {
    Router::new()
        .get("/api/health", |_, _| Response::ok("ok"))
        .post_async("/api/setup", h!(setup::setup))
        .get_async("/api/sites/:site/config", h!(visitor::config))
        .get("/api/texts/:lang", |_, ctx| visitor::texts(&ctx))
        .post_async("/api/sites/:site/conversations", h!(visitor::create))
        .post_async("/api/sites/:site/conversations/resume", h!(visitor::resume))
        .post_async("/api/sites/:site/conversations/continue", h!(visitor::continue_as))
        .options("/api/sites/:site/*rest", |_, _| visitor::preflight())
        .get_async("/api/conversations/:id/ws", h!(visitor::socket))
        .post_async("/api/bot/conversations/:id/reply", h!(bot::reply))
        .post_async("/api/channels/telegram/:site", h!(channels::telegram))
        .get_async("/api/channels/whatsapp/:site", h!(channels::whatsapp_handshake))
        .post_async("/api/channels/whatsapp/:site", h!(channels::whatsapp))
        .post_async("/api/admin/login", h!(admin::login))
        .post_async("/api/admin/logout", h!(admin::logout))
        .get_async("/api/admin/me", h!(admin::me))
        .patch_async("/api/admin/me", h!(admin::team))
        .get_async("/api/admin/me/availability", h!(admin::availability))
        .put_async("/api/admin/me/availability", h!(admin::availability))
        .get_async("/api/admin/me/email", h!(admin::email))
        .put_async("/api/admin/me/email", h!(admin::email))
        .get_async("/api/admin/hooks", h!(admin::hooks))
        .post_async("/api/admin/hooks", h!(admin::hooks))
        .patch_async("/api/admin/hooks/:id", h!(admin::hooks))
        .delete_async("/api/admin/hooks/:id", h!(admin::hooks))
        .post_async("/api/admin/hooks/:id/rotate", h!(admin::hooks))
        .post_async("/api/admin/hooks/:id/test", h!(admin::hooks))
        .get_async("/api/admin/hooks/:id/deliveries", h!(admin::hooks))
        .post_async("/api/admin/hooks/:id/deliveries/:delivery/redeliver", h!(admin::hooks))
        .get_async("/api/admin/invitations", h!(admin::invitations))
        .post_async("/api/admin/invitations", h!(admin::invitations))
        .delete_async("/api/admin/invitations/:id", h!(admin::invitations))
        .post_async("/api/account/invite/info", h!(account::invite))
        .post_async("/api/account/invite", h!(account::accept))
        .post_async("/api/account/reset", h!(account::reset))
        .post_async("/api/account/reset/finish", h!(account::reset_finish))
        .get_async("/api/unsubscribe", h!(unsubscribe::page_for))
        .post_async("/api/unsubscribe", h!(unsubscribe::confirm))
        .get_async("/api/admin/team", h!(admin::team))
        .post_async("/api/admin/team", h!(admin::team))
        .patch_async("/api/admin/team/:id", h!(admin::team))
        .delete_async("/api/admin/team/:id", h!(admin::team))
        .get_async("/api/admin/tickets", h!(admin::tickets))
        .get_async("/api/admin/usage", h!(admin::usage))
        .get_async("/api/admin/settings", h!(admin::settings))
        .put_async("/api/admin/settings", h!(admin::settings))
        .get_async("/api/admin/tickets.csv", h!(admin::tickets_csv))
        .get_async("/api/admin/channels", h!(admin::channels))
        .put_async("/api/admin/channels/telegram", h!(admin::channels))
        .delete_async("/api/admin/channels/telegram", h!(admin::channels))
        .put_async("/api/admin/channels/whatsapp", h!(admin::channels))
        .delete_async("/api/admin/channels/whatsapp", h!(admin::channels))
        .get_async("/api/admin/secrets", h!(admin::secrets))
        .put_async("/api/admin/secrets/model-key", h!(admin::secrets))
        .delete_async("/api/admin/secrets/model-key", h!(admin::secrets))
        .post_async("/api/admin/secrets/webhook", h!(admin::secrets))
        .delete_async("/api/admin/secrets/webhook-previous", h!(admin::secrets))
        .post_async("/api/admin/secrets/identity", h!(admin::secrets))
        .delete_async("/api/admin/secrets/identity-previous", h!(admin::secrets))
        .get_async("/api/admin/conversations/:id/transcript", h!(admin::transcript))
        .post_async("/api/admin/conversations/:id/assist", h!(admin::assist))
        .get_async("/api/admin/conversations", h!(admin::conversations))
        .get_async("/api/admin/conversations/:id/ws", h!(admin::conversation_socket))
        .get_async("/api/admin/inbox/ws", h!(admin::inbox_socket))
        .get_async("/admin", h!(assets::admin_page))
        .get_async("/admin/*rest", h!(assets::admin_page))
        .get_async("/widget/*file", h!(assets::widget_file))
        .head_async("/widget/*file", h!(assets::widget_file))
        .get_async("/chat/:site", h!(assets::chat_page))
        .get_async("/api/bench/echo/:id/ws", h!(bench::echo))
        .get_async("/api/bench/sites/:key/load", h!(bench::site_load))
        .post_async("/api/bench/sites/:key/reports", h!(bench::site_reports))
        .post_async("/api/bench/sites/:key/floor", h!(bench::site_floor))
        .post_async("/api/bench/sites/:key/fetched", h!(bench::site_fetched))
        .post_async("/api/bench/sites/:key/ingress", h!(bench::site_ingress))
        .post_async("/api/bench/conversations/:id/fail-reads", h!(bench::fail_reads))
        .or_else_any_method("/api/*rest", |_, _| not_found())
        .run(req, env)
        .await
}

fn not_found() -> Result<Response> {
    finish(ApiResult::Err(crate::http::refuse(404, "not_found", "No such endpoint.")))
}
