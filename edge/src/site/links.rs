//! Invitations and password resets by mail. A link's secret is stored only as its hash; its
//! mail is queued with the secret and sent by the alarm (which then forgets the secret), so
//! a reset request answers alike, and as fast, whether or not the email is a teammate's.

use serde::Deserialize;
use shared::links::{
    AcceptInvite, AccountReady, INVITE_MS, Invitation, InviteInfo, NewInvite, RESET_MS,
    ResetFinish, ResetRequest,
};
use shared::protocol::{Millis, Role};
use worker::{Request, Response, Result, console_error};

use super::Site;
use crate::internal::{self, AgentIdentity};
use crate::mail::{self, Outgoing, Sender};
use crate::sql::{self, int, opt_text, text};
use crate::{crypto, now};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS account_links (
  id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, email TEXT NOT NULL,
  role TEXT, member_id TEXT, invited_by TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, used_at INTEGER, mail_token TEXT, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS account_links_unsent ON account_links (mail_token)
  WHERE mail_token IS NOT NULL;
";

/// Reset mails per teammate per hour, whoever asks: the form cannot flood a mailbox.
const RESETS_PER_HOUR: i64 = 3;
const ATTEMPTS: i64 = 5;

fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

#[derive(Deserialize)]
struct LinkRow {
    id: String,
    email: String,
    role: Option<String>,
    member_id: Option<String>,
    invited_by: String,
    expires_at: i64,
}

const LINK_COLUMNS: &str = "id, email, role, member_id, invited_by, expires_at";

/// The unused, unexpired link of `kind` whose secret is `token`.
fn valid(site: &Site, kind: &str, token: &str) -> Result<Option<LinkRow>> {
    if token.len() != 64 {
        return Ok(None);
    }
    sql::first(
        &site.sql(),
        &format!(
            "SELECT {LINK_COLUMNS} FROM account_links WHERE token_hash = ? AND kind = ?
             AND used_at IS NULL AND expires_at > ?"
        ),
        vec![text(crypto::secret_hash(token)), text(kind), int(now())],
    )
}

fn create(
    site: &Site,
    kind: &str,
    email: &str,
    role: Option<Role>,
    member_id: Option<&str>,
    invited_by: &str,
    lasts: Millis,
) -> Result<Invitation> {
    let (id, token, at) = (crypto::new_id()?, crypto::new_secret()?, now());
    sql::run(
        &site.sql(),
        "INSERT INTO account_links (id, token_hash, kind, email, role, member_id, invited_by,
           created_at, expires_at, mail_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            text(&id),
            text(crypto::secret_hash(&token)),
            text(kind),
            text(email),
            opt_text(role.map(Role::as_str)),
            opt_text(member_id),
            text(invited_by),
            int(at),
            int(at + lasts),
            text(token),
        ],
    )?;
    site.mail_by(at);
    Ok(Invitation {
        id,
        email: email.to_owned(),
        role: role.unwrap_or(Role::Viewer),
        invited_by: invited_by.to_owned(),
        expires_at: at + lasts,
    })
}

/// `GET`/`POST /invitations`, `DELETE /invitations/{id}`: owners and admins.
pub async fn manage(site: &Site, mut req: Request, path: &str) -> Result<Response> {
    let Some(actor) = internal::agent_from(&req).filter(|a| a.role.can_manage()) else {
        return refuse(403, "forbidden", "Only owners and admins invite teammates.");
    };
    match (req.method(), path.strip_prefix("/invitations/")) {
        (worker::Method::Get, None) => Response::from_json(&pending(site)?),
        (worker::Method::Post, None) => match super::team::parse(&mut req).await {
            Ok(new) => invite(site, &actor, new),
            Err(refused) => refused,
        },
        (worker::Method::Delete, Some(id)) => {
            let cursor = site.sql().exec(
                "DELETE FROM account_links WHERE id = ? AND kind = 'invite' AND used_at IS NULL",
                Some(vec![text(id)]),
            )?;
            if cursor.rows_written() == 0 {
                return refuse(404, "unknown_invitation", "There is no such invitation.");
            }
            Ok(Response::empty()?.with_status(204))
        }
        _ => Response::error("not found", 404),
    }
}

fn pending(site: &Site) -> Result<Vec<Invitation>> {
    let rows: Vec<LinkRow> = sql::rows(
        &site.sql(),
        &format!(
            "SELECT {LINK_COLUMNS} FROM account_links WHERE kind = 'invite' AND used_at IS NULL
             AND expires_at > ? ORDER BY created_at DESC"
        ),
        vec![int(now())],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Invitation {
            role: r.role.as_deref().and_then(Role::parse).unwrap_or(Role::Viewer),
            id: r.id,
            email: r.email,
            invited_by: r.invited_by,
            expires_at: r.expires_at,
        })
        .collect())
}

fn invite(site: &Site, actor: &AgentIdentity, new: NewInvite) -> Result<Response> {
    if new.role == Role::Owner && actor.role != Role::Owner {
        return refuse(403, "forbidden", "Only an owner can invite an owner.");
    }
    let email = new.email.trim().to_lowercase();
    if let Err(message) = shared::validate::email(&email) {
        return refuse(400, "invalid_email", &message);
    }
    if super::team::exists(site, &email)? {
        return refuse(409, "member_exists", "Someone on the team already has that email.");
    }
    if mail::sender(&site.env).is_none() {
        return refuse(
            503,
            "mail_unavailable",
            "This deployment sends no mail (MAIL_FROM is not set): add the teammate with a password instead.",
        );
    }
    // A new invitation to the same address replaces the one before.
    sql::run(
        &site.sql(),
        "DELETE FROM account_links WHERE kind = 'invite' AND email = ? AND used_at IS NULL",
        vec![text(&email)],
    )?;
    let made = create(site, "invite", &email, Some(new.role), None, &actor.agent.name, INVITE_MS)?;
    Ok(Response::from_json(&made)?.with_status(201))
}

/// `GET /invite?token=…`: what the invitation page shows.
pub fn invite_info(site: &Site, req: &Request) -> Result<Response> {
    let token = query(req, "token");
    let Some(link) = valid(site, "invite", &token)? else { return gone() };
    let title = site.settings()?.map(|(_, s)| s.title).unwrap_or_default();
    Response::from_json(&InviteInfo {
        email: link.email,
        role: link.role.as_deref().and_then(Role::parse).unwrap_or(Role::Viewer),
        site_title: title,
        invited_by: link.invited_by,
    })
}

fn gone() -> Result<Response> {
    refuse(410, "link_expired", "This link has expired or was already used. Ask for a new one.")
}

fn query(req: &Request, name: &str) -> String {
    req.url()
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
        .unwrap_or_default()
}

/// `POST /invite`: the invited teammate joins with their own name and password.
pub async fn accept(site: &Site, mut req: Request) -> Result<Response> {
    let body: AcceptInvite = req.json().await?;
    let checked = shared::validate::new_member_name(&body.name)
        .and_then(|()| shared::validate::password(&body.password));
    if let Err(message) = checked {
        return refuse(400, "invalid_member", &message);
    }
    if valid(site, "invite", &body.token)?.is_none() {
        return gone();
    }
    let hash = crypto::hash_password(&body.password).await?;
    // Checked again after the await: the link may have been used or revoked meanwhile.
    let Some(link) = valid(site, "invite", &body.token)? else { return gone() };
    if super::team::exists(site, &link.email)? {
        return refuse(409, "member_exists", "Someone on the team already has that email.");
    }
    let role = link.role.as_deref().and_then(Role::parse).unwrap_or(Role::Viewer);
    super::team::insert_hashed(site, &link.email, &body.name, role, &hash)?;
    used(site, &link.id)?;
    Ok(Response::from_json(&AccountReady { email: link.email })?.with_status(201))
}

fn used(site: &Site, id: &str) -> Result<()> {
    sql::run(
        &site.sql(),
        "UPDATE account_links SET used_at = ?, mail_token = NULL WHERE id = ?",
        vec![int(now()), text(id)],
    )
}

/// `POST /reset`: queues a reset mail if the email is a teammate's and they have not had too
/// many lately; answers the same in every case.
pub async fn request_reset(site: &Site, mut req: Request) -> Result<Response> {
    let body: ResetRequest = req.json().await?;
    if let Some(member) = super::team::member_by_email(site, &body.email)? {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let recent: Option<Count> = sql::first(
            &site.sql(),
            "SELECT count(*) AS n FROM account_links WHERE kind = 'reset' AND member_id = ?
             AND created_at > ?",
            vec![text(&member.id), int(now() - 3600 * 1000)],
        )?;
        if recent.is_none_or(|c| c.n < RESETS_PER_HOUR) && mail::sender(&site.env).is_some() {
            create(site, "reset", &member.email, None, Some(&member.id), "", RESET_MS)?;
        }
    }
    Response::from_json(&serde_json::json!({ "message": shared::links::RESET_SENT }))
}

/// `POST /reset/finish`: a new password from a reset link. Every session of the teammate
/// ends (their sockets close), and every other reset link of theirs stops working.
pub async fn finish_reset(site: &Site, mut req: Request) -> Result<Response> {
    let body: ResetFinish = req.json().await?;
    if let Err(message) = shared::validate::password(&body.password) {
        return refuse(400, "weak_password", &message);
    }
    if valid(site, "reset", &body.token)?.is_none() {
        return gone();
    }
    let hash = crypto::hash_password(&body.password).await?;
    let Some(link) = valid(site, "reset", &body.token)? else { return gone() };
    let Some(member_id) = link.member_id.clone() else { return gone() };
    if !super::team::set_password_hash(site, &member_id, &hash)? {
        return gone();
    }
    sql::run(
        &site.sql(),
        "UPDATE account_links SET used_at = ?, mail_token = NULL WHERE kind = 'reset'
         AND member_id = ? AND used_at IS NULL",
        vec![int(now()), text(&member_id)],
    )?;
    let ended = super::team::end_all_sessions(site, &member_id)?;
    super::revoke::revoke(site, &member_id, Some(ended), super::revoke::SESSION_ENDED).await?;
    Response::from_json(&AccountReady { email: link.email })
}

#[derive(Deserialize)]
struct Unsent {
    id: String,
    kind: String,
    email: String,
    role: Option<String>,
    invited_by: String,
    mail_token: String,
    attempts: i64,
}

/// The alarm's part: sends queued link mails, forgets each secret once sent, prunes old
/// links; says when to come back for a failed one.
pub async fn deliver(site: &Site) -> Result<Option<Millis>> {
    let at = now();
    sql::run(
        &site.sql(),
        "DELETE FROM account_links WHERE expires_at < ?",
        vec![int(at - super::DAY_MS)],
    )?;
    let unsent: Vec<Unsent> = sql::rows(
        &site.sql(),
        "SELECT id, kind, email, role, invited_by, mail_token, attempts FROM account_links
         WHERE mail_token IS NOT NULL AND used_at IS NULL AND expires_at > ?",
        vec![int(at)],
    )?;
    if unsent.is_empty() {
        return Ok(None);
    }
    let Some((site_key, settings)) = site.settings()? else { return Ok(None) };
    let Some(sender) = mail::sender(&site.env) else { return Ok(None) };
    let Some(origin) = super::notify::origin(site)? else {
        console_error!("account mail waits: the deployment's address is unknown (set PUBLIC_URL)");
        return Ok(Some(now() + 3_600_000));
    };
    let console = format!("{origin}/admin");
    let mut retry = None;
    for u in unsent {
        let composed = if u.kind == "invite" {
            let role = u.role.as_deref().and_then(Role::parse).unwrap_or(Role::Viewer);
            let link = shared::links::link(&console, "invite", &site_key, &u.mail_token);
            shared::links::invite_mail(&u.invited_by, &settings.title, role, &link)
        } else {
            let link = shared::links::link(&console, "reset", &site_key, &u.mail_token);
            shared::links::reset_mail(&settings.title, &link)
        };
        let out = Outgoing { to: &u.email, mail: &composed, unsubscribe: None };
        let sent = sender.send(&out).await;
        let (query, args) = match sent {
            Ok(()) => {
                ("UPDATE account_links SET mail_token = NULL WHERE id = ?", vec![text(&u.id)])
            }
            Err(e) if u.attempts + 1 >= ATTEMPTS => {
                console_error!("{} mail to {}: given up: {e}", u.kind, u.email);
                ("UPDATE account_links SET mail_token = NULL WHERE id = ?", vec![text(&u.id)])
            }
            Err(e) => {
                console_error!("{} mail to {}: {e}", u.kind, u.email);
                retry = Some(now() + 60_000 * (1 << u.attempts));
                ("UPDATE account_links SET attempts = attempts + 1 WHERE id = ?", vec![text(&u.id)])
            }
        };
        sql::run(&site.sql(), query, args)?;
    }
    Ok(retry)
}
