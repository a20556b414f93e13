//! Randomness and hashing through the runtime's WebCrypto: ids, secrets, password hashes.

use js_sys::{Array, Object, Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{Error, Result};

/// Cloudflare caps WebCrypto PBKDF2 at 100,000 iterations.
const PBKDF2_ITERATIONS: u32 = 100_000;

fn crypto() -> Result<web_sys::Crypto> {
    let value = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|_| Error::RustError("no crypto global".into()))?;
    Ok(value.unchecked_into())
}

fn js_err(e: JsValue) -> Error {
    Error::RustError(format!("webcrypto: {e:?}"))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    crypto()?.get_random_values_with_u8_array(&mut bytes).map_err(js_err)?;
    Ok(bytes)
}

/// A random (v4) UUID in its 32-hex-digit form.
pub fn new_id() -> Result<String> {
    let id = uuid::Builder::from_random_bytes(random_bytes::<16>()?).into_uuid();
    Ok(id.simple().to_string())
}

/// 256 random bits, hex-encoded: conversation tokens and session secrets.
pub fn new_secret() -> Result<String> {
    Ok(hex(&random_bytes::<32>()?))
}

/// What is stored in place of a secret, so a leaked database reveals no usable credential.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The CSRF token of a session: derived from the HttpOnly session secret, so only a page that
/// asked the API (same origin) can know it, and nothing extra is stored.
pub fn csrf_token(session_token: &str) -> String {
    secret_hash(&format!("csrf:{session_token}"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in time independent of where the inputs differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `pbkdf2-sha256$ITERATIONS$SALT$HASH`, salt and hash in hex.
pub async fn hash_password(password: &str) -> Result<String> {
    let salt = random_bytes::<16>()?;
    let hash = pbkdf2(password, &salt, PBKDF2_ITERATIONS).await?;
    Ok(format!("pbkdf2-sha256${PBKDF2_ITERATIONS}${}${}", hex(&salt), hex(&hash)))
}

pub async fn verify_password(password: &str, stored: &str) -> Result<bool> {
    let mut parts = stored.split('$');
    let (Some("pbkdf2-sha256"), Some(iterations), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(false);
    };
    let (Ok(iterations), Some(salt)) = (iterations.parse::<u32>(), unhex(salt)) else {
        return Ok(false);
    };
    let derived = pbkdf2(password, &salt, iterations).await?;
    Ok(same(&hex(&derived), hash))
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

async fn pbkdf2(password: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>> {
    let subtle = crypto()?.subtle();
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let raw = Uint8Array::from(password.as_bytes());
    let key = subtle.import_key_with_str("raw", &raw, "PBKDF2", false, &usages).map_err(js_err)?;
    let key: web_sys::CryptoKey = JsFuture::from(key).await.map_err(js_err)?.unchecked_into();
    let params = Object::new();
    for (k, v) in [
        ("name", JsValue::from_str("PBKDF2")),
        ("hash", JsValue::from_str("SHA-256")),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", JsValue::from(iterations)),
    ] {
        Reflect::set(&params, &JsValue::from_str(k), &v).map_err(js_err)?;
    }
    let bits = subtle.derive_bits_with_object(&params, &key, 256).map_err(js_err)?;
    let bits = JsFuture::from(bits).await.map_err(js_err)?;
    Ok(Uint8Array::new(&bits).to_vec())
}
