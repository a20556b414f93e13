//! Team accounts and their sessions.

use serde::Deserialize;
use shared::api::{Me, NewMember};
use shared::protocol::{AgentRef, Role};
use worker::{Date, Request, Response, Result};

use super::Site;
use crate::api::admin::{Credentials, LoginGranted};
use crate::crypto;
use crate::internal::SessionToken;
use crate::sql::{self, int, text};

const SESSION_MS: i64 = 14 * 24 * 3600 * 1000;

#[derive(Deserialize)]
struct MemberRow {
    id: String,
    email: String,
    name: String,
    role: String,
    password_hash: String,
}

impl MemberRow {
    fn me(self, site_key: String) -> Option<Me> {
        Some(Me {
            site_key,
            agent: AgentRef { id: self.id, name: self.name },
            email: self.email,
            role: Role::parse(&self.role)?,
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

pub async fn login(site: &Site, mut req: Request) -> Result<Response> {
    let creds: Credentials = req.json().await?;
    let Some((site_key, _)) = site.settings()? else {
        return Response::error("unknown site", 404);
    };
    let query = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE email = ?");
    let row: Option<MemberRow> =
        sql::first(&site.sql(), &query, vec![text(normalize(&creds.email))])?;
    let Some(row) = row else {
        // Spend the same work as a real check, so timing does not reveal which emails exist.
        let _ = crypto::verify_password(&creds.password, DUMMY_HASH).await;
        return Response::error("wrong credentials", 401);
    };
    if !crypto::verify_password(&creds.password, &row.password_hash).await? {
        return Response::error("wrong credentials", 401);
    }
    let token = crypto::new_secret()?;
    let member_id = row.id.clone();
    let Some(me) = row.me(site_key) else {
        return Response::error("member has an unknown role", 500);
    };
    sql::run(
        &site.sql(),
        "INSERT INTO sessions (token_hash, member_id, expires_at) VALUES (?, ?, ?)",
        vec![text(crypto::secret_hash(&token)), text(member_id), int(now() + SESSION_MS)],
    )?;
    // Expired sessions are pruned by the alarm, at most once a day.
    let storage = site.state.storage();
    if storage.get_alarm().await?.is_none() {
        storage.set_alarm(24 * 3600 * 1000).await?;
    }
    Response::from_json(&LoginGranted { token, me })
}

/// A syntactically valid hash of no password anyone knows.
const DUMMY_HASH: &str = "pbkdf2-sha256$100000$00000000000000000000000000000000$00";

pub async fn session(site: &Site, mut req: Request) -> Result<Response> {
    let SessionToken { token } = req.json().await?;
    let Some((site_key, _)) = site.settings()? else {
        return Response::error("unknown site", 404);
    };
    let query = format!(
        "SELECT {} FROM sessions s JOIN members m ON m.id = s.member_id
         WHERE s.token_hash = ? AND s.expires_at > ?",
        MEMBER_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ")
    );
    let row: Option<MemberRow> =
        sql::first(&site.sql(), &query, vec![text(crypto::secret_hash(&token)), int(now())])?;
    match row.and_then(|r| r.me(site_key)) {
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
    let query = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = ?");
    let row: Option<MemberRow> = sql::first(&site.sql(), &query, vec![text(id)])?;
    let site_key = site.settings()?.map(|(k, _)| k).unwrap_or_default();
    match row.and_then(|r| r.me(site_key)).filter(|m| m.role.can_respond()) {
        Some(me) => Response::from_json(&me.agent),
        None => Response::error("no such teammate", 404),
    }
}
