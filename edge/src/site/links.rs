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
  expires_at INTEGER NOT NULL, used_at INTEGER, mail_token TEXT, attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS account_links_unsent ON account_links (mail_token)
  WHERE mail_token IS NOT NULL;
";

/// Reset mails per teammate per hour, whoever asks: the form cannot flood a mailbox.
const RESETS_PER_HOUR: i64 = 3;
/// Invitations a site may have waiting, so a compromised admin cannot mail the world.
const PENDING_INVITES: usize = 50;
const ATTEMPTS: i64 = 5;

fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

/// For an invitation, `member_id` is who sent it (it stops working if they may no longer
/// invite); for a reset, whose password it sets.
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
    let token = crypto::new_secret()?;
    let made = create_row(site, kind, email, role, member_id, invited_by, lasts, Some(&token))?;
    site.alarm_by(now());
    Ok(made)
}

/// One link row; with `token`, its mail is queued.
#[allow(clippy::too_many_arguments)]
fn create_row(
    site: &Site,
    kind: &str,
    email: &str,
    role: Option<Role>,
    member_id: Option<&str>,
    invited_by: &str,
    lasts: Millis,
    token: Option<&str>,
) -> Result<Invitation> {
    let (id, at) = (crypto::new_id()?, now());
    // A row without a mail still needs a unique hash: one of a secret nobody keeps.
    let hash = crypto::secret_hash(&token.map_or_else(crypto::new_secret, |t| Ok(t.to_owned()))?);
    sql::run(
        &site.sql(),
        "INSERT INTO account_links (id, token_hash, kind, email, role, member_id, invited_by,
           created_at, expires_at, mail_token, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            text(&id),
            text(hash),
            text(kind),
            text(email),
            opt_text(role.map(Role::as_str)),
            opt_text(member_id),
            text(invited_by),
            int(at),
            int(at + lasts),
            opt_text(token),
            int(at),
        ],
    )?;
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
            let target = pending(site)?.into_iter().find(|i| i.id == id);
            if target.is_some_and(|i| i.role == Role::Owner) && actor.role != Role::Owner {
                return refuse(403, "forbidden", "Only an owner can revoke an owner's invitation.");
            }
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
    if pending(site)?.len() >= PENDING_INVITES {
        let why = format!("{PENDING_INVITES} invitations are waiting: revoke some first.");
        return refuse(409, "too_many_invitations", &why);
    }
    let replaced = pending(site)?.into_iter().find(|i| i.email == email);
    if replaced.is_some_and(|i| i.role == Role::Owner) && actor.role != Role::Owner {
        return refuse(403, "forbidden", "Only an owner can replace an owner's invitation.");
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
    let inviter = Some(actor.agent.id.as_str());
    let made =
        create(site, "invite", &email, Some(new.role), inviter, &actor.agent.name, INVITE_MS)?;
    Ok(Response::from_json(&made)?.with_status(201))
}

/// `POST /invite/info` with the token: what the invitation page shows.
pub async fn invite_info(site: &Site, mut req: Request) -> Result<Response> {
    #[derive(Deserialize)]
    struct Token {
        token: String,
    }
    let token: Token = internal::body(&mut req).await?;
    let Some(link) = valid(site, "invite", &token.token)? else { return gone() };
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

/// `POST /invite`: the invited teammate joins with their own name and password.
pub async fn accept(site: &Site, mut req: Request) -> Result<Response> {
    let body: AcceptInvite = internal::body(&mut req).await?;
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
    // Who invited must still be allowed to: a teammate removed or demoted since cannot come
    // back through an invitation they sent themselves.
    let inviter = match link.member_id.as_deref() {
        Some(id) => super::team::role_of(site, id)?,
        None => None,
    };
    let allowed = match inviter {
        Some(Role::Owner) => true,
        Some(Role::Admin) => role != Role::Owner,
        _ => false,
    };
    if !allowed {
        return gone();
    }
    super::team::insert_hashed(site, &link.email, &body.name, role, &hash)?;
    used(site, &link.id)?;
    Ok(Response::from_json(&AccountReady { email: link.email })?.with_status(201))
}

/// Reset links of the teammate still out stop working: their address or password changed.
pub fn end_resets(site: &Site, member_id: &str) -> Result<()> {
    sql::run(
        &site.sql(),
        "UPDATE account_links SET used_at = ?, mail_token = NULL WHERE kind = 'reset'
         AND member_id = ? AND used_at IS NULL",
        vec![int(now()), text(member_id)],
    )
}

/// Invitations to `email` are moot once it is on the team.
pub fn end_invites_to(site: &Site, email: &str) -> Result<()> {
    sql::run(
        &site.sql(),
        "DELETE FROM account_links WHERE kind = 'invite' AND email = ? AND used_at IS NULL",
        vec![text(email.trim().to_lowercase())],
    )
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
    let body: ResetRequest = internal::body(&mut req).await?;
    let member = super::team::member_by_email(site, &body.email)?;
    // The same write whatever the email: a reply held for a write would otherwise say, by its
    // timing, that the email is a teammate's. A row for no one is only pruned.
    if member.is_none() {
        let nobody = crate::crypto::new_id()?;
        create_row(site, "none", &nobody, None, None, "", RESET_MS, None)?;
    }
    if let Some(member) = member {
        let recent = sql::number(
            &site.sql(),
            "SELECT count(*) AS n FROM account_links WHERE kind = 'reset' AND member_id = ?
             AND created_at > ?",
            vec![text(&member.id), int(now() - 3600 * 1000)],
        )?;
        if recent.unwrap_or(0) < RESETS_PER_HOUR && mail::sender(&site.env).is_some() {
            create(site, "reset", &member.email, None, Some(&member.id), "", RESET_MS)?;
        } else {
            create_row(site, "none", &member.id, None, None, "", RESET_MS, None)?;
        }
    }
    Response::from_json(&serde_json::json!({ "message": shared::links::RESET_SENT }))
}

/// `POST /reset/finish`: a new password from a reset link. Every session of the teammate
/// ends (their sockets close), and every other reset link of theirs stops working.
pub async fn finish_reset(site: &Site, mut req: Request) -> Result<Response> {
    let body: ResetFinish = internal::body(&mut req).await?;
    if let Err(message) = shared::validate::password(&body.password) {
        return refuse(400, "weak_password", &message);
    }
    if valid(site, "reset", &body.token)?.is_none() {
        return gone();
    }
    let hash = crypto::hash_password(&body.password).await?;
    let Some(link) = valid(site, "reset", &body.token)? else { return gone() };
    let Some(member_id) = link.member_id.clone() else { return gone() };
    // Mailed to an address the teammate has left since: whoever reads it now is not them.
    let current = super::team::member_by_email(site, &link.email)?;
    if current.is_none_or(|m| m.id != member_id) {
        return gone();
    }
    if !super::team::set_password_hash(site, &member_id, &hash)? {
        return gone();
    }
    end_resets(site, &member_id)?;
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
    member_id: Option<String>,
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
    // An expired link's secret is of no use to anyone: forget it now, not at the prune.
    sql::run(
        &site.sql(),
        "UPDATE account_links SET mail_token = NULL WHERE mail_token IS NOT NULL
         AND (expires_at <= ? OR used_at IS NOT NULL)",
        vec![int(at)],
    )?;
    let unsent: Vec<Unsent> = sql::rows(
        &site.sql(),
        "SELECT id, kind, email, role, member_id, invited_by, mail_token, attempts FROM account_links
         WHERE mail_token IS NOT NULL AND due_at <= ?",
        vec![int(at)],
    )?;
    if unsent.is_empty() {
        return Ok(None);
    }
    let Some((site_key, settings)) = site.settings()? else { return Ok(None) };
    let Some(sender) = mail::sender(&site.env) else {
        sql::run(&site.sql(), "UPDATE account_links SET mail_token = NULL", vec![])?;
        return Ok(None);
    };
    let Some(origin) = super::notify::origin(site)? else {
        console_error!("account mail waits: the deployment's address is unknown (set PUBLIC_URL)");
        return Ok(Some(now() + 3_600_000));
    };
    let console = format!("{origin}/admin");
    let mut retry = None;
    for u in unsent {
        if u.kind == "reset"
            && super::team::member_by_email(site, &u.email)?
                .is_none_or(|m| Some(&m.id) != u.member_id.as_ref())
        {
            // The teammate's address changed (or they left) since the request.
            used(site, &u.id)?;
            continue;
        }
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
                let due = now() + 60_000 * (1 << u.attempts);
                retry = Some(retry.map_or(due, |r: Millis| r.min(due)));
                (
                    "UPDATE account_links SET attempts = attempts + 1, due_at = ? WHERE id = ?",
                    vec![int(due), text(&u.id)],
                )
            }
        };
        sql::run(&site.sql(), query, args)?;
    }
    Ok(retry)
}
