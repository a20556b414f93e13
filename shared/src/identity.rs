//! Signed visitor identity: the host page's backend signs who its user is — a JWT (HS256)
//! with the site's identity secret, `exp` required, at most [`MAX_LIFETIME_SECS`] ahead — and
//! the page passes it to `Takeover.identify({ user_id, name, email, token })`. Only what the
//! token says is taken as verified: its `sub` must be the `user_id` given, and an `email` in
//! it must be the one given.
//!
//! The compact HS256 form is small enough to check here with the HMAC this crate already
//! uses; the tests check tokens made by a third-party JWT library.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// A token may be valid for at most this long from now: identity tokens are short-lived.
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// Clocks may disagree by this much.
const LEEWAY_SECS: i64 = 60;
/// Tokens longer than this are refused unread.
const MAX_TOKEN_BYTES: usize = 4096;
/// The most a user id may be.
pub const MAX_USER_ID_CHARS: usize = 200;

/// Who a valid token says the visitor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub user_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// Why a token was refused, as the widget's developer should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    /// Not HS256 (`none` and every other algorithm are refused).
    Algorithm,
    Signature,
    Expired,
    /// `exp` missing, or further ahead than [`MAX_LIFETIME_SECS`].
    Lifetime,
    /// `sub` is not the `user_id` given, or `email` not the email given.
    Mismatch,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Malformed => "The identity token is not a JWT.",
            Refusal::Algorithm => "The identity token must be signed with HS256.",
            Refusal::Signature => {
                "The identity token's signature does not match the site's identity secret."
            }
            Refusal::Expired => "The identity token has expired.",
            Refusal::Lifetime => "The identity token needs an exp at most 24 hours ahead.",
            Refusal::Mismatch => "The identity token is for another user or email.",
        })
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<serde_json::Value>,
    exp: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// A token that proves who reopens a verified conversation may have expired this long ago:
/// a page open for hours reconnects with the token it got when it loaded.
pub const RESUME_SECS: i64 = 7 * 24 * 3600;

/// Whether `token` shows the page's user is `user_id`, for reopening that user's
/// conversation: signed by the site, for that user, expired at most [`RESUME_SECS`] ago.
pub fn proves(token: &str, keys: &[Vec<u8>], now_secs: i64, user_id: &str) -> bool {
    check(token, keys, now_secs, user_id, None, RESUME_SECS).is_ok()
}

/// Whether a token and user id of these lengths could be valid at all: what a page names
/// otherwise proves nothing and is not worth keeping.
pub fn may_prove(user_id: &str, token: &str) -> bool {
    token.len() <= MAX_TOKEN_BYTES && user_id.chars().count() <= MAX_USER_ID_CHARS
}

/// Checks `token` with any of `keys` (the identity secret, and the one a rotation replaced)
/// at `now_secs`, against the `user_id` and `email` the page gave.
pub fn verify(
    token: &str,
    keys: &[Vec<u8>],
    now_secs: i64,
    user_id: &str,
    email: Option<&str>,
) -> Result<Verified, Refusal> {
    check(token, keys, now_secs, user_id, email, 0)
}

/// [`verify`], taking a token expired up to `grace_secs` ago.
fn check(
    token: &str,
    keys: &[Vec<u8>],
    now_secs: i64,
    user_id: &str,
    email: Option<&str>,
    grace_secs: i64,
) -> Result<Verified, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(head), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| Refusal::Malformed);
    let header: Header = serde_json::from_slice(&decode(head)?).map_err(|_| Refusal::Malformed)?;
    if header.alg != "HS256" {
        return Err(Refusal::Algorithm);
    }
    let signature = decode(sig)?;
    let signed = &token[..head.len() + 1 + body.len()];
    let valid = keys.iter().any(|k| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(k) else { return false };
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature).is_ok()
    });
    if !valid {
        return Err(Refusal::Signature);
    }
    let claims: Claims = serde_json::from_slice(&decode(body)?).map_err(|_| Refusal::Malformed)?;
    let exp = claims.exp.ok_or(Refusal::Lifetime)?;
    if exp.saturating_add(LEEWAY_SECS + grace_secs) < now_secs {
        return Err(Refusal::Expired);
    }
    if exp > now_secs + MAX_LIFETIME_SECS + LEEWAY_SECS {
        return Err(Refusal::Lifetime);
    }
    let sub = match claims.sub {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Err(Refusal::Mismatch),
    };
    if sub != user_id || sub.is_empty() || sub.chars().count() > MAX_USER_ID_CHARS {
        return Err(Refusal::Mismatch);
    }
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    if let (Some(given), Some(signed)) = (email, claims.email.as_deref())
        && !same(given, signed)
    {
        return Err(Refusal::Mismatch);
    }
    if email.is_some() && claims.email.is_none() {
        // An email the token does not vouch for is not taken as verified.
        return Err(Refusal::Mismatch);
    }
    Ok(Verified { user_id: sub, email: claims.email, name: claims.name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(key: &[u8], header: &str, claims: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(header);
        let c = URL_SAFE_NO_PAD.encode(claims);
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(format!("{h}.{c}").as_bytes());
        format!("{h}.{c}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    const HS: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn a_fresh_token_for_the_user_given_verifies() {
        let t = sign(b"k1", HS, r#"{"sub":"u-42","exp":1100,"email":"Ana@x.test","name":"Ana"}"#);
        let v = verify(&t, &[b"k0".to_vec(), b"k1".to_vec()], 1000, "u-42", Some("ana@x.test"));
        assert_eq!(v.unwrap().name.as_deref(), Some("Ana"));
    }

    #[test]
    fn a_recently_expired_token_still_proves_who_reopens_a_conversation() {
        let t = sign(b"k1", HS, r#"{"sub":"u-42","exp":1000}"#);
        let keys = [b"k1".to_vec()];
        assert!(proves(&t, &keys, 1000 + 3600, "u-42"));
        assert!(!proves(&t, &keys, 1000 + RESUME_SECS + 120, "u-42"));
        assert!(!proves(&t, &keys, 2000, "u-43"));
        assert!(!proves(&t, &[b"k2".to_vec()], 2000, "u-42"));
    }

    #[test]
    fn expired_unsigned_tampered_or_foreign_tokens_are_refused() {
        let keys = [b"k1".to_vec()];
        let ok = r#"{"sub":"u-42","exp":1100}"#;
        assert_eq!(
            verify(&sign(b"k1", HS, r#"{"sub":"u-42","exp":900}"#), &keys, 1000, "u-42", None),
            Err(Refusal::Expired)
        );
        assert_eq!(
            verify(&sign(b"k2", HS, ok), &keys, 1000, "u-42", None),
            Err(Refusal::Signature)
        );
        assert_eq!(
            verify(&sign(b"k1", r#"{"alg":"none"}"#, ok), &keys, 1000, "u-42", None),
            Err(Refusal::Algorithm)
        );
        assert_eq!(verify(&sign(b"k1", HS, ok), &keys, 1000, "u-43", None), Err(Refusal::Mismatch));
        assert_eq!(
            verify(&sign(b"k1", HS, r#"{"sub":"u-42"}"#), &keys, 1000, "u-42", None),
            Err(Refusal::Lifetime)
        );
        let far = r#"{"sub":"u-42","exp":999999}"#;
        assert_eq!(
            verify(&sign(b"k1", HS, far), &keys, 1000, "u-42", None),
            Err(Refusal::Lifetime)
        );
        // The claims changed after signing.
        let t = sign(b"k1", HS, ok);
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin","exp":1100}"#);
        parts[1] = &forged;
        assert_eq!(verify(&parts.join("."), &keys, 1000, "admin", None), Err(Refusal::Signature));
        // An email the token does not vouch for.
        assert_eq!(
            verify(&sign(b"k1", HS, ok), &keys, 1000, "u-42", Some("x@y.test")),
            Err(Refusal::Mismatch)
        );
        assert_eq!(verify("a.b", &keys, 1000, "u-42", None), Err(Refusal::Malformed));
    }
}
