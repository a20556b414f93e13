//! Text from outside made safe to show: names and messages lose the characters that can make a
//! line lie about who wrote it (controls, bidirectional overrides, invisible characters), and
//! spreadsheet cells lose their power to run formulas.

/// Bidirectional embeddings, overrides and isolates: they reorder what follows them, so a
/// name could display as someone else's words. Marks (U+200E, U+200F, U+061C) only nudge
/// neutral characters and are kept in messages, where right-to-left writers need them.
fn reorders(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing: a name or message made only of them looks empty, or
/// pads a line to look like another.
pub(crate) fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// A one-line name (a visitor's or a teammate's): no controls, no reordering, no invisible
/// characters, whitespace runs collapsed to one space, trimmed.
pub fn name(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !invisible(*c))
        .collect();
    kept.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A chat message or note: line breaks and tabs stay, other controls and reordering
/// characters go (joiners stay: emoji sequences and Persian need them). Trimmed.
pub fn message(raw: &str) -> String {
    // Most messages have nothing to take out: copied once, not rebuilt three times over on
    // the thread every conversation shares.
    if raw.trim().len() == raw.len() && raw.chars().all(kept_in_message) {
        return raw.to_owned();
    }
    rebuilt_message(raw)
}

fn kept_in_message(c: char) -> bool {
    (matches!(c, '\n' | '\t') || !(c.is_control() || reorders(c)))
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

fn rebuilt_message(raw: &str) -> String {
    let kept: String = raw
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| kept_in_message(*c))
        .collect();
    kept.trim().to_owned()
}

/// The page a visitor chatted from, as agents see it: http(s) only, without the user,
/// password or fragment a link may carry (fragments often hold tokens), at most 2,000
/// characters; `None` for anything else.
pub fn page_url(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    let out = url.to_string();
    (out.chars().count() <= 2000).then_some(out)
}

/// A language tag as a browser reports it (`en`, `pt-BR`, `zh-Hant-TW`); `None` otherwise.
pub fn language_tag(raw: &str) -> Option<String> {
    let tag = raw.trim();
    let ok = (2..=35).contains(&tag.len())
        && tag
            .split('-')
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    ok.then(|| tag.to_owned())
}

/// Whether a text shows nothing at all: only whitespace and invisible characters.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || c.is_control() || invisible(c))
}

/// A cell for a CSV export: one that a spreadsheet would read as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises.
pub fn csv_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_what_could_spoof_a_line() {
        assert_eq!(name("  Ana \u{202E}nimda\u{202C}  "), "Ana nimda");
        assert_eq!(name("Bob\u{200B}\u{200D}"), "Bob");
        assert_eq!(name("Eve\nAgent: hi"), "Eve Agent: hi");
        assert_eq!(name("\u{0007}\u{001B}[31mred"), "[31mred");
        assert_eq!(name("\u{2066}x\u{2069}"), "x");
        assert_eq!(name("José  María"), "José María");
    }

    #[test]
    fn messages_keep_lines_joiners_and_marks() {
        assert_eq!(message("a\r\nb\rc\td"), "a\nb\nc\td");
        assert_eq!(message("\u{202E}gnirts"), "gnirts");
        let family = "👩\u{200D}👩\u{200D}👧";
        assert_eq!(message(family), family);
        assert_eq!(message("שלום \u{200F}abc"), "שלום \u{200F}abc");
        assert_eq!(message("hi\u{0000}there"), "hithere");
    }

    proptest::proptest! {
        /// A message copied as it is (nothing to take out) is what rebuilding it gives.
        #[test]
        fn a_message_copied_as_it_is_is_what_rebuilding_gives(
            raw in "[a-z \\r\\n\\t\u{0}\u{7}\u{85}\u{a0}\u{200d}\u{200f}\u{202e}\u{2028}\u{2066}\u{3000}\u{feff}é👩]{0,12}"
        ) {
            proptest::prop_assert_eq!(message(&raw), rebuilt_message(&raw));
        }
    }

    #[test]
    fn blank_means_nothing_visible() {
        assert!(is_blank("\u{200B}\u{200B} \u{FEFF}\n\u{2060}"));
        assert!(is_blank(""));
        assert!(!is_blank("\u{200B}a"));
    }

    #[test]
    fn page_urls_lose_secrets_they_carry() {
        assert_eq!(
            page_url("https://ana:pw@shop.example/cart?id=3#access_token=abc").as_deref(),
            Some("https://shop.example/cart?id=3")
        );
        assert_eq!(page_url("javascript:alert(1)"), None);
        assert_eq!(page_url("file:///etc/passwd"), None);
        assert_eq!(page_url(&format!("https://x.example/{}", "a".repeat(2100))), None);
    }

    #[test]
    fn language_tags() {
        assert_eq!(language_tag("pt-BR").as_deref(), Some("pt-BR"));
        assert_eq!(language_tag("en\u{202E}"), None);
        assert_eq!(language_tag("x"), None);
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(csv_cell("Refund please"), "Refund please");
        assert_eq!(csv_cell(""), "");
    }
}
