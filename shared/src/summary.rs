//! The offline ticket summary: a subject from the visitor's request and a summary from their
//! recent messages, both in the visitor's own words (and so in their language).

/// Characters in a subject and in a summary.
pub const SUBJECT_CHARS: usize = 80;
pub const SUMMARY_CHARS: usize = 300;
/// How many of the visitor's latest messages the summary reads.
pub const RECENT: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extract {
    pub subject: String,
    pub summary: String,
}

/// `visitor_messages` oldest first, as the visitor wrote them during the conversation.
/// The subject is the longest of the last three (the request, rather than "hi" or "thanks");
/// the summary is the last few messages, newest kept whole where they fit.
pub fn extract(visitor_messages: &[&str]) -> Extract {
    let recent: Vec<&str> = visitor_messages
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
        .rev()
        .take(RECENT)
        .collect();
    let subject = recent
        .iter()
        .take(3)
        .max_by_key(|m| m.chars().count())
        .map(|m| shorten(first_line(m), SUBJECT_CHARS))
        .unwrap_or_default();
    let mut parts: Vec<&str> = Vec::new();
    let mut used = 0;
    for m in &recent {
        let len = m.chars().count() + 2;
        if used + len > SUMMARY_CHARS && !parts.is_empty() {
            break;
        }
        used += len;
        parts.push(m);
    }
    parts.reverse();
    let summary = shorten(&parts.join(" / ").replace('\n', " "), SUMMARY_CHARS);
    Extract { subject, summary }
}

/// Whether a visitor message says what they need, rather than "hi", "hello?" or "human
/// please": what the inbox shows as a conversation's preview, once there is one.
pub fn is_substantive(message: &str) -> bool {
    let words = message.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
    let letters = message.chars().filter(|c| c.is_alphanumeric()).count();
    // Scripts without spaces between words (Japanese, Chinese) count by letters.
    let long_enough = words >= 5 || (words <= 1 && letters >= 12);
    // A short call for a person is not the need; a need that also asks for one is.
    long_enough && !(words <= 8 && crate::faq::wants_human(message))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// Cuts at a word boundary and marks the cut with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max - 1).collect();
    let at_word =
        cut.rfind(char::is_whitespace).filter(|i| *i > max / 2).map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_is_substantive_a_greeting_or_a_call_is_not() {
        for said in [
            "hi",
            "hello?",
            "human please",
            "talk to a person",
            "I want to talk to a human",
            "???",
            "ok thanks",
        ] {
            assert!(!is_substantive(said), "{said}");
        }
        for said in [
            "My order 1234 never arrived",
            "Can I return boots after 30 days?",
            "注文した商品がまだ届いていません",
            "refund-for-damaged-jacket",
            "My order 1234 never arrived and nobody answers, get me a human",
        ] {
            assert!(is_substantive(said), "{said}");
        }
    }

    #[test]
    fn subject_is_the_request_not_the_greeting() {
        let e =
            extract(&["hi", "My order 1234 arrived broken, can I get a replacement?", "thanks"]);
        assert_eq!(e.subject, "My order 1234 arrived broken, can I get a replacement?");
        assert!(e.summary.starts_with("hi / My order 1234"), "{}", e.summary);
    }

    #[test]
    fn long_text_is_cut_at_a_word_with_an_ellipsis() {
        let long = "word ".repeat(100);
        let e = extract(&[&long]);
        assert!(e.subject.chars().count() <= SUBJECT_CHARS);
        assert!(e.subject.ends_with('…'));
        assert!(e.summary.chars().count() <= SUMMARY_CHARS);
    }

    #[test]
    fn keeps_the_visitors_language() {
        let e = extract(&["Hola", "Mi pedido llegó roto y necesito un reembolso"]);
        assert_eq!(e.subject, "Mi pedido llegó roto y necesito un reembolso");
    }

    #[test]
    fn nothing_said_gives_empty_texts() {
        assert_eq!(extract(&[]), Extract { subject: String::new(), summary: String::new() });
    }
}
