//! What only a benchmark worker serves (`cargo xtask bench` starts it with `BENCHMARK=1`):
//! the echo floor, a site object's request counts, reports sent to a site as if from
//! conversations (to play thousands of them at once), and a conversation's storage made to
//! fail its next reads (to test what a conversation does when it cannot read itself). The same switch lifts the per-socket frame limit, so that one socket can
//! drive an object as fast as it goes; nothing else differs from a deployment.

use crate::router::Ctx;
use worker::{Env, Method, Request};

use crate::api::valid_conversation_id;
use crate::http::{ApiResult, is_websocket_upgrade, refuse};
use crate::internal;

/// Whether this worker runs for the benchmarks. Never set it on a deployment.
pub fn enabled(env: &Env) -> bool {
    env.var("BENCHMARK").is_ok_and(|v| v.to_string() == "1")
}

/// `GET /api/bench/echo/{id}/ws`: a socket on echo object `id`; with `?store=1`, one that
/// stores and acknowledges each frame (see [`crate::echo`]).
pub async fn echo(req: Request, ctx: Ctx) -> ApiResult {
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
    let path = if crate::echo::asks_to_store(&req)? { "/ws?store=1" } else { "/ws" };
    Ok(internal::upgrade(&stub, path, None, None).await?)
}

/// `GET /api/bench/sites/{key}/load`: the site object's requests by route since it started,
/// the conversations reporting to it and the pace it asks of them.
pub async fn site_load(_req: Request, ctx: Ctx) -> ApiResult {
    let stub = bench_site(&ctx)?;
    Ok(internal::send::<()>(&stub, Method::Get, "/load", None).await?)
}

/// `POST /api/bench/sites/{key}/reports`: batches of reports (a JSON array), passed to the
/// site object one after another as conversations send them; the answer is the site's to
/// the last (its pace). Several to a request, so that the benchmark's own HTTP hop, which
/// conversations do not take, is a small part of what the bench measures per report.
pub async fn site_reports(req: Request, ctx: Ctx) -> ApiResult {
    site_calls(req, ctx, internal::SiteCall::Report).await
}

/// `POST /api/bench/sites/{key}/floor`: the same request as `reports`, which the site object
/// answers with its pace without reading it: what the call costs, so the bench can tell it
/// from what applying a report costs.
pub async fn site_floor(req: Request, ctx: Ctx) -> ApiResult {
    site_calls(req, ctx, internal::SiteCall::Unread).await
}

/// `POST /api/bench/sites/{key}/fetched`: the same batches sent by `fetch` to the site's
/// `/reports`, as conversations of the version before RPC send them: the two transports
/// compared.
pub async fn site_fetched(req: Request, ctx: Ctx) -> ApiResult {
    site_calls(req, ctx, internal::SiteCall::Fetched).await
}

/// Each batch of the request passed to the site object's `method` in turn, as a conversation
/// passes its reports; the site's answer to the last.
async fn site_calls(mut req: Request, ctx: Ctx, method: internal::SiteCall) -> ApiResult {
    let stub: internal::RawStub = bench_site(&ctx)?.into_rpc();
    let batches = batches(&mut req).await?;
    let mut answer = (404, String::new());
    for batch in &batches {
        let json = serde_json::to_string(batch).map_err(worker::Error::from)?;
        answer = internal::call_site(&stub, method, &json).await?;
    }
    Ok(internal::json_text(answer.0, answer.1)?)
}

/// `POST /api/bench/sites/{key}/ingress`: the same request read by the Worker and answered
/// there, the site object never called: what the benchmark's own HTTP hop costs, which a
/// conversation object reporting does not pay.
pub async fn site_ingress(mut req: Request, ctx: Ctx) -> ApiResult {
    bench_key(&ctx)?;
    let batches = batches(&mut req).await?;
    // Written as the other routes write each batch, so that only the call differs.
    for batch in &batches {
        serde_json::to_string(batch).map_err(worker::Error::from)?;
    }
    Ok(worker::Response::from_json(&shared::pace::Pace { pace_ms: 1_000 })?)
}

async fn batches(req: &mut Request) -> Result<Vec<internal::ReportBatch>, crate::http::Refused> {
    match internal::body::<Vec<internal::ReportBatch>>(req).await {
        Ok(batches) if !batches.is_empty() && batches.len() <= 100 => Ok(batches),
        _ => Err(refuse(400, "invalid_batch", "Not 1 to 100 report batches.")),
    }
}

/// `POST /api/bench/conversations/{id}/fail-reads?reads=N`: the conversation acts as one
/// whose storage could not be read, and its next `N` attempts to read it fail too. With
/// `?outbox=N` instead, only its next `N` reads of its outbox of reports fail; with
/// `?outbox_writes=N`, its next `N` writes to it.
pub async fn fail_reads(req: Request, ctx: Ctx) -> ApiResult {
    if !enabled(&ctx.env) {
        return Err(refuse(404, "not_found", "No such endpoint."));
    }
    let id = ctx
        .param("id")
        .filter(|id| valid_conversation_id(id))
        .ok_or_else(|| refuse(404, "unknown_conversation", "No such conversation."))?;
    let url = req.url()?;
    let count = |name: &str| {
        url.query_pairs().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<u32>().ok())
    };
    let path = match (count("reads"), count("outbox"), count("outbox_writes")) {
        (Some(n), None, None) => format!("{}?reads={n}", crate::conversation::FAIL_READS),
        (None, Some(n), None) => format!("{}?outbox={n}", crate::conversation::FAIL_READS),
        (None, None, Some(n)) => format!("{}?outbox_writes={n}", crate::conversation::FAIL_READS),
        _ => {
            let why = "Say how many reads fail: ?reads=N, ?outbox=N for the outbox's alone, or ?outbox_writes=N for its writes.";
            return Err(refuse(400, "invalid_reads", why));
        }
    };
    let stub = internal::conversation(&ctx.env, id)?;
    Ok(internal::send::<()>(&stub, Method::Post, &path, None).await?)
}

fn bench_site(ctx: &Ctx) -> Result<worker::Stub, crate::http::Refused> {
    Ok(internal::site(&ctx.env, bench_key(ctx)?)?)
}

/// The site key of a benchmark route, which exists only with `BENCHMARK=1`.
fn bench_key(ctx: &Ctx) -> Result<&String, crate::http::Refused> {
    if !enabled(&ctx.env) {
        return Err(refuse(404, "not_found", "No such endpoint."));
    }
    ctx.param("key").ok_or_else(|| refuse(404, "unknown_site", "No such site."))
}
