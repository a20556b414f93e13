//! Per-client limits on what anyone may ask without credentials: starting conversations,
//! fetching a widget's settings, signing in, opening sockets. The client is the address
//! Cloudflare's edge puts in `CF-Connecting-IP`. Each limit is a Workers rate-limiting
//! binding (see `wrangler.toml`), sized so that many visitors behind one office address still
//! chat; a benchmark worker (`BENCHMARK=1`) lifts them, as it lifts the frame limit.

use worker::{Env, Request, console_error};

use crate::http::{Refused, refuse};

/// One limited action: its binding and the window its binding counts in.
pub struct Limit {
    binding: &'static str,
    period_secs: u32,
    what: &'static str,
}

pub const CREATE: Limit =
    Limit { binding: "CREATE_LIMIT", period_secs: 60, what: "new conversations" };
pub const CONFIG: Limit =
    Limit { binding: "CONFIG_LIMIT", period_secs: 60, what: "widget settings requests" };
pub const LOGIN: Limit =
    Limit { binding: "LOGIN_LIMIT", period_secs: 60, what: "sign-in attempts" };
pub const BOT_REPLY: Limit = Limit { binding: "BOT_LIMIT", period_secs: 60, what: "bot replies" };
pub const SOCKET: Limit =
    Limit { binding: "SOCKET_LIMIT", period_secs: 60, what: "new connections" };
/// Drafts from the site's model, per teammate (each spends the site's or the deployment's
/// model key).
pub const ASSIST: Limit = Limit { binding: "ASSIST_LIMIT", period_secs: 60, what: "AI drafts" };
pub const TRANSLATE: Limit =
    Limit { binding: "TRANSLATE_LIMIT", period_secs: 60, what: "messages translated for you" };

/// The caller, as Cloudflare's edge reports its address: an IPv4 address, or the /64 an IPv6
/// address belongs to (one host commonly holds a whole /64, and could otherwise take a new
/// address for every request).
pub fn client(req: &Request) -> Option<String> {
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten()?;
    client_key(ip.trim())
}

fn client_key(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => Some(v4.to_string()),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(v4.to_string()),
            None => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        },
    }
}

/// Refuses with `429` and `Retry-After` once the client has used up `limit`. Without a
/// client address (not through Cloudflare's edge) or without the binding, nothing is limited;
/// a failing binding lets the request through rather than locking every visitor out.
pub async fn check(env: &Env, req: &Request, limit: &Limit) -> Result<(), Refused> {
    let Some(client) = client(req) else { return Ok(()) };
    check_key(env, client, limit).await
}

/// [`check`] for a caller named otherwise (a teammate, by site and member id).
pub async fn check_key(env: &Env, client: String, limit: &Limit) -> Result<(), Refused> {
    if crate::api::bench::enabled(env) {
        return Ok(());
    }
    let Ok(limiter) = env.rate_limiter(limit.binding) else { return Ok(()) };
    match limiter.limit(client).await {
        Ok(outcome) if outcome.success => Ok(()),
        Ok(_) => Err(Refused {
            retry_after: Some(limit.period_secs),
            ..refuse(
                429,
                "rate_limited",
                format!("Too many {}; try again in a minute.", limit.what),
            )
        }),
        Err(e) => {
            console_error!("rate limiter {}: {e}", limit.binding);
            Ok(())
        }
    }
}
