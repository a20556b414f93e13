//! Team accounts and their sessions.

use serde::Deserialize;
use shared::api::{Me, Member, MemberChange, NewMember};
use shared::protocol::{AgentRef, Role};
use worker::{Request, Response, Result};

use super::Site;
use crate::api::admin::{LoginAttempt, LoginGranted, LoginHash, LoginOutcome};
use crate::crypto;
use crate::internal::{self, AgentIdentity, SessionToken};
use crate::sql::{self, int, text};

const SESSION_MS: i64 = internal::SESSION_DAYS as i64 * super::DAY_MS;
/// Failed sign-ins allowed per email in a window, and per client address (higher: a whole
/// office may sign in from one address).
const MAX_FAILURES: i64 = 5;
const MAX_CLIENT_FAILURES: i64 = 20;
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failure records kept at most: made-up emails cannot grow storage without bound.
const MAX_FAILURE_ROWS: i64 = 10_000;

/// What failed sign-ins are counted under: the email at this address (hashed, so its length
/// is fixed and the table holds no addresses), and the address. Never the email alone: then
/// anyone could lock any teammate out by failing on purpose from anywhere.
fn failure_keys(email: &str, client: Option<&str>) -> Vec<String> {
    let client: String = client.unwrap_or("-").chars().take(64).collect();
    let pair = crypto::secret_hash(&format!("{}\n{client}", normalize(email)));
    let mut keys = vec![format!("pair:{pair}")];
    if client != "-" {
        keys.push(format!("client:{client}"));
    }
    keys
}

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS login_failures (
  key TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at INTEGER NOT NULL);
";

/// Wrong current passwords given by a signed-in teammate, counted per teammate.
fn member_key(member_id: &str) -> String {
    format!("member:{member_id}")
}

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

use crate::now;

fn refuse(status: u16, code: &'static str, message: &str) -> Result<Response> {
    crate::http::finish(Err(crate::http::refuse(status, code, message)))
}

/// Creates members that are new and updates those whose email exists, replacing the password
/// (setup only: the operator's first-run tool, and how an owner account is recovered). An
/// existing member's sessions end and their sockets close: whoever held them before the
/// recovery holds nothing after it.
pub async fn upsert_members(site: &Site, members: &[NewMember]) -> Result<()> {
    // Hash first: the writes below then happen together, with no await between them.
    let mut hashed = Vec::with_capacity(members.len());
    for m in members {
        hashed.push((m, crypto::hash_password(&m.password).await?, crypto::new_id()?));
    }
    let sql = site.sql();
    let mut replaced = Vec::new();
    for (m, hash, id) in hashed {
        if let Some(existing) = by_email(site, &m.email)? {
            end_sessions(site, &existing.id, None)?;
            replaced.push(existing.id);
        }
        sql::run(
            &sql,
            "INSERT INTO members (id, email, name, role, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role,
               password_hash = excluded.password_hash",
            vec![
                text(id),
                text(normalize(&m.email)),
                text(shared::clean::name(&m.name)),
                text(m.role.as_str()),
                text(hash),
                int(now()),
            ],
        )?;
    }
    for id in replaced {
        super::revoke::revoke(site, &id, None, super::revoke::SESSION_ENDED).await?;
    }
    Ok(())
}

/// Whether someone on the team has `email`.
pub fn exists(site: &Site, email: &str) -> Result<bool> {
    Ok(by_email(site, email)?.is_some())
}

pub fn role_of(site: &Site, member_id: &str) -> Result<Option<Role>> {
    Ok(by_id(site, member_id)?.and_then(|r| Role::parse(&r.role)))
}

pub fn member_by_email(site: &Site, email: &str) -> Result<Option<Member>> {
    Ok(by_email(site, email)?.and_then(MemberRow::member))
}

/// A new teammate whose password was hashed already (an accepted invitation).
pub fn insert_hashed(site: &Site, email: &str, name: &str, role: Role, hash: &str) -> Result<()> {
    sql::run(
        &site.sql(),
        "INSERT INTO members (id, email, name, role, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            text(crypto::new_id()?),
            text(normalize(email)),
            text(shared::clean::name(name)),
            text(role.as_str()),
            text(hash),
            int(now()),
        ],
    )
}

/// Sets a teammate's password hash; false if there is no such teammate.
pub fn set_password_hash(site: &Site, member_id: &str, hash: &str) -> Result<bool> {
    let cursor = site.sql().exec(
        "UPDATE members SET password_hash = ? WHERE id = ?",
        Some(vec![text(hash), text(member_id)]),
    )?;
    Ok(cursor.rows_written() > 0)
}

/// Ends every session of the teammate; returns them.
pub fn end_all_sessions(site: &Site, member_id: &str) -> Result<Vec<String>> {
    end_sessions(site, member_id, None)
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
        .filter(|f| {
            let max = if key.starts_with("client:") { MAX_CLIENT_FAILURES } else { MAX_FAILURES };
            f.count >= max && now() - f.first_at < FAILURE_WINDOW_MS
        })
        .map(|f| ((f.first_at + FAILURE_WINDOW_MS - now()) / 60_000).max(1)))
}

fn record_failure(site: &Site, key: &str) -> Result<()> {
    let at = now();
    // Bounded as they are written: made-up emails and addresses cannot grow the table
    // between two daily prunes.
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let count: Option<Count> =
        sql::first(&site.sql(), "SELECT COUNT(*) AS n FROM login_failures", vec![])?;
    if count.is_some_and(|c| c.n >= MAX_FAILURE_ROWS) {
        // Expired counts go first, then counts below any lock; a lock in force stays.
        sql::run(
            &site.sql(),
            "DELETE FROM login_failures WHERE key IN
               (SELECT key FROM login_failures WHERE first_at <= ? OR count < ?
                ORDER BY first_at LIMIT 100)",
            vec![int(at - FAILURE_WINDOW_MS), int(MAX_FAILURES)],
        )?;
    }
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

/// `POST /login/check`: the first half of a sign-in. Unless the email and address are locked
/// out, answers the hash to check the password against — the member's, or one of no password
/// at all for an unknown email, so the answer and the work look the same either way. The
/// Worker runs the (deliberately slow) check, so a flood of sign-ins costs this object, which
/// every teammate's console depends on, only a lookup.
pub async fn login_check(site: &Site, mut req: Request) -> Result<Response> {
    let creds: LoginAttempt = internal::body(&mut req).await?;
    if site.site_key()?.is_none() {
        return Response::error("unknown site", 404);
    }
    let keys = failure_keys(&creds.email, creds.client.as_deref());
    for key in &keys {
        if let Some(minutes) = locked_for(site, key)? {
            let message = format!("Too many failed sign-ins. Try again in {minutes} minute(s).");
            return refuse(429, "too_many_attempts", &message);
        }
    }
    // Counted as a failure now, before the check: attempts sent all at once cannot slip
    // past the lock while their passwords are being checked. A success clears it.
    for key in &keys {
        record_failure(site, key)?;
    }
    let hash =
        by_email(site, &creds.email)?.map_or_else(|| DUMMY_HASH.to_owned(), |r| r.password_hash);
    Response::from_json(&LoginHash { hash })
}

/// `POST /login/finish`: the Worker checked the password against `hash`. A failure stays
/// counted (see [`login_check`]); a success clears the count and opens a session, provided
/// the member still has that hash (no password change slipped in between).
pub async fn login_finish(site: &Site, mut req: Request) -> Result<Response> {
    let done: LoginOutcome = internal::body(&mut req).await?;
    let Some(site_key) = site.site_key()? else {
        return Response::error("unknown site", 404);
    };
    let keys = failure_keys(&done.email, done.client.as_deref());
    let row = by_email(site, &done.email)?
        .filter(|r| done.verified && crypto::same(&r.password_hash, &done.hash));
    let Some(row) = row else {
        // The failure was counted by the check. Old failures are pruned by the alarm.
        crate::alarm::wake_by(&site.state.storage(), now() + super::DAY_MS).await?;
        return refuse(401, "wrong_credentials", "That email and password do not match.");
    };
    for key in &keys {
        sql::run(&site.sql(), "DELETE FROM login_failures WHERE key = ?", vec![text(key)])?;
    }
    // Links in mail lead where the owners sign in (an admin's sign-in cannot move them).
    if row.role == Role::Owner.as_str() {
        super::notify::seen_at(site, done.origin.as_deref())?;
    }
    let token = crypto::new_secret()?;
    let member_id = row.id.clone();
    let Some(me) = row.me(site_key, &token) else {
        return Response::error("member has an unknown role", 500);
    };
    let expires = now() + SESSION_MS;
    sql::run(
        &site.sql(),
        "INSERT INTO sessions (token_hash, member_id, expires_at) VALUES (?, ?, ?)",
        vec![text(crypto::secret_hash(&token)), text(member_id), int(expires)],
    )?;
    // The session's end closes its sockets: the alarm comes by then.
    crate::alarm::wake_by(&site.state.storage(), expires).await?;
    Response::from_json(&LoginGranted { token, me })
}

/// A syntactically valid hash of no password anyone knows.
const DUMMY_HASH: &str = "pbkdf2-sha256$100000$00000000000000000000000000000000$00";

fn session_member(site: &Site, token_hash: &str) -> Result<Option<MemberRow>> {
    let columns: Vec<String> = MEMBER_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect();
    let query = format!(
        "SELECT {} FROM sessions s JOIN members m ON m.id = s.member_id
         WHERE s.token_hash = ? AND s.expires_at > ?",
        columns.join(", ")
    );
    sql::first(&site.sql(), &query, vec![text(token_hash), int(now())])
}

/// `POST /session`: the teammate behind a session secret. With `socket_in`, the session is
/// opening a socket into that conversation: recorded, so an account change can close it.
pub async fn session(site: &Site, mut req: Request) -> Result<Response> {
    let SessionToken { token, socket_in } = internal::body(&mut req).await?;
    let Some(site_key) = site.site_key()? else {
        return Response::error("unknown site", 404);
    };
    let hash = crypto::secret_hash(&token);
    let Some(row) = session_member(site, &hash)? else {
        return Response::error("no such session", 401);
    };
    if let Some(conversation) = socket_in {
        // Made-up ids cannot grow the record: a session may have only so many sockets into
        // conversations the site has not heard of (one just created may not be indexed yet).
        let known = super::index::knows(site, &conversation)?;
        if !known && super::revoke::unknown_for(site, &hash)? >= super::revoke::MAX_UNKNOWN {
            // Marked, so that the console hears "no such conversation" (as from the object)
            // rather than a sign-in that failed.
            return internal::no_conversation("unknown conversation", 404);
        }
        super::revoke::register(site, &row.id, &hash, &conversation)?;
    }
    match row.me(site_key, &token) {
        Some(me) => Response::from_json(&internal::SessionCheck { me, checked_at: now() }),
        None => Response::error("no such session", 401),
    }
}

/// The identity behind a session as it stands now (role and name may have changed since it
/// was checked); `None` when the session ended.
pub fn current(site: &Site, who: &AgentIdentity) -> Result<Option<AgentIdentity>> {
    let Some(row) = session_member(site, &who.session)?.filter(|r| r.id == who.agent.id) else {
        return Ok(None);
    };
    Ok(Role::parse(&row.role).map(|role| AgentIdentity {
        site_key: who.site_key.clone(),
        agent: AgentRef { id: row.id, name: row.name },
        role,
        session: who.session.clone(),
        checked_at: now(),
    }))
}

/// Daily upkeep: expired sessions end (their sockets close), old failed sign-ins go, and
/// socket records of sessions that no longer exist are dropped.
pub async fn prune(site: &Site, now: i64) -> Result<()> {
    #[derive(Deserialize)]
    struct Expired {
        member_id: String,
        token_hash: String,
    }
    let sql = site.sql();
    let expired: Vec<Expired> = sql::rows(
        &sql,
        "SELECT member_id, token_hash FROM sessions WHERE expires_at <= ?",
        vec![int(now)],
    )?;
    let mut by_member: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for e in expired {
        by_member.entry(e.member_id).or_default().push(e.token_hash);
    }
    // Each member's sockets are queued for closing before their sessions go, so a failure
    // half-way leaves the rest for the next round rather than forgotten.
    for (member, sessions) in by_member {
        let ended = super::revoke::SESSION_ENDED;
        super::revoke::revoke(site, &member, Some(sessions.clone()), ended).await?;
        sql::run(
            &sql,
            "DELETE FROM sessions WHERE member_id = ? AND token_hash IN
               (SELECT value FROM json_each(?))",
            vec![text(&member), text(serde_json::to_string(&sessions)?)],
        )?;
    }
    sql::run(
        &sql,
        "DELETE FROM login_failures WHERE first_at <= ?",
        vec![int(now - FAILURE_WINDOW_MS)],
    )?;
    sql::run(
        &sql,
        "DELETE FROM login_failures WHERE key NOT IN
           (SELECT key FROM login_failures ORDER BY first_at DESC LIMIT ?)",
        vec![int(MAX_FAILURE_ROWS)],
    )?;
    sql::run(
        &sql,
        "DELETE FROM agent_sockets WHERE session NOT IN (SELECT token_hash FROM sessions)",
        vec![],
    )
}

/// When the next session ends: its sockets close then, not at the next daily round.
pub fn next_expiry(site: &Site) -> Result<Option<i64>> {
    #[derive(Deserialize)]
    struct Next {
        at: Option<i64>,
    }
    let next: Option<Next> =
        sql::first(&site.sql(), "SELECT MIN(expires_at) AS at FROM sessions", vec![])?;
    Ok(next.and_then(|n| n.at))
}

/// Signing out ends the session and closes the sockets it opened.
pub async fn logout(site: &Site, mut req: Request) -> Result<Response> {
    let SessionToken { token, .. } = internal::body(&mut req).await?;
    let hash = crypto::secret_hash(&token);
    #[derive(Deserialize)]
    struct Owner {
        member_id: String,
    }
    let owner: Option<Owner> = sql::first(
        &site.sql(),
        "SELECT member_id FROM sessions WHERE token_hash = ?",
        vec![text(&hash)],
    )?;
    sql::run(&site.sql(), "DELETE FROM sessions WHERE token_hash = ?", vec![text(&hash)])?;
    if let Some(owner) = owner {
        let ended = super::revoke::SESSION_ENDED;
        super::revoke::revoke(site, &owner.member_id, Some(vec![hash]), ended).await?;
    }
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
/// comes in the trusted agent header. Owners and admins manage the team; anything touching an
/// owner is an owner's to do; the last owner stays; everyone may change their own name, email
/// and password (the last two with their current password).
pub async fn manage(site: &Site, mut req: Request, path: &str) -> Result<Response> {
    let Some(actor) = internal::agent_from(&req) else { return Response::error("forbidden", 403) };
    let method = req.method();
    let target = path.strip_prefix("/team/").map(str::to_owned);
    match (method, target) {
        (worker::Method::Get, None) => Response::from_json(&list(site)?),
        (worker::Method::Post, None) if !actor.role.can_manage() => {
            forbidden("Only owners and admins manage the team.")
        }
        (worker::Method::Post, None) => match parse(&mut req).await {
            Ok(new) => add(site, &actor, new).await,
            Err(refused) => refused,
        },
        (worker::Method::Patch, Some(id)) => match parse(&mut req).await {
            Ok(change) => self::change(site, &actor, &id, change).await,
            Err(refused) => refused,
        },
        (worker::Method::Delete, Some(id)) => remove(site, &actor, &id).await,
        _ => Response::error("not found", 404),
    }
}

/// The body as `T`, or the 400 that says why not.
pub(super) async fn parse<T: serde::de::DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<T, Result<Response>> {
    let text = req.text().await.map_err(Err)?;
    serde_json::from_str(&text)
        .map_err(|e| refuse(400, "malformed_body", &format!("The JSON body is not valid: {e}.")))
}

fn forbidden(message: &str) -> Result<Response> {
    refuse(403, "forbidden", message)
}

async fn add(site: &Site, actor: &AgentIdentity, new: NewMember) -> Result<Response> {
    if !actor.role.can_manage() {
        return forbidden("Only owners and admins manage the team.");
    }
    if new.role == Role::Owner && actor.role != Role::Owner {
        return forbidden("Only an owner can add an owner.");
    }
    let checked = shared::validate::email(&new.email)
        .and_then(|()| shared::validate::member_name(&new.name))
        .and_then(|()| shared::validate::password(&new.password));
    if let Err(message) = checked {
        return refuse(400, "invalid_member", &message);
    }
    if by_email(site, &new.email)?.is_some() {
        return refuse(409, "member_exists", "Someone on the team already has that email.");
    }
    upsert_members(site, std::slice::from_ref(&new)).await?;
    super::links::end_invites_to(site, &new.email)?;
    let added = by_email(site, &new.email)?.and_then(MemberRow::member);
    Ok(Response::from_json(&added)?.with_status(201))
}

/// Who may change what of `target`: yourself always (your role only as a manager); others
/// only as an owner or admin, and an owner's account only as an owner.
fn may_change(
    actor: &AgentIdentity,
    target: &Member,
    change: &MemberChange,
) -> Option<&'static str> {
    let is_self = actor.agent.id == target.id;
    if !is_self && !actor.role.can_manage() {
        return Some("Only owners and admins change a teammate's account.");
    }
    if target.role == Role::Owner && actor.role != Role::Owner {
        return Some("Only an owner can change an owner's account.");
    }
    match change.role {
        Some(_) if !actor.role.can_manage() => Some("Only owners and admins change roles."),
        Some(Role::Owner) if actor.role != Role::Owner => {
            Some("Only an owner can make someone an owner.")
        }
        _ => None,
    }
}

async fn change(
    site: &Site,
    actor: &AgentIdentity,
    id: &str,
    change: MemberChange,
) -> Result<Response> {
    let Some(row) = by_id(site, id)? else {
        return refuse(404, "unknown_member", "There is no such teammate.");
    };
    let hash_now = row.password_hash.clone();
    let Some(current) = row.member() else {
        return refuse(404, "unknown_member", "There is no such teammate.");
    };
    if let Some(why) = may_change(actor, &current, &change) {
        return forbidden(why);
    }
    if let Some(role) = change.role
        && current.role == Role::Owner
        && role != Role::Owner
        && owners(site)? <= 1
    {
        return refuse(409, "last_owner", "The team needs at least one owner.");
    }
    let name = change.name.as_deref().map(shared::clean::name);
    if let Some(raw) = &change.name
        && let Err(message) = shared::validate::new_member_name(raw)
    {
        return refuse(400, "invalid_name", &message);
    }
    let email = change.email.as_deref().map(normalize).filter(|e| *e != current.email);
    if let Some(e) = &email {
        if let Err(message) = shared::validate::email(e) {
            return refuse(400, "invalid_email", &message);
        }
        if by_email(site, e)?.is_some() {
            return refuse(409, "member_exists", "Someone on the team already has that email.");
        }
    }
    if let Some(p) = &change.password
        && let Err(message) = shared::validate::password(p)
    {
        return refuse(400, "weak_password", &message);
    }
    // Your own password or email changes only with your current password: a session left
    // open on someone's screen cannot lock its owner out.
    let is_self = actor.agent.id == current.id;
    if is_self && (change.password.is_some() || email.is_some()) {
        let key = member_key(&current.id);
        if let Some(minutes) = locked_for(site, &key)? {
            let message = format!("Too many wrong passwords. Try again in {minutes} minute(s).");
            return refuse(429, "too_many_attempts", &message);
        }
        // Counted before the check, so concurrent guesses meet the lock; cleared on success.
        record_failure(site, &key)?;
        let given = change.current_password.as_deref().unwrap_or("");
        if given.len() > 1024 || !crypto::verify_password(given, &hash_now).await? {
            return refuse(403, "wrong_password", "Your current password is not right.");
        }
        sql::run(&site.sql(), "DELETE FROM login_failures WHERE key = ?", vec![text(&key)])?;
    }
    let new_hash = match &change.password {
        Some(p) => Some(crypto::hash_password(p).await?),
        None => None,
    };
    // The writes, with no await between them.
    let sql = site.sql();
    let set = |column: &str, value: String| {
        sql::run(
            &sql,
            &format!("UPDATE members SET {column} = ? WHERE id = ?"),
            vec![text(value), text(id)],
        )
    };
    if let Some(name) = &name {
        set("name", name.clone())?;
    }
    if let Some(email) = &email {
        set("email", email.clone())?;
    }
    if email.is_some() || new_hash.is_some() {
        super::links::end_resets(site, id)?;
    }
    if let Some(role) = change.role {
        set("role", role.as_str().to_owned())?;
    }
    let ended = match new_hash {
        Some(hash) => {
            set("password_hash", hash)?;
            Some(end_sessions(site, id, is_self.then_some(actor.session.as_str()))?)
        }
        None => None,
    };
    // Sockets carry the role and the name their messages show: close them, and the consoles
    // reconnect as who the teammate is now. A new password ends the other sessions outright.
    if let Some(sessions) = ended {
        super::revoke::revoke(site, id, Some(sessions), super::revoke::SESSION_ENDED).await?;
    }
    let renamed = name.as_ref().is_some_and(|n| *n != current.name);
    if change.role.is_some_and(|r| r != current.role) || renamed {
        super::revoke::revoke(site, id, None, super::revoke::ACCESS_CHANGED).await?;
    }
    Response::from_json(&by_id(site, id)?.and_then(MemberRow::member))
}

/// Deletes `member_id`'s sessions but `keep`; returns the ended ones.
fn end_sessions(site: &Site, member_id: &str, keep: Option<&str>) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct S {
        token_hash: String,
    }
    let keep = keep.unwrap_or("");
    let ended: Vec<S> = sql::rows(
        &site.sql(),
        "SELECT token_hash FROM sessions WHERE member_id = ? AND token_hash != ?",
        vec![text(member_id), text(keep)],
    )?;
    sql::run(
        &site.sql(),
        "DELETE FROM sessions WHERE member_id = ? AND token_hash != ?",
        vec![text(member_id), text(keep)],
    )?;
    Ok(ended.into_iter().map(|s| s.token_hash).collect())
}

async fn remove(site: &Site, actor: &AgentIdentity, id: &str) -> Result<Response> {
    if !actor.role.can_manage() {
        return forbidden("Only owners and admins manage the team.");
    }
    let Some(current) = by_id(site, id)?.and_then(MemberRow::member) else {
        return refuse(404, "unknown_member", "There is no such teammate.");
    };
    if current.role == Role::Owner && actor.role != Role::Owner {
        return forbidden("Only an owner can remove an owner.");
    }
    if current.role == Role::Owner && owners(site)? <= 1 {
        return refuse(409, "last_owner", "The team needs at least one owner.");
    }
    let sql = site.sql();
    end_sessions(site, id, None)?;
    sql::run(&sql, "DELETE FROM members WHERE id = ?", vec![text(id)])?;
    // Their sockets close, and what they held goes back to Pending for the rest of the team:
    // told through the conversations where they had a socket, and through the index for any
    // other (a conversation they hold but no longer have open).
    super::revoke::remove(site, id).await?;
    super::presence::requeue_now(site, id).await?;
    Ok(Response::empty()?.with_status(204))
}
