//! What the conversation knows about its visitor: name and email from the host page's
//! `identify`, and the language detected from the visitor's own words.

use serde::Deserialize;
use shared::identity::Refusal;
use shared::protocol::{ErrorCode, ServerFrame, VisitorProfile, limits};
use worker::{Result, SqlStorage, WebSocket, console_error};

use super::Core;
use super::socket::{Attachment, refuse};
use crate::sql::{self, opt_text};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS visitor (
  id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT, email TEXT, language TEXT);
";

/// Columns added after the first release of the table.
pub const ADDED: &[(&str, &str)] = &[("user_id", "TEXT")];

#[derive(Deserialize)]
struct Row {
    name: Option<String>,
    email: Option<String>,
    language: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

/// The stored profile; until a language is detected, the browser's (`fallback`).
pub fn load(sql: &SqlStorage, fallback: Option<String>) -> Result<VisitorProfile> {
    let row: Option<Row> =
        sql::first(sql, "SELECT name, email, language, user_id FROM visitor WHERE id = 1", vec![])?;
    let row = row.unwrap_or(Row { name: None, email: None, language: None, user_id: None });
    Ok(VisitorProfile {
        name: row.name,
        email: row.email,
        language: row.language.or(fallback),
        user_id: row.user_id,
    })
}

pub fn save(sql: &SqlStorage, p: &VisitorProfile) -> Result<()> {
    sql::run(
        sql,
        "INSERT INTO visitor (id, name, email, language, user_id) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
           language = excluded.language, user_id = excluded.user_id",
        vec![
            opt_text(p.name.clone()),
            opt_text(p.email.clone()),
            opt_text(p.language.clone()),
            opt_text(p.user_id.clone()),
        ],
    )
}

/// Cleans and checks what `identify` or the contact form sent: names lose controls,
/// reordering and invisible characters (they could spoof lines in the console and in
/// transcripts); blank fields count as absent.
pub fn validate(
    name: Option<String>,
    email: Option<String>,
) -> std::result::Result<(Option<String>, Option<String>), String> {
    let name = name.map(|n| shared::clean::name(&n)).filter(|n| !n.is_empty());
    let email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > limits::MAX_NAME_CHARS) {
        return Err(format!("A name can be at most {} characters.", limits::MAX_NAME_CHARS));
    }
    if let Some(e) = &email {
        shared::validate::email(e)?;
    }
    Ok((name, email))
}

/// What the host page's `identify` sent.
pub struct Identity {
    pub name: Option<String>,
    pub email: Option<String>,
    pub user_id: Option<String>,
    pub token: Option<String>,
}

/// Fewer letters than this say too little to detect a language by.
const MIN_LETTERS: usize = 8;

/// Languages whatlang chooses among: the widget's, and a few more that visitors often write
/// in. A short list makes short messages less ambiguous.
const LANGS: &[whatlang::Lang] = {
    use whatlang::Lang::*;
    &[
        Eng, Spa, Fra, Deu, Por, Ita, Nld, Pol, Tur, Jpn, Cmn, Ara, Rus, Ukr, Swe, Dan, Fin, Ces,
        Kor, Hin,
    ]
};

/// The visitor's language, when two detectors are sure enough: the newest message first, then
/// everything they have written lately. Measured on short chat messages, whatlang alone is
/// often wrong ("How long does shipping take?" → Danish) and whichlang always answers (Polish
/// → Dutch), but where whichlang agrees with whatlang's best guess, or whatlang calls its own
/// guess reliable, every sample was right. Otherwise nothing changes.
///
/// `recent` is looked at only when `look_back` says so: detection costs time in proportion
/// to the text, and a run of short messages ("ok", "t1") adds almost nothing to decide by.
///
/// `known` is the language already in use (the browser's, or one detected before): leaving it
/// takes more than a first guess does — whatlang's own "reliable", or both detectors agreeing
/// on a longer text — so that "ABX-7731: a person please" does not turn an English visitor's
/// widget French.
pub fn detect(latest: &str, recent: &str, look_back: bool, known: Option<&str>) -> Option<String> {
    let known = known.map(shared::texts::primary);
    let switching = known.is_some();
    detect_one(latest, switching)
        .or_else(|| look_back.then(|| detect_one(recent, switching)).flatten())
        .filter(|found| Some(*found) != known.as_deref())
        .map(str::to_owned)
}

/// The letters in `text`: what language detection goes by.
pub fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

/// Letters a text needs before two agreeing detectors may move a visitor off a language.
const MIN_LETTERS_TO_SWITCH: usize = 24;

/// `text` without the words that belong to no language: order numbers, codes, references
/// (anything with a digit in it).
fn words_only(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == '/' || c == ':')
        .filter(|w| !w.chars().any(|c| c.is_numeric()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn detect_one(text: &str, switching: bool) -> Option<&'static str> {
    let text = words_only(text);
    let count = letters(&text);
    if count < MIN_LETTERS {
        return None;
    }
    let guess = whatlang::Detector::with_allowlist(LANGS.to_vec()).detect(&text)?;
    let code = guess.lang().code();
    let agreed = whichlang::detect_language(&text).three_letter_code() == code;
    let sure = guess.is_reliable() || (agreed && (!switching || count >= MIN_LETTERS_TO_SWITCH));
    sure.then(|| two_letter(code))
}

/// The tag the widget's languages go by, for an ISO 639-3 code.
fn two_letter(code: &'static str) -> &'static str {
    match code {
        "eng" => "en",
        "spa" => "es",
        "fra" => "fr",
        "deu" => "de",
        "por" => "pt",
        "ita" => "it",
        "nld" => "nl",
        "pol" => "pl",
        "tur" => "tr",
        "jpn" => "ja",
        "cmn" => "zh",
        "ara" => "ar",
        "rus" => "ru",
        "ukr" => "uk",
        "swe" => "sv",
        "dan" => "da",
        "fin" => "fi",
        "ces" => "cs",
        "kor" => "ko",
        "hin" => "hi",
        other => other,
    }
}

/// Whether `latest` is still in `current` by whichlang alone. whatlang costs about a hundred
/// times more (measured: 68 µs against 0.7 µs natively on a 70-character line), and most
/// messages are in the language already known, where the full detection would change
/// nothing.
fn still_in(latest: &str, current: &str) -> bool {
    letters(latest) >= MIN_LETTERS
        && two_letter(whichlang::detect_language(latest).three_letter_code())
            == shared::texts::primary(current)
}

impl Core {
    /// Whether a visitor's hello may open this conversation: any may, unless the
    /// conversation is a verified user's; then only a page that shows (with a token of the
    /// site's) that it is that user's, whatever its credential. A token that expired lately
    /// will do for a page left open, but not on a device the user's identity alone let in:
    /// there only a live token does.
    pub(super) async fn opens_for(&self, hello: &shared::protocol::Hello) -> bool {
        let Some(owner) = self.inner.borrow().profile.user_id.clone() else { return true };
        let Some(signed) = hello.identity.as_ref().filter(|s| s.user_id == owner) else {
            return false;
        };
        let by_identity = match &hello.credential {
            shared::protocol::Credential::Visitor { token } => {
                let hash = crate::crypto::secret_hash(token);
                super::grants::kind_of(self.sql(), &hash, crate::now())
                    == Some(super::grants::Kind::Identity)
            }
            shared::protocol::Credential::Agent => false,
        };
        let keys = self.identity_keys().await;
        let now_secs = crate::now() / 1000;
        if by_identity {
            shared::identity::verify(&signed.token, &keys, now_secs, &owner, None).is_ok()
        } else {
            shared::identity::proves(&signed.token, &keys, now_secs, &owner)
        }
    }

    /// The site's identity secrets as HMAC keys, newest first.
    async fn identity_keys(&self) -> Vec<Vec<u8>> {
        let setup = self.site_config().await;
        setup.secrets.identity_keys()
    }

    /// The conversation just became `user`'s: the visitor's other sockets stay only if their
    /// page proved that user at hello; the rest (a tab of someone else's, a copied credential)
    /// are closed, and must show the proof to come back.
    async fn keep_only(&self, user: &str, from: &Attachment) {
        let keys = self.identity_keys().await;
        let now_secs = crate::now() / 1000;
        for (ws, att) in self.ready_sockets() {
            if !att.is_visitor() || att.socket_id == from.socket_id {
                continue;
            }
            let proven = att.identity.as_ref().is_some_and(|s| {
                s.user_id == user && shared::identity::proves(&s.token, &keys, now_secs, user)
            });
            if !proven {
                let why = "This conversation is now a signed-in user's: a new one starts.";
                refuse(&ws, ErrorCode::Unauthorized, why);
                super::socket::close_for_good(&ws, 4001, "another user's conversation");
            }
        }
    }

    /// The host page's `identify`. With a user id and a token the site's backend signed, the
    /// visitor is verified as that user (name and email as the token says); without, the
    /// name and email are taken as given (unverified) unless the site requires signed
    /// identities, or the conversation is a verified user's already. Refusals change nothing.
    pub(super) async fn identify(&self, ws: &WebSocket, from: &Attachment, who: Identity) {
        if !from.is_visitor() {
            refuse(ws, ErrorCode::Forbidden, "Only the visitor says who they are.");
            return;
        }
        let (name, email) = match validate(who.name, who.email) {
            Ok(v) => v,
            Err(message) => return refuse(ws, ErrorCode::InvalidProfile, message),
        };
        let setup = self.site_config().await;
        if self.inner.borrow().config.is_none() {
            // Without the site's settings neither its secret nor its rules are known.
            let why = "The site's settings could not be read; try again in a moment.";
            return refuse(ws, ErrorCode::Internal, why);
        }
        let mut updated = self.inner.borrow().profile.clone();
        match (who.user_id, who.token) {
            (Some(user_id), Some(token)) => {
                let keys = setup.secrets.identity_keys();
                if keys.is_empty() {
                    let why = "This site has no identity secret yet (Settings → Visitor identity).";
                    return refuse(ws, ErrorCode::InvalidProfile, why);
                }
                let now_secs = crate::now() / 1000;
                let checked =
                    shared::identity::verify(&token, &keys, now_secs, &user_id, email.as_deref());
                let verified = match checked {
                    Ok(v) => v,
                    // The widget says it again after every reconnect: an hour on, its token has
                    // expired, but this conversation is that user's already.
                    Err(Refusal::Expired) if updated.user_id.as_deref() == Some(&user_id) => {
                        return;
                    }
                    Err(why) => return refuse(ws, ErrorCode::InvalidProfile, why.to_string()),
                };
                if updated.user_id.as_ref().is_some_and(|u| *u != verified.user_id) {
                    let why = "This conversation is another signed-in user's: start a new one.";
                    return refuse(ws, ErrorCode::Forbidden, why);
                }
                let (signed_name, signed_email) = match validate(verified.name, verified.email) {
                    Ok(v) => v,
                    Err(message) => return refuse(ws, ErrorCode::InvalidProfile, message),
                };
                // Only what the token says is shown as verified: a name the page adds is not.
                updated.name = signed_name;
                updated.email = signed_email;
                updated.user_id = Some(verified.user_id);
            }
            (None, None) if updated.verified() => {
                let why = "A signed-in user's name and email change only with a new token.";
                return refuse(ws, ErrorCode::Forbidden, why);
            }
            (None, None) if setup.config.identity_required => {
                let why = "This site accepts only signed identities: pass user_id and a token from its backend.";
                return refuse(ws, ErrorCode::InvalidProfile, why);
            }
            (None, None) => {
                updated.name = name.or(updated.name);
                updated.email = email.or(updated.email);
            }
            _ => {
                let why = "user_id and token go together.";
                return refuse(ws, ErrorCode::InvalidProfile, why);
            }
        }
        let was = self.inner.borrow().profile.user_id.clone();
        let user = updated.user_id.clone();
        self.set_profile(updated);
        let became = was.is_none() && self.inner.borrow().profile.user_id == user;
        if let (true, Some(user)) = (became, user) {
            self.keep_only(&user, from).await;
            // The site's index learns whose conversation this is at once: another device of
            // the user's looks it up there.
            if let Err(e) = self.queue_report(super::report::Record::Summary, true) {
                console_error!("reporting the verified user: {e}");
            }
            if let Err(e) = self.schedule().await {
                console_error!("reporting the verified user: {e}");
            }
        }
    }

    /// Follows the visitor's language as they write; short or ambiguous messages change nothing.
    /// The recent text is looked at again only once enough new letters have come in since
    /// the last look.
    pub(super) fn learn_language(&self, latest: &str) {
        let known = self.inner.borrow().profile.language.clone();
        if known.as_deref().is_some_and(|l| still_in(latest, l)) {
            self.inner.borrow_mut().unread_letters = 0;
            return;
        }
        let look_back = {
            let mut inner = self.inner.borrow_mut();
            inner.unread_letters += letters(latest);
            let due = inner.unread_letters >= MIN_LETTERS;
            if due {
                inner.unread_letters = 0;
            }
            due
        };
        let detected =
            detect(latest, &self.inner.borrow().visitor_text, look_back, known.as_deref());
        let Some(language) = detected else { return };
        let mut updated = self.inner.borrow().profile.clone();
        if updated.language.as_deref() != Some(language.as_str()) {
            updated.language = Some(language);
            self.set_profile(updated);
        }
    }

    pub(super) fn set_profile(&self, profile: VisitorProfile) {
        let before = self.inner.borrow().profile.clone();
        if before == profile {
            return;
        }
        if let Err(e) = save(self.sql(), &profile) {
            console_error!("visitor profile: {e}");
            return;
        }
        if before.email != profile.email || before.user_id != profile.user_id {
            self.end_link_access();
        }
        self.inner.borrow_mut().profile = profile.clone();
        self.broadcast(&ServerFrame::Visitor(profile));
    }
}
