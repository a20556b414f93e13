//! Signatures between a site's own bot and us, with the site's signing secret.
//!
//! Our calls to the bot follow the Standard Webhooks specification, so the owner can check
//! them with any of its libraries: `webhook-id`, `webhook-timestamp` and `webhook-signature:
//! v1,BASE64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))`, one signature per valid secret
//! while a rotation runs.
//!
//! The bot's replies to us are signed over a different string, which starts with a label and
//! binds the method and the path (hence the conversation):
//! `"takeover-bot-reply\n{METHOD}\n{PATH}\n{timestamp}\n{body}"`. Our message ids start with
//! `msg_`, so no string is ever both: a captured call to the bot cannot be replayed to us as
//! a reply, nor a reply to one conversation to another.
//!
//! Secrets look like `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";
/// Seconds a signed message may be older or newer than the receiver's clock.
pub const TOLERANCE_SECS: i64 = 300;
const REPLY_LABEL: &str = "takeover-bot-reply";

/// A new secret from 32 random bytes (the caller brings the randomness).
pub fn new_secret(random: [u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The HMAC key of a secret; `None` when it is not one of ours.
pub fn key(secret: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    (bytes.len() >= 24).then_some(bytes)
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The `webhook-signature` header of a call to the bot: one `v1,…` per key, space-separated.
pub fn outbound_signature(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    keys.iter()
        .map(|k| {
            let m = mac(k, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
            format!("v1,{}", STANDARD.encode(m.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn reply_parts<'a>(method: &'a str, path: &'a str, ts: &'a str, body: &'a [u8]) -> [&'a [u8]; 9] {
    [
        REPLY_LABEL.as_bytes(),
        b"\n",
        method.as_bytes(),
        b"\n",
        path.as_bytes(),
        b"\n",
        ts.as_bytes(),
        b"\n",
        body,
    ]
}

/// The `X-Takeover-Signature` a bot puts on its reply: `v1,BASE64(HMAC)`.
pub fn reply_signature(
    key: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let ts = timestamp.to_string();
    let m = mac(key, &reply_parts(method, path, &ts, body));
    format!("v1,{}", STANDARD.encode(m.finalize().into_bytes()))
}

/// Why a reply's signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// No timestamp, or one outside [`TOLERANCE_SECS`].
    Stale,
    /// No signature made with any of the keys.
    Mismatch,
}

/// Checks a bot's reply: a fresh timestamp and a `v1,` signature (of possibly several,
/// space-separated) made with one of `keys`, compared in constant time.
pub fn verify_reply(
    keys: &[Vec<u8>],
    method: &str,
    path: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), Rejected> {
    let ts = timestamp.trim();
    let fresh =
        ts.len() <= 12 && ts.parse::<i64>().is_ok_and(|t| (now_secs - t).abs() <= TOLERANCE_SECS);
    if !fresh {
        return Err(Rejected::Stale);
    }
    let given: Vec<Vec<u8>> = signatures
        .split(' ')
        .take(8)
        .filter_map(|s| STANDARD.decode(s.strip_prefix("v1,")?).ok())
        .collect();
    let matches = keys.iter().any(|k| {
        given
            .iter()
            .any(|sig| mac(k, &reply_parts(method, path, ts, body)).verify_slice(sig).is_ok())
    });
    if matches { Ok(()) } else { Err(Rejected::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/api/bot/conversations/0123456789abcdef0123456789abcdef/reply";

    #[test]
    fn secrets_round_trip_to_keys() {
        let secret = new_secret([7; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(key(&secret), Some(vec![7; 32]));
        assert_eq!(key("sk-live-123"), None);
        assert_eq!(key("whsec_AAAA"), None, "too short to be ours");
    }

    #[test]
    fn a_reply_verifies_only_for_its_method_path_time_and_body() {
        let k = vec![1u8; 32];
        let now = 1_800_000_000;
        let sig = reply_signature(&k, "POST", PATH, now, b"{}");
        let ok = |m: &str, p: &str, t: &str, b: &[u8]| {
            verify_reply(std::slice::from_ref(&k), m, p, t, &sig, b, now)
        };
        assert_eq!(ok("POST", PATH, &now.to_string(), b"{}"), Ok(()));
        assert_eq!(ok("PUT", PATH, &now.to_string(), b"{}"), Err(Rejected::Mismatch));
        let other = PATH.replace("0123", "ffff");
        assert_eq!(ok("POST", &other, &now.to_string(), b"{}"), Err(Rejected::Mismatch));
        assert_eq!(ok("POST", PATH, &now.to_string(), b"{ }"), Err(Rejected::Mismatch));
        assert_eq!(ok("POST", PATH, &(now - 301).to_string(), b"{}"), Err(Rejected::Stale));
        assert_eq!(ok("POST", PATH, "soon", b"{}"), Err(Rejected::Stale));
    }

    #[test]
    fn an_outbound_signature_is_never_a_reply_signature() {
        let k = vec![2u8; 32];
        let now = 1_800_000_000;
        let out = outbound_signature(std::slice::from_ref(&k), "msg_1", now, b"{}");
        let replayed = verify_reply(
            std::slice::from_ref(&k),
            "POST",
            PATH,
            &now.to_string(),
            &out,
            b"{}",
            now,
        );
        assert_eq!(replayed, Err(Rejected::Mismatch));
    }

    #[test]
    fn during_a_rotation_both_keys_sign_and_verify() {
        let (old, new) = (vec![3u8; 32], vec![4u8; 32]);
        let both = [new.clone(), old.clone()];
        assert_eq!(outbound_signature(&both, "msg_2", 5, b"x").matches("v1,").count(), 2);
        let by_old = reply_signature(&old, "POST", PATH, 5, b"x");
        assert_eq!(verify_reply(&both, "POST", PATH, "5", &by_old, b"x", 5), Ok(()));
        assert_eq!(
            verify_reply(&[new], "POST", PATH, "5", &by_old, b"x", 5),
            Err(Rejected::Mismatch)
        );
    }
}
