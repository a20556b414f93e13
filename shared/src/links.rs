//! Account links sent by mail: an invitation to join the team (valid 7 days), and a link to
//! set a new password (valid 1 hour). Each works once; the link carries its secret after `#`,
//! so it never reaches a server log or another site as a referrer.

use serde::{Deserialize, Serialize};

use crate::mail::{Composed, escape};
use crate::protocol::{Millis, Role};

pub const INVITE_MS: Millis = 7 * 24 * 3600 * 1000;
pub const RESET_MS: Millis = 3600 * 1000;

/// `POST /api/admin/invitations`: invite someone by email (owners and admins; an owner only by
/// an owner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub email: String,
    pub role: Role,
}

/// An invitation not yet taken, as `GET /api/admin/invitations` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: Millis,
}

/// `POST /api/account/invite/info`: which invitation the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteLink {
    pub site_key: String,
    pub token: String,
}

/// What the invitation page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub email: String,
    pub role: Role,
    pub site_title: String,
    pub invited_by: String,
}

/// `POST /api/account/invite`: the invited teammate's own name and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptInvite {
    pub site_key: String,
    pub token: String,
    pub name: String,
    pub password: String,
}

/// `POST /api/account/reset`: a link to set a new password, mailed if the email is a
/// teammate's (the answer is the same either way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub site_key: String,
    pub email: String,
}

/// `POST /api/account/reset/finish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetFinish {
    pub site_key: String,
    pub token: String,
    pub password: String,
}

/// What an accepted invitation or a finished reset answers: the email to sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountReady {
    pub email: String,
}

/// The one answer to a reset request, whether or not the email is a teammate's.
pub const RESET_SENT: &str = "If that email belongs to a teammate of this site, a link to set a \
new password is on its way. It works once, for an hour.";

/// The console page a link opens: `{console}/invite?site=…#token=…`.
pub fn link(console: &str, page: &str, site_key: &str, token: &str) -> String {
    format!("{}/{page}?site={site_key}#token={token}", console.trim_end_matches('/'))
}

fn mail(subject: String, lines: &[String], link: &str, button: &str, after: &str) -> Composed {
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#111827;max-width:640px\">",
    );
    for line in lines {
        text.push_str(line);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(line)));
    }
    text.push_str(&format!("{button}: {link}\n\n{after}\n"));
    html.push_str(&format!(
        "<p><a href=\"{}\" style=\"background:#0f766e;color:#ffffff;padding:8px 14px;\
         border-radius:6px;text-decoration:none;display:inline-block\">{}</a></p>\
         <p style=\"color:#4b5563;font-size:13px\">{}</p></body></html>",
        escape(link),
        escape(button),
        escape(after)
    ));
    Composed { subject, text, html }
}

/// The invitation mail.
pub fn invite_mail(inviter: &str, site_title: &str, role: Role, link: &str) -> Composed {
    let role = match role {
        Role::Owner => "an owner",
        Role::Admin => "an admin",
        Role::Responder => "a responder",
        Role::Viewer => "a viewer",
    };
    mail(
        format!("{inviter} invited you to the {site_title} team"),
        &[format!(
            "{inviter} invited you to answer visitors' chats for {site_title} as {role}. Choose \
             your display name (visitors see it on your messages) and a password to join."
        )],
        link,
        "Join the team",
        "The link works once, for 7 days. If you did not expect this, ignore this mail.",
    )
}

/// The mail with a link to set a new password.
pub fn reset_mail(site_title: &str, link: &str) -> Composed {
    mail(
        format!("Set a new password for {site_title}"),
        &["Someone (we hope you) asked to set a new password for your account in the chat \
           console. Setting one signs you out on every device."
            .to_owned()],
        link,
        "Set a new password",
        "The link works once, for an hour. If you did not ask for it, ignore this mail: your \
         password stays as it is.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_secret_after_the_hash() {
        let l = link("https://t.example/admin/", "reset", "shop", "abc");
        assert_eq!(l, "https://t.example/admin/reset?site=shop#token=abc");
    }

    #[test]
    fn mails_escape_names_and_carry_the_link() {
        let m = invite_mail(
            "<b>Olga</b>",
            "Shop",
            Role::Responder,
            "https://x/admin/invite?site=s#token=t",
        );
        assert!(m.subject.contains("<b>Olga</b> invited you"));
        assert!(m.html.contains("&lt;b&gt;Olga&lt;/b&gt;") && !m.html.contains("<b>Olga"));
        assert!(m.text.contains("Join the team: https://x/admin/invite?site=s#token=t"));
        let r = reset_mail("Shop", "https://x/r");
        assert!(r.text.contains("works once, for an hour"));
    }
}
