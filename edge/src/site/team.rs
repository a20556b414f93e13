//! Team accounts and their sessions.

use serde::Deserialize;
use shared::api::{Me, Member, MemberChange, NewMember};
use shared::protocol::{AgentRef, Role};
use worker::{Date, Request, Response, Result};

use super::Site;
use crate::api::admin::{Credentials, LoginGranted};
use crate::crypto;
use crate::internal::{self, SessionToken};
use crate::sql::{self, int, text};

const SESSION_MS: i64 = internal::SESSION_DAYS as i64 * super::DAY_MS;
/// Failed sign-ins allowed per email (and per client address) in a window.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS login_failures (
  key TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at INTEGER NOT NULL);
";

#[derive(Deserialize)]
struct MemberRow {
    id: String,
    email: String,
    name: String,
    role: String,
    password_hash: String,
}

impl MemberRow {
    fn me(self, site_key: String, session_token: &str) -> Option<Me> {
        Some(Me {
            site_key,
            agent: AgentRef { id: self.id, name: self.name },
            email: self.email,
            role: Role::parse(&self.role)?,
            csrf: crypto::csrf_token(session_token),
        })
    }

    fn member(self) -> Option<Member> {
        Some(Member {
            role: Role::parse(&self.role)?,
            id: self.id,
            email: self.email,
            name: self.name,
        })
    }
}

const MEMBER_COLUMNS: &str = "id, email, name, role, password_hash";

fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

fn now() -> i64 {
    Date::now().as_millis() as i64
}

fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

/// Creates members that are new and updates those whose email exists, replacing the password.
pub async fn upsert_members(site: &Site, members: &[NewMember]) -> Result<()> {
    // Hash first: the writes below then happen together, with no await between them.
    let mut hashed = Vec::with_capacity(members.len());
    for m in members {
        hashed.push((m, crypto::hash_password(&m.password).await?, crypto::new_id()?));
    }
    let sql = site.sql();
    for (m, hash, id) in hashed {
        sql::run(
            &sql,
            "INSERT INTO members (id, email, name, role, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role,
               password_hash = excluded.password_hash",
            vec![
                text(id),
                text(normalize(&m.email)),
                text(m.name.trim()),
                text(m.role.as_str()),
                text(hash),
                int(now()),
            ],
        )?;
    }
    Ok(())
}

fn by_email(site: &Site, email: &str) -> Result<Option<MemberRow>> {
    let query = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE email = ?");
    sql::first(&site.sql(), &query, vec![text(normalize(email))])
}

fn by_id(site: &Site, id: &str) -> Result<Option<MemberRow>> {
    let query = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = ?");
    sql::first(&site.sql(), &query, vec![text(id)])
}

/// Minutes until `key` may try again, if it has failed too often.
fn locked_for(site: &Site, key: &str) -> Result<Option<i64>> {
    #[derive(Deserialize)]
    struct Failures {
        count: i64,
        first_at: i64,
    }
    let row: Option<Failures> = sql::first(
        &site.sql(),
        "SELECT count, first_at FROM login_failures WHERE key = ?",
        vec![text(key)],
    )?;
    Ok(row
        .filter(|f| f.count >= MAX_FAILURES && now() - f.first_at < FAILURE_WINDOW_MS)
        .map(|f| ((f.first_at + FAILURE_WINDOW_MS - now()) / 60_000).max(1)))
}

fn record_failure(site: &Site, key: &str) -> Result<()> {
    let at = now();
    sql::run(
        &site.sql(),
        "INSERT INTO login_failures (key, count, first_at) VALUES (?, 1, ?)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN ? - first_at >= ? THEN 1 ELSE count + 1 END,
           first_at = CASE WHEN ? - first_at >= ? THEN ? ELSE first_at END",
        vec![
            text(key),
            int(at),
            int(at),
            int(FAILURE_WINDOW_MS),
            int(at),
            int(FAILURE_WINDOW_MS),
            int(at),
        ],
    )
}

pub async fn login(site: &Site, mut req: Request) -> Result<Response> {
    let creds: Credentials = req.json().await?;
    let Some(site_key) = site.site_key()? else {
        return Response::error("unknown site", 404);
    };
    let keys: Vec<String> = [
        Some(format!("email:{}", normalize(&creds.email))),
        creds.client.map(|c| format!("client:{c}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    for key in &keys {
        if let Some(minutes) = locked_for(site, key)? {
            let message = format!("Too many failed sign-ins. Try again in {minutes} minute(s).");
            return refuse(429, "too_many_attempts", &message);
        }
    }
    let row = by_email(site, &creds.email)?;
    let verified = match &row {
        Some(r) => crypto::verify_password(&creds.password, &r.password_hash).await?,
        None => {
            // Spend the same work as a real check, so timing does not reveal which emails exist.
            let _ = crypto::verify_password(&creds.password, DUMMY_HASH).await;
            false
        }
    };
    let Some(row) = row.filter(|_| verified) else {
        for key in &keys {
            record_failure(site, key)?;
        }
        return refuse(401, "wrong_credentials", "That email and password do not match.");
    };
    for key in &keys {
        sql::run(&site.sql(), "DELETE FROM login_failures WHERE key = ?", vec![text(key)])?;
    }
    let token = crypto::new_secret()?;
    let member_id = row.id.clone();
    let Some(me) = row.me(site_key, &token) else {
        return Response::error("member has an unknown role", 500);
    };
    sql::run(
        &site.sql(),
        "INSERT INTO sessions (token_hash, member_id, expires_at) VALUES (?, ?, ?)",
        vec![text(crypto::secret_hash(&token)), text(member_id), int(now() + SESSION_MS)],
    )?;
    // Expired sessions are pruned by the alarm, at most once a day.
    crate::alarm::wake_by(&site.state.storage(), now() + super::DAY_MS).await?;
    Response::from_json(&LoginGranted { token, me })
}

/// A syntactically valid hash of no password anyone knows.
const DUMMY_HASH: &str = "pbkdf2-sha256$100000$00000000000000000000000000000000$00";

pub async fn session(site: &Site, mut req: Request) -> Result<Response> {
    let SessionToken { token } = req.json().await?;
    let Some(site_key) = site.site_key()? else {
        return Response::error("unknown site", 404);
    };
    let columns: Vec<String> = MEMBER_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect();
    let query = format!(
        "SELECT {} FROM sessions s JOIN members m ON m.id = s.member_id
         WHERE s.token_hash = ? AND s.expires_at > ?",
        columns.join(", ")
    );
    let row: Option<MemberRow> =
        sql::first(&site.sql(), &query, vec![text(crypto::secret_hash(&token)), int(now())])?;
    match row.and_then(|r| r.me(site_key, &token)) {
        Some(me) => Response::from_json(&me),
        None => Response::error("no such session", 401),
    }
}

pub async fn logout(site: &Site, mut req: Request) -> Result<Response> {
    let SessionToken { token } = req.json().await?;
    sql::run(
        &site.sql(),
        "DELETE FROM sessions WHERE token_hash = ?",
        vec![text(crypto::secret_hash(&token))],
    )?;
    Response::ok("signed out")
}

/// `GET /member?id=…`: a teammate who can respond, for reassignment.
pub fn member(site: &Site, req: Request) -> Result<Response> {
    let url = req.url()?;
    let id =
        url.query_pairs().find(|(k, _)| k == "id").map(|(_, v)| v.into_owned()).unwrap_or_default();
    match by_id(site, &id)?.and_then(MemberRow::member).filter(|m| m.role.can_respond()) {
        Some(m) => Response::from_json(&AgentRef { id: m.id, name: m.name }),
        None => Response::error("no such teammate", 404),
    }
}

pub fn list(site: &Site) -> Result<Vec<Member>> {
    let query = format!("SELECT {MEMBER_COLUMNS} FROM members ORDER BY created_at");
    let rows: Vec<MemberRow> = sql::rows(&site.sql(), &query, vec![])?;
    Ok(rows.into_iter().filter_map(MemberRow::member).collect())
}

fn owners(site: &Site) -> Result<usize> {
    Ok(list(site)?.iter().filter(|m| m.role == Role::Owner).count())
}

/// `GET /team`, `POST /team`, `PATCH /team/{id}`, `DELETE /team/{id}`: the acting teammate
/// comes in the trusted agent header. Owners and admins manage the team; only an owner makes
/// or unmakes an owner; the last owner stays.
pub async fn manage(site: &Site, mut req: Request, path: &str) -> Result<Response> {
    let Some(actor) = internal::agent_from(&req) else { return Response::error("forbidden", 403) };
    let method = req.method();
    let target = path.strip_prefix("/team/").map(str::to_owned);
    if method == worker::Method::Get && target.is_none() {
        return Response::from_json(&list(site)?);
    }
    let is_self = target.as_deref() == Some(actor.agent.id.as_str());
    let may = actor.role.can_manage() || (is_self && method == worker::Method::Patch);
    if !may {
        return refuse(403, "forbidden", "Only owners and admins manage the team.");
    }
    match (method, target) {
        (worker::Method::Post, None) => {
            let new: NewMember = req.json().await?;
            if new.role == Role::Owner && actor.role != Role::Owner {
                return refuse(403, "forbidden", "Only an owner can add an owner.");
            }
            if !new.email.contains('@') || new.password.chars().count() < 10 {
                return refuse(
                    400,
                    "invalid_member",
                    "A member needs an email and a password of 10+ characters.",
                );
            }
            if by_email(site, &new.email)?.is_some() {
                return refuse(409, "member_exists", "Someone on the team already has that email.");
            }
            upsert_members(site, std::slice::from_ref(&new)).await?;
            let added = by_email(site, &new.email)?.and_then(MemberRow::member);
            Ok(Response::from_json(&added)?.with_status(201))
        }
        (worker::Method::Patch, Some(id)) => {
            let change: MemberChange = req.json().await?;
            let Some(current) = by_id(site, &id)?.and_then(MemberRow::member) else {
                return refuse(404, "unknown_member", "There is no such teammate.");
            };
            if let Some(role) = change.role {
                if !actor.role.can_manage() {
                    return refuse(403, "forbidden", "Only owners and admins change roles.");
                }
                let touches_owner = role == Role::Owner || current.role == Role::Owner;
                if touches_owner && actor.role != Role::Owner {
                    return refuse(403, "forbidden", "Only an owner can make or unmake an owner.");
                }
                if current.role == Role::Owner && role != Role::Owner && owners(site)? <= 1 {
                    return refuse(409, "last_owner", "The team needs at least one owner.");
                }
            }
            if let Some(name) = &change.name
                && (name.trim().is_empty() || name.chars().count() > 60)
            {
                return refuse(400, "invalid_name", "A display name has 1 to 60 characters.");
            }
            let hash = match &change.password {
                Some(p) if p.chars().count() < 10 => {
                    return refuse(400, "weak_password", "Passwords need at least 10 characters.");
                }
                Some(p) => Some(crypto::hash_password(p).await?),
                None => None,
            };
            let sql = site.sql();
            if let Some(name) = &change.name {
                sql::run(
                    &sql,
                    "UPDATE members SET name = ? WHERE id = ?",
                    vec![text(name.trim()), text(&id)],
                )?;
            }
            if let Some(role) = change.role {
                sql::run(
                    &sql,
                    "UPDATE members SET role = ? WHERE id = ?",
                    vec![text(role.as_str()), text(&id)],
                )?;
            }
            if let Some(hash) = hash {
                sql::run(
                    &sql,
                    "UPDATE members SET password_hash = ? WHERE id = ?",
                    vec![text(hash), text(&id)],
                )?;
            }
            Response::from_json(&by_id(site, &id)?.and_then(MemberRow::member))
        }
        (worker::Method::Delete, Some(id)) => {
            let Some(current) = by_id(site, &id)?.and_then(MemberRow::member) else {
                return refuse(404, "unknown_member", "There is no such teammate.");
            };
            if current.role == Role::Owner && (actor.role != Role::Owner || owners(site)? <= 1) {
                return refuse(
                    409,
                    "last_owner",
                    "Only an owner removes an owner, and the last owner stays.",
                );
            }
            let sql = site.sql();
            sql::run(&sql, "DELETE FROM sessions WHERE member_id = ?", vec![text(&id)])?;
            sql::run(&sql, "DELETE FROM members WHERE id = ?", vec![text(&id)])?;
            Ok(Response::empty()?.with_status(204))
        }
        _ => Response::error("not found", 404),
    }
}
