//! What every write of settings or team accounts must satisfy, checked by the edge before
//! anything is stored. Pure, so it is tested and fuzzed natively; each refusal is a sentence
//! for the person who typed the value.

use crate::api::{Engine, SetupRequest, SiteSettings};

pub const MAX_TITLE_CHARS: usize = 80;
pub const MAX_FAQ_ENTRIES: usize = 500;
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_ANSWER_CHARS: usize = 4000;
pub const MAX_PROMPT_CHARS: usize = 8000;
pub const MAX_MODEL_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_ORIGINS: usize = 100;
pub const MAX_MEMBER_NAME_CHARS: usize = 60;
pub const MAX_EMAIL_BYTES: usize = crate::protocol::limits::MAX_EMAIL_BYTES;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 200;
const WEEK_SECS: u32 = 7 * 24 * 3600;

pub type Checked = Result<(), String>;

fn bad(message: &str) -> Checked {
    Err(message.to_owned())
}

/// A URL our Worker may call with a secret on it: `https://`, or plain `http://` only to the
/// machine itself (a model or bot on loopback while developing). No credentials in it.
pub fn outbound_url(raw: &str, what: &str) -> Checked {
    let explain = || {
        Err(format!(
            "{what} must be an https:// URL (http:// only for localhost), without a user or \
             password in it."
        ))
    };
    if raw.chars().count() > MAX_URL_CHARS {
        return explain();
    }
    let Ok(url) = url::Url::parse(raw) else { return explain() };
    if !url.username().is_empty() || url.password().is_some() || url.host_str().is_none() {
        return explain();
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => explain(),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The same endpoint written two ways (`…/v1` and `…/v1/`, upper-case host) compares equal.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        url::Url::parse(s.trim()).ok().map(|u| u.as_str().trim_end_matches('/').to_owned())
    };
    matches!((norm(a), norm(b)), (Some(x), Some(y)) if x == y)
}

/// `#rrggbb` (any case) as its three channels: the only colour form settings take.
pub fn hex_color(hex: &str) -> Option<[u8; 3]> {
    // Hex digits only: `from_str_radix` alone would take a sign ("#+f+f+f").
    let h = hex
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let channel = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

pub fn settings(s: &SiteSettings) -> Checked {
    if crate::clean::is_blank(&s.title) || s.title.chars().count() > MAX_TITLE_CHARS {
        return bad("The site title needs 1 to 80 characters.");
    }
    if hex_color(&s.color).is_none() {
        return bad("The theme colour is a hex colour like #0f766e.");
    }
    if s.human_button_after > 50 {
        return bad("Show \"Talk to a human\" after at most 50 messages.");
    }
    if s.faq.len() > MAX_FAQ_ENTRIES
        || s.faq
            .iter()
            .any(|e| crate::clean::is_blank(&e.question) || crate::clean::is_blank(&e.answer))
    {
        return bad("Every question needs an answer (500 pairs at most).");
    }
    let too_long = |e: &crate::faq::FaqEntry| {
        e.question.chars().count() > MAX_QUESTION_CHARS
            || e.answer.chars().count() > MAX_ANSWER_CHARS
    };
    if s.faq.iter().any(too_long) {
        return bad("A question has at most 500 characters and an answer at most 4,000.");
    }
    if s.suggestions.len() > crate::api::MAX_SUGGESTIONS
        || s.suggestions.iter().any(|q| {
            crate::clean::is_blank(q) || q.chars().count() > crate::api::MAX_SUGGESTION_CHARS
        })
    {
        return bad("Suggest at most 3 questions, each of 1 to 120 characters.");
    }
    if s.suggestions.iter().enumerate().any(|(i, q)| s.suggestions[..i].contains(q)) {
        return bad("Each suggested question once.");
    }
    if let Some(hours) = &s.business_hours {
        hours.validate().map_err(|e| e.to_string())?;
    }
    match &s.engine {
        Engine::Faq => {}
        Engine::Llm(llm) => {
            outbound_url(&llm.base_url, "The model's base URL")?;
            if crate::clean::is_blank(&llm.model) || llm.model.chars().count() > MAX_MODEL_CHARS {
                return bad("Name the model to use (200 characters at most).");
            }
            if llm.system_prompt.chars().count() > MAX_PROMPT_CHARS {
                return bad("The system prompt has at most 8,000 characters.");
            }
            if !(1_000..=60_000).contains(&llm.timeout_ms) {
                return bad("The model's timeout is between 1,000 and 60,000 ms.");
            }
        }
        Engine::Webhook(hook) => outbound_url(&hook.url, "The webhook URL")?,
    }
    let t = &s.takeover;
    if t.unclaimed_timeout_secs > WEEK_SECS || t.assignee_offline_secs > WEEK_SECS {
        return bad("Timeouts are at most a week (604,800 seconds); 0 turns one off.");
    }
    if t.idle_close_secs > 90 * 24 * 3600 {
        return bad(
            "Idle conversations close after at most 90 days (7,776,000 seconds); 0 keeps them open.",
        );
    }
    if t.usual_wait_secs > 24 * 3600 {
        return bad("The usual reply time is at most a day (86,400 seconds); 0 estimates it.");
    }
    if s.email.remind_after_secs > 24 * 3600 {
        return bad("Reminders come after at most a day (86,400 seconds); 0 turns them off.");
    }
    crate::texts::validate(&s.texts)?;
    if s.allowed_origins.len() > MAX_ORIGINS {
        return bad("List at most 100 allowed origins.");
    }
    s.allowed_origins.iter().try_for_each(|o| crate::origins::validate(o))
}

/// A site key names objects and appears in URLs: 1 to 40 lowercase letters, digits or '-'.
pub fn site_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn email(email: &str) -> Checked {
    let e = email.trim();
    let plausible = e.len() <= MAX_EMAIL_BYTES
        && e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
                && !host.contains("..")
        })
        && e.matches('@').count() == 1
        && !e.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                // Reordering and invisible characters would show another address than the
                // one mail goes to.
                || crate::clean::invisible(c)
                || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\')
        });
    if plausible { Ok(()) } else { bad("That email address does not look right.") }
}

/// A teammate's display name as typed; it is stored cleaned (see [`crate::clean::name`]).
/// Empty is allowed: the teammate chooses one before their first takeover.
pub fn member_name(name: &str) -> Checked {
    if crate::clean::name(name).chars().count() > MAX_MEMBER_NAME_CHARS {
        return bad("A display name has at most 60 characters.");
    }
    Ok(())
}

/// A display name being changed: it cannot become empty.
pub fn new_member_name(name: &str) -> Checked {
    if crate::clean::name(name).is_empty() {
        return bad("A display name has 1 to 60 visible characters.");
    }
    member_name(name)
}

pub fn password(password: &str) -> Checked {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return bad("Passwords need at least 10 characters.");
    }
    if n > MAX_PASSWORD_CHARS {
        return bad("Passwords have at most 200 characters.");
    }
    Ok(())
}

pub fn setup(s: &SetupRequest) -> Checked {
    if !site_key(&s.site_key) {
        return bad("A site key is 1 to 40 lowercase letters, digits or '-'.");
    }
    settings(&s.settings)?;
    if s.members.len() > 200 {
        return bad("Set up at most 200 members at once.");
    }
    for m in &s.members {
        email(&m.email)?;
        member_name(&m.name)?;
        password(&m.password)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_only_over_https_or_to_this_machine() {
        for ok in ["https://api.openai.com/v1", "http://127.0.0.1:9000/v1", "http://localhost/x"] {
            assert_eq!(outbound_url(ok, "URL"), Ok(()), "{ok}");
        }
        for no in [
            "http://evil.example/v1",
            "ftp://x.example",
            "https://user:pw@x.example",
            "javascript:alert(1)",
            "http://127.0.0.1.evil.example/",
            "",
        ] {
            assert!(outbound_url(no, "URL").is_err(), "{no}");
        }
    }

    #[test]
    fn endpoints_compare_as_urls() {
        assert!(same_endpoint("https://API.openai.com/v1/", "https://api.openai.com/v1"));
        assert!(!same_endpoint(
            "https://api.openai.com.evil.example/v1",
            "https://api.openai.com/v1"
        ));
        assert!(!same_endpoint("not a url", "not a url"));
    }

    #[test]
    fn emails_names_and_passwords() {
        assert!(email("ana@shop.example").is_ok());
        assert!(email("ana.o'neil+shop@mail.shop.example").is_ok());
        let long = format!("{}@x.io", "a".repeat(260));
        let refused = ["ana", "@x.y", "a@b", "a b@c.d", "a@.x", "a@b@c.d", "a;b@c.d", "\"a\"@c.d"];
        assert!(email("moc.live\u{202E}@x.io").is_err() && email("a\u{200B}b@x.io").is_err());
        for no in refused.iter().copied().chain(["a@b..c", "a@(x).io", long.as_str()]) {
            assert!(email(no).is_err(), "{no}");
        }
        assert!(member_name(&"n".repeat(61)).is_err());
        assert!(new_member_name("\u{200B} ").is_err());
        assert!(password("short").is_err() && password(&"p".repeat(201)).is_err());
    }
}
