//! Email to the team about visitors waiting for a person: who gets which mail, and what it
//! says (plain text and HTML). Sending, queuing and rate limiting live at the edge.

use serde::{Deserialize, Serialize};

use crate::protocol::{Millis, Role};

/// When a teammate is emailed about a new request for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestMail {
    Always,
    /// Only while the site is outside its business hours (always, without hours).
    OutsideHours,
    Never,
}

/// A teammate's own choice of team mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPrefs {
    pub new_requests: RequestMail,
    /// "Still unclaimed" reminders, when the site sends them.
    pub reminders: bool,
}

impl EmailPrefs {
    /// Until a teammate chooses: owners and admins hear of every request, others of none.
    pub fn default_for(role: Role) -> EmailPrefs {
        let new_requests = if role.can_manage() { RequestMail::Always } else { RequestMail::Never };
        EmailPrefs { new_requests, reminders: role.can_manage() }
    }

    /// Whether a new request is mailed now, with the site `open` or not.
    pub fn wants_request(&self, open: bool) -> bool {
        match self.new_requests {
            RequestMail::Always => true,
            RequestMail::OutsideHours => !open,
            RequestMail::Never => false,
        }
    }

    /// Opted out of everything (the unsubscribe link's effect).
    pub fn none() -> EmailPrefs {
        EmailPrefs { new_requests: RequestMail::Never, reminders: false }
    }
}

/// `GET /api/admin/me/email`: the teammate's choice, and whether this deployment sends mail at
/// all (without a sender configured the choice waits for one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyEmail {
    pub prefs: EmailPrefs,
    pub sending: bool,
    pub email: String,
}

/// Which mail a request is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    NewRequest,
    /// Still unclaimed after the site's reminder delay.
    Reminder,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::NewRequest => "new",
            Notice::Reminder => "reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Notice> {
        match s {
            "new" => Some(Notice::NewRequest),
            "reminder" => Some(Notice::Reminder),
            _ => None,
        }
    }
}

/// One line of the conversation as the mail quotes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BriefLine {
    pub who: String,
    pub text: String,
}

/// What the team needs to know of one waiting visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestBrief {
    pub conversation_id: String,
    pub visitor_name: Option<String>,
    pub visitor_email: Option<String>,
    /// What they need, in their words (the inbox's preview).
    pub need: String,
    /// The last messages, oldest first.
    pub recent: Vec<BriefLine>,
    pub waiting_since: Millis,
    pub page_url: Option<String>,
    /// Left a message for the team (nobody was available, or out of hours) rather than
    /// waiting in the chat.
    #[serde(default)]
    pub left_message: bool,
    /// The messaging channel they write from, with their handle there ("Telegram @tara_q").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where the mail's links lead.
pub struct Links<'a> {
    /// The console's address, `https://host/admin`; `None` while the deployment's address is
    /// not known (then the mail has no links rather than broken ones).
    pub console: Option<&'a str>,
    /// Turns these mails off for the recipient.
    pub unsubscribe: Option<&'a str>,
}

/// Lines quoted per request, and characters per line.
pub const RECENT_LINES: usize = 6;
const LINE_CHARS: usize = 300;

/// The mail about `briefs` (one, or a digest of several, with `more` not listed), at `now`.
pub fn compose(
    notice: Notice,
    site_title: &str,
    briefs: &[RequestBrief],
    more: usize,
    now: Millis,
    links: &Links,
) -> Composed {
    let site = one_line(site_title, 80);
    let count = briefs.len() + more;
    let subject = match (notice, briefs) {
        (_, []) => format!("No one is waiting — {site}"),
        (Notice::NewRequest, [b]) if b.left_message => {
            format!("{} left a message for the team — {site}", who(b))
        }
        (Notice::NewRequest, [b]) => format!("{} asked for a person — {site}", who(b)),
        (Notice::Reminder, [b]) => {
            format!("Still unclaimed after {}: {} — {site}", waited(now - b.waiting_since), who(b))
        }
        (Notice::NewRequest, _) => format!("{count} visitors asked for a person — {site}"),
        (Notice::Reminder, _) => format!("{count} requests are still unclaimed — {site}"),
    };
    let intro = match (notice, briefs) {
        (Notice::NewRequest, [b]) if b.left_message => {
            "A visitor left a message for the team: they are waiting for a reply.".to_owned()
        }
        (Notice::NewRequest, [_]) => "A visitor asked to talk to a person.".to_owned(),
        (Notice::Reminder, [_]) => "Nobody has claimed this request yet.".to_owned(),
        (Notice::NewRequest, _) => format!(
            "{count} visitors asked for a person. Mails are gathered like this when many come at once."
        ),
        (Notice::Reminder, _) => format!("{count} requests for a person are still unclaimed."),
    };
    let mut text = format!("{intro}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#111827;\
         max-width:640px\"><p>{}</p>",
        escape(&intro)
    );
    let console = links.console.map(|c| c.trim_end_matches('/'));
    for b in briefs {
        let link = console.map(|c| format!("{c}/c/{}", b.conversation_id));
        text.push_str(&brief_text(b, now, link.as_deref()));
        html.push_str(&brief_html(b, now, link.as_deref()));
    }
    if more > 0 {
        let line = format!("…and {more} more waiting: see the inbox.");
        text.push_str(&format!("{line}\n\n"));
        html.push_str(&format!("<p>{}</p>", escape(&line)));
    }
    let why = "You get this because your account on this team asks for these mails.";
    text.push_str(&format!("--\n{why}\n"));
    html.push_str(&format!(
        "<hr style=\"border:0;border-top:1px solid #e5e7eb\"><p style=\"color:#4b5563;\
         font-size:13px\">{why}"
    ));
    if let Some(c) = console {
        text.push_str(&format!("Choose which mails you get: {c}/account\n"));
        html.push_str(&format!(
            " <a href=\"{}/account\">Choose which mails you get</a>",
            escape(c)
        ));
    }
    if let Some(u) = links.unsubscribe {
        text.push_str(&format!("Unsubscribe: {u}\n"));
        html.push_str(&format!(" · <a href=\"{}\">Unsubscribe</a>", escape(u)));
    }
    html.push_str("</p></body></html>");
    Composed { subject, text, html }
}

fn who(b: &RequestBrief) -> String {
    b.visitor_name.as_deref().map(|n| one_line(n, 60)).unwrap_or_else(|| "A visitor".into())
}

/// A visitor's page as the mail shows it: host and path, never the query or fragment (they
/// can carry the visitor's tokens), and said to come from the visitor.
fn page(url: &str) -> String {
    let bare = url.split(['?', '#']).next().unwrap_or_default();
    format!("{} (as the visitor's browser said)", one_line(bare, 200))
}

fn brief_text(b: &RequestBrief, now: Millis, link: Option<&str>) -> String {
    let mut out = format!("{} — {}\n", who(b), how_long(b, now));
    if let Some(email) = &b.visitor_email {
        out.push_str(&format!("Email (as given, unverified): {}\n", one_line(email, 200)));
    }
    if let Some(page) = &b.page_url {
        out.push_str(&format!("Page: {}\n", self::page(page)));
    }
    if let Some(channel) = &b.channel {
        out.push_str(&format!("Writes from: {}\n", one_line(channel, 120)));
    }
    if !b.need.trim().is_empty() {
        out.push_str(&format!("Needs: {}\n", one_line(&b.need, LINE_CHARS)));
    }
    if !b.recent.is_empty() {
        out.push_str("\nLast messages:\n");
        for line in b.recent.iter().rev().take(RECENT_LINES).rev() {
            out.push_str(&format!(
                "  {}: {}\n",
                one_line(&line.who, 60),
                one_line(&line.text, LINE_CHARS)
            ));
        }
    }
    match link {
        Some(link) => out.push_str(&format!("\nOpen the conversation: {link}\n\n")),
        None => out.push_str("\nOpen the console's inbox to answer.\n\n"),
    }
    out
}

fn brief_html(b: &RequestBrief, now: Millis, link: Option<&str>) -> String {
    let mut out = format!(
        "<div style=\"border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin:12px 0\">\
         <p style=\"margin:0 0 8px\"><strong>{}</strong> — {}</p>",
        escape(&who(b)),
        escape(&how_long(b, now))
    );
    if let Some(email) = &b.visitor_email {
        out.push_str(&format!(
            "<p style=\"margin:0 0 4px\">Email (as given, unverified): {}</p>",
            escape(&one_line(email, 200))
        ));
    }
    if let Some(page) = &b.page_url {
        out.push_str(&format!(
            "<p style=\"margin:0 0 4px;color:#4b5563\">Page: {}</p>",
            escape(&self::page(page))
        ));
    }
    if let Some(channel) = &b.channel {
        out.push_str(&format!(
            "<p style=\"margin:0 0 4px;color:#4b5563\">Writes from: {}</p>",
            escape(&one_line(channel, 120))
        ));
    }
    if !b.need.trim().is_empty() {
        out.push_str(&format!(
            "<p style=\"margin:0 0 8px\">Needs: {}</p>",
            escape(&one_line(&b.need, LINE_CHARS))
        ));
    }
    if !b.recent.is_empty() {
        out.push_str("<table style=\"border-collapse:collapse;font-size:14px\">");
        for line in b.recent.iter().rev().take(RECENT_LINES).rev() {
            out.push_str(&format!(
                "<tr><td style=\"padding:2px 8px 2px 0;color:#4b5563;vertical-align:top\">{}</td>\
                 <td style=\"padding:2px 0\">{}</td></tr>",
                escape(&one_line(&line.who, 60)),
                escape(&one_line(&line.text, LINE_CHARS))
            ));
        }
        out.push_str("</table>");
    }
    match link {
        Some(link) => out.push_str(&format!(
            "<p style=\"margin:12px 0 0\"><a href=\"{}\" style=\"background:#0f766e;\
             color:#ffffff;padding:8px 14px;border-radius:6px;text-decoration:none;\
             display:inline-block\">Open the conversation</a></p>",
            escape(link)
        )),
        None => {
            out.push_str("<p style=\"margin:12px 0 0\">Open the console's inbox to answer.</p>")
        }
    }
    out.push_str("</div>");
    out
}

fn how_long(b: &RequestBrief, now: Millis) -> String {
    let ms = now - b.waiting_since;
    match (b.left_message, ms < 60_000) {
        (true, true) => "left a message just now".into(),
        (true, false) => format!("left a message {} ago", waited(ms)),
        (false, _) => format!("waiting {}", waited(ms)),
    }
}

/// "under a minute", "4 min", "2 h 5 min".
pub fn waited(ms: Millis) -> String {
    let mins = ms.max(0) / 60_000;
    match mins {
        0 => "under a minute".into(),
        1..=59 => format!("{mins} min"),
        _ if mins % 60 == 0 => format!("{} h", mins / 60),
        _ => format!("{} h {} min", mins / 60, mins % 60),
    }
}

/// Visitors write these: one line (no header or layout tricks), at most `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Text made safe inside HTML elements and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief(name: Option<&str>, since: Millis) -> RequestBrief {
        RequestBrief {
            conversation_id: "c1".into(),
            visitor_name: name.map(Into::into),
            visitor_email: Some("ana@example.com".into()),
            need: "My order #123 never arrived".into(),
            recent: vec![
                BriefLine { who: "Ana".into(), text: "hi".into() },
                BriefLine { who: "AI".into(), text: "Hello!".into() },
                BriefLine { who: "Ana".into(), text: "<script>alert(1)</script>".into() },
            ],
            waiting_since: since,
            page_url: Some("https://shop.example/cart".into()),
            left_message: false,
            channel: None,
        }
    }

    const LINKS: Links =
        Links { console: Some("https://t.example/admin"), unsubscribe: Some("https://u") };

    #[test]
    fn one_request_names_the_visitor_and_links_to_the_conversation() {
        let m = compose(Notice::NewRequest, "Shop", &[brief(Some("Ana"), 0)], 0, 240_000, &LINKS);
        assert_eq!(m.subject, "Ana asked for a person — Shop");
        assert!(m.text.contains("Ana — waiting 4 min"));
        assert!(m.text.contains("Needs: My order #123 never arrived"));
        assert!(m.text.contains("https://t.example/admin/c/c1"));
        assert!(m.html.contains("href=\"https://t.example/admin/c/c1\""));
        assert!(m.text.contains("Unsubscribe: https://u"));
    }

    #[test]
    fn visitor_words_cannot_write_html_or_headers() {
        let mut b = brief(Some("Eve\r\nBcc: all@x"), 0);
        b.need = "<img src=x onerror=alert(1)>".into();
        let m = compose(Notice::NewRequest, "Shop", &[b], 0, 0, &LINKS);
        assert!(!m.subject.contains('\n') && !m.subject.contains('\r'));
        assert!(!m.html.contains("<script>") && !m.html.contains("<img"));
        assert!(m.html.contains("&lt;script&gt;"));
    }

    #[test]
    fn several_requests_make_one_digest() {
        let briefs = [brief(Some("Ana"), 0), brief(None, 0), brief(Some("Bo"), 0)];
        let m = compose(Notice::NewRequest, "Shop", &briefs, 2, 60_000, &LINKS);
        assert_eq!(m.subject, "5 visitors asked for a person — Shop");
        assert_eq!(m.text.matches("Open the conversation").count(), 3);
        assert!(m.text.contains("…and 2 more waiting") && m.html.contains("…and 2 more waiting"));
        let r = compose(Notice::Reminder, "Shop", &briefs[..1], 0, 600_000, &LINKS);
        assert_eq!(r.subject, "Still unclaimed after 10 min: Ana — Shop");
    }

    #[test]
    fn pages_lose_their_query_and_unknown_addresses_give_no_links() {
        let mut b = brief(None, 0);
        b.page_url = Some("https://shop.example/pay?token=SECRET#x".into());
        let none = Links { console: None, unsubscribe: None };
        let m = compose(Notice::NewRequest, "Shop", &[b], 0, 0, &none);
        assert!(m.text.contains("Page: https://shop.example/pay (as the visitor"));
        assert!(!m.text.contains("SECRET") && !m.html.contains("SECRET"));
        assert!(!m.text.contains("/c/c1") && !m.html.contains("href"));
        assert!(m.text.contains("Open the console's inbox to answer."));
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(waited(5_000), "under a minute");
        assert_eq!(waited(61 * 60_000), "1 h 1 min");
        assert_eq!(waited(120 * 60_000), "2 h");
    }

    #[test]
    fn defaults_follow_the_role_and_hours() {
        assert!(EmailPrefs::default_for(Role::Owner).wants_request(true));
        assert!(!EmailPrefs::default_for(Role::Responder).wants_request(false));
        let off_hours = EmailPrefs { new_requests: RequestMail::OutsideHours, reminders: true };
        assert!(off_hours.wants_request(false) && !off_hours.wants_request(true));
    }
}
