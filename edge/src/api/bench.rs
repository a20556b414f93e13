//! What only a benchmark worker serves (`cargo xtask bench` starts it with `BENCHMARK=1`):
//! the echo floor. The same switch lifts the per-socket frame limit, so that one socket can
//! drive an object as fast as it goes; nothing else differs from a deployment.

use worker::{Env, Request, RouteContext};

use crate::api::valid_conversation_id;
use crate::http::{ApiResult, is_websocket_upgrade, refuse};
use crate::internal;

/// Whether this worker runs for the benchmarks. Never set it on a deployment.
pub fn enabled(env: &Env) -> bool {
    env.var("BENCHMARK").is_ok_and(|v| v.to_string() == "1")
}

/// `GET /api/bench/echo/{id}/ws`: a socket on echo object `id`.
pub async fn echo(req: Request, ctx: RouteContext<()>) -> ApiResult {
    if !enabled(&ctx.env) {
        return Err(refuse(404, "not_found", "No such endpoint."));
    }
    if !is_websocket_upgrade(&req) {
        return Err(refuse(426, "upgrade_required", "This endpoint speaks WebSocket only."));
    }
    let id = ctx
        .param("id")
        .filter(|id| valid_conversation_id(id))
        .ok_or_else(|| refuse(404, "unknown_echo", "Echo ids are 32 hex digits."))?;
    let stub = ctx.env.durable_object(internal::ECHOES)?.get_by_name(id)?;
    Ok(internal::upgrade(&stub, "/ws", None, None).await?)
}
