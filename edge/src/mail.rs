//! Sending mail. The deployment's sender is Cloudflare's `send_email` binding (`MAIL`, from
//! the address in `MAIL_FROM`); another provider (an HTTP API) would be one more [`Sender`].

use hmac::{Hmac, Mac};
use mail_builder::MessageBuilder;
use mail_builder::headers::{date::Date, raw::Raw, url::URL};
use sha2::Sha256;
use shared::mail::Composed;
use worker::{EmailMessage, Env, SendEmail};

/// The binding's and the sender address's names in the deployment's configuration.
pub const BINDING: &str = "MAIL";
pub const FROM: &str = "MAIL_FROM";

/// One mail to one recipient, with the headers a mail client acts on.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub mail: &'a Composed,
    /// RFC 8058 one-click unsubscribe, for mail to the team.
    pub unsubscribe: Option<&'a str>,
}

#[allow(async_fn_in_trait)]
pub trait Sender {
    async fn send(&self, out: &Outgoing<'_>) -> Result<(), String>;
}

/// Cloudflare's `send_email` binding.
pub struct Binding {
    mail: SendEmail,
    from: String,
}

/// The deployment's sender, or `None` when it has none configured (then nothing is queued).
pub fn sender(env: &Env) -> Option<Binding> {
    let from = env.var(FROM).ok().map(|v| v.to_string()).filter(|f| f.contains('@'))?;
    let mail = env.send_email(BINDING).ok()?;
    Some(Binding { mail, from })
}

impl Sender for Binding {
    async fn send(&self, out: &Outgoing<'_>) -> Result<(), String> {
        let raw = mime(&self.from, out)?;
        let message = EmailMessage::new(&self.from, out.to, &raw)
            .map_err(|e| format!("send_email message: {e:?}"))?;
        self.mail.send(&message).await.map(|_| ()).map_err(|e| format!("send_email: {e:?}"))
    }
}

/// The whole message: headers, and the text and HTML as alternatives.
fn mime(from: &str, out: &Outgoing) -> Result<String, String> {
    let domain = from.rsplit('@').next().unwrap_or("localhost");
    let id = crate::crypto::new_id().map_err(|e| e.to_string())?;
    let mut builder = MessageBuilder::new()
        .from(("Takeover", from))
        .to(out.to)
        .subject(out.mail.subject.as_str())
        .message_id(format!("{id}@{domain}"))
        .date(Date::new(crate::now() / 1000))
        .text_body(out.mail.text.as_str())
        .html_body(out.mail.html.as_str());
    if let Some(url) = out.unsubscribe {
        builder = builder
            .header("List-Unsubscribe", URL::new(url))
            .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"));
    }
    builder.write_to_string().map_err(|e| format!("mail: {e}"))
}

/// The token in a teammate's unsubscribe link: a MAC of the site, member and address under
/// the deployment's `SECRETS_KEY`, so links need no storage, cannot be made for others, and
/// stop working once the teammate's address changes. `None` without a usable key.
pub fn unsubscribe_token(
    env: &Env,
    site_key: &str,
    member_id: &str,
    email: &str,
) -> Option<String> {
    keyed_mac(env, "unsubscribe", &[site_key, member_id, email])
}

/// How long a link back into a visitor's chat opens it.
pub const RESUME_LINK_MS: i64 = 30 * 24 * 3600 * 1000;

/// The part after `#resume=` in the link a visitor is mailed with the replies they missed:
/// conversation, expiry (ms) and a MAC of both, the site and the address it is mailed to,
/// under `SECRETS_KEY`. It opens that conversation on any device until it expires, and only
/// while the conversation's visitor still has that address (see [`resume_valid`]).
pub fn resume_link(
    env: &Env,
    site_key: &str,
    conversation_id: &str,
    email: &str,
    expires: i64,
) -> Option<String> {
    let exp = expires.to_string();
    let mac = keyed_mac(env, "resume", &[site_key, conversation_id, &exp, email])?;
    Some(format!("{conversation_id}.{exp}.{mac}"))
}

/// A resume link's conversation, expiry and MAC, if it has their shapes.
pub fn resume_parts(link: &str) -> Option<(&str, &str, &str)> {
    let mut parts = link.split('.');
    let (id, exp, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = mac.len() == 64 && mac.bytes().all(|b| b.is_ascii_hexdigit());
    let shaped = parts.next().is_none() && crate::api::valid_conversation_id(id) && hex;
    shaped.then_some((id, exp, mac))
}

/// Whether a resume link's parts were made here for this site, conversation and `email`, and
/// are unexpired at `now`.
pub fn resume_valid(
    env: &Env,
    site_key: &str,
    (id, exp, mac): (&str, &str, &str),
    email: &str,
    now: i64,
) -> bool {
    let Ok(expires) = exp.parse::<i64>() else { return false };
    if expires < now || exp != expires.to_string() {
        return false;
    }
    keyed_mac(env, "resume", &[site_key, id, exp, email])
        .is_some_and(|expected| crate::crypto::same(&expected, mac))
}

/// The token in a visitor's link that stops the replies mailed about one conversation: a MAC
/// of the conversation and the address, so it stops working once the address changes.
pub fn visitor_stop_token(env: &Env, conversation_id: &str, email: &str) -> Option<String> {
    keyed_mac(env, "visitor-stop", &[conversation_id, email])
}

/// Whether mail to visitors can carry the links it must: a usable `SECRETS_KEY` and the
/// deployment's address.
pub fn can_link(env: &Env, origin: Option<&str>) -> bool {
    origin.is_some() && keyed_mac(env, "probe", &[]).is_some()
}

/// A MAC of `parts` for one `purpose`, under the deployment's `SECRETS_KEY`: tokens that need
/// no storage and are good for nothing else. `None` without a usable key.
fn keyed_mac(env: &Env, purpose: &str, parts: &[&str]) -> Option<String> {
    let key = env.secret(crate::vault::BINDING).ok()?.to_string();
    if key.trim().len() < 32 {
        return None;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(format!("{purpose}:{key}").as_bytes()).ok()?;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\n");
        }
        mac.update(part.as_bytes());
    }
    Some(crate::crypto::hex(&mac.finalize().into_bytes()))
}
