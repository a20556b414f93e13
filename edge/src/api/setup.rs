//! `POST /api/setup`: creates or updates a site and its team. Authorised by the deployment's
//! `SETUP_TOKEN` secret, once per site and token; without that secret the endpoint does not
//! exist.

use crate::router::Ctx;
use shared::api::SetupRequest;
use worker::{Method, Request};

use crate::crypto::same;
use crate::http::{ApiResult, body, json, refuse};
use crate::internal;

pub async fn setup(mut req: Request, ctx: Ctx) -> ApiResult {
    let expected = ctx
        .env
        .secret("SETUP_TOKEN")
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refuse(404, "not_found", "Setup is not enabled on this deployment."))?;
    let given = req.headers().get("Authorization")?.unwrap_or_default();
    if !same(given.strip_prefix("Bearer ").unwrap_or(""), &expected) {
        return Err(refuse(401, "unauthorized", "The setup token is missing or wrong."));
    }
    let setup: SetupRequest = body(&mut req).await?;
    shared::validate::setup(&setup).map_err(|m| refuse(400, "invalid_setup", m))?;
    let stub = internal::site(&ctx.env, &setup.site_key)?;
    let token_hash = crate::crypto::secret_hash(&expected);
    let origin = req.url()?.origin().ascii_serialization();
    let trusted =
        [(internal::SETUP_HEADER, token_hash.as_str()), (internal::ORIGIN_HEADER, origin.as_str())];
    let res = internal::send_with(&stub, Method::Post, "/setup", Some(&setup), &trusted).await?;
    internal::forget_site_config(&setup.site_key);
    match res.status_code() {
        200 => {}
        400 => {
            let e: shared::api::ApiError = internal::json(&res).await?;
            return Err(refuse(400, "invalid_setup", e.message));
        }
        409 => {
            return Err(refuse(
                409,
                "setup_token_used",
                "This setup token was already used for this site; set a new SETUP_TOKEN to run setup again.",
            ));
        }
        _ => return Err(refuse(500, "internal", "The site could not be set up.")),
    }
    json(&serde_json::json!({ "site_key": setup.site_key }))
}
