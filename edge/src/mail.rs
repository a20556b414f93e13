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
    let key = env.secret(crate::vault::BINDING).ok()?.to_string();
    if key.trim().len() < 32 {
        return None;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(format!("unsubscribe:{key}").as_bytes()).ok()?;
    mac.update(site_key.as_bytes());
    mac.update(b"\n");
    mac.update(member_id.as_bytes());
    mac.update(b"\n");
    mac.update(email.as_bytes());
    Some(crate::crypto::hex(&mac.finalize().into_bytes()))
}
