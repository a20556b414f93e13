//! The owner's wording for the lines visitors see. The widget has a localized default for
//! each; the owner may override any of them per language, or for every language with `*`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Overrides by language: a primary language subtag (`en`, `de`, `pt`) or `*` for all.
pub type TextOverrides = BTreeMap<String, Texts>;

/// The same overrides as the widget receives them: the same JSON object, read into a list. A
/// map's building and sorting code would be downloaded by every visitor to look up two
/// languages once.
#[derive(Debug, Clone, Default)]
pub struct WidgetTexts(Vec<(String, Texts)>);

/// Equal as maps are: the same languages with the same lines, in any order.
impl PartialEq for WidgetTexts {
    fn eq(&self, other: &WidgetTexts) -> bool {
        self.0.len() == other.0.len() && self.0.iter().all(|(l, t)| other.language(l) == Some(t))
    }
}

impl Eq for WidgetTexts {}

/// Overrides that can be looked up by language.
pub trait Overrides {
    fn language(&self, lang: &str) -> Option<&Texts>;
}

impl Overrides for TextOverrides {
    fn language(&self, lang: &str) -> Option<&Texts> {
        self.get(lang)
    }
}

impl Overrides for WidgetTexts {
    fn language(&self, lang: &str) -> Option<&Texts> {
        self.0.iter().find(|(l, _)| l == lang).map(|(_, t)| t)
    }
}

impl From<&TextOverrides> for WidgetTexts {
    fn from(all: &TextOverrides) -> WidgetTexts {
        WidgetTexts(all.iter().map(|(l, t)| (l.clone(), t.clone())).collect())
    }
}

/// A language written twice keeps its last overrides, as a map would.
impl FromIterator<(String, Texts)> for WidgetTexts {
    fn from_iter<I: IntoIterator<Item = (String, Texts)>>(all: I) -> WidgetTexts {
        let mut list: Vec<(String, Texts)> = Vec::new();
        for (lang, texts) in all {
            match list.iter_mut().find(|(l, _)| *l == lang) {
                Some(kept) => kept.1 = texts,
                None => list.push((lang, texts)),
            }
        }
        WidgetTexts(list)
    }
}

impl Serialize for WidgetTexts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(l, t)| (l, t)))
    }
}

impl<'de> Deserialize<'de> for WidgetTexts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<WidgetTexts, D::Error> {
        struct InOrder;
        impl<'de> serde::de::Visitor<'de> for InOrder {
            type Value = WidgetTexts;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("overrides by language")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<WidgetTexts, A::Error> {
                let mut all = Vec::new();
                while let Some(entry) = map.next_entry::<String, Texts>()? {
                    all.push(entry);
                }
                Ok(all.into_iter().collect())
            }
        }
        d.deserialize_map(InOrder)
    }
}

/// The lines an owner can reword; `{name}` stands for the agent's display name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Texts {
    /// The assistant's first words when the chat opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// Shown while the visitor waits for a person after a handover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<String>,
    /// Shown above the contact form outside business hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_hours: Option<String>,
    /// "{name} joined the conversation".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<String>,
    /// "{name} left the conversation".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    /// Told to the visitor when nobody claimed in time and the AI resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unclaimed: Option<String>,
}

/// The English defaults of the lines an owner can reword: the widget's English and the
/// console's placeholders.
pub mod english {
    pub const GREETING: &str = "Hi! How can we help you today?";
    pub const HANDOVER: &str = "Waiting for support agent to join";
    pub const OUT_OF_HOURS: &str =
        "We're away right now. Leave your name, email and message, and we'll reply by email.";
    pub const JOINED: &str = "{name} joined the conversation";
    pub const LEFT: &str = "{name} left the conversation";
    pub const UNCLAIMED: &str = "No one from the team could join right now. The assistant is back to help, and you can ask for a person again later.";
}

/// Characters in one overridden line.
pub const MAX_TEXT_CHARS: usize = 500;
/// Languages with overrides.
pub const MAX_LANGUAGES: usize = 60;

impl Texts {
    fn fields(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("greeting", &self.greeting),
            ("handover", &self.handover),
            ("out_of_hours", &self.out_of_hours),
            ("joined", &self.joined),
            ("left", &self.left),
            ("unclaimed", &self.unclaimed),
        ]
    }

    /// Each line from `self`, else from `fallback`.
    fn or(self, fallback: &Texts) -> Texts {
        let pick = |own: Option<String>, other: &Option<String>| own.or_else(|| other.clone());
        Texts {
            greeting: pick(self.greeting, &fallback.greeting),
            handover: pick(self.handover, &fallback.handover),
            out_of_hours: pick(self.out_of_hours, &fallback.out_of_hours),
            joined: pick(self.joined, &fallback.joined),
            left: pick(self.left, &fallback.left),
            unclaimed: pick(self.unclaimed, &fallback.unclaimed),
        }
    }
}

/// The overrides that apply to a visitor writing `lang` (a BCP 47 tag such as `pt-BR`): the
/// language's own first, then those for every language. Lines left `None` keep the widget's
/// localized default.
pub fn for_language(all: &impl Overrides, lang: &str) -> Texts {
    let own = all.language(&primary(lang)).cloned().unwrap_or_default();
    match all.language("*") {
        Some(every) => own.or(every),
        None => own,
    }
}

/// The primary language of a BCP 47 tag such as `pt-BR`: `pt`.
pub fn primary(tag: &str) -> String {
    tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase()
}

/// Puts an agent's name into a line.
pub fn fill(template: &str, name: &str) -> String {
    template.replace("{name}", name)
}

/// Checks overrides as the settings API receives them; the error names what is wrong.
pub fn validate(all: &TextOverrides) -> Result<(), String> {
    if all.len() > MAX_LANGUAGES {
        return Err(format!("Texts can be overridden for at most {MAX_LANGUAGES} languages."));
    }
    for (lang, texts) in all {
        let code_ok = lang == "*"
            || ((2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()));
        if !code_ok {
            return Err(format!(
                "\"{lang}\" is not a language: use a code such as en or pt, or * for all."
            ));
        }
        for (field, text) in texts.fields() {
            let Some(text) = text else { continue };
            if text.trim().is_empty() {
                return Err(format!("The {field} text for {lang} is empty; leave it out instead."));
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(format!(
                    "The {field} text for {lang} is longer than {MAX_TEXT_CHARS} characters."
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn a_language_overrides_every_language_which_overrides_the_default() {
        let mut all = TextOverrides::new();
        all.insert(
            "*".into(),
            Texts { handover: line("One moment"), left: line("Bye"), ..Texts::default() },
        );
        all.insert("de".into(), Texts { handover: line("Einen Moment"), ..Texts::default() });
        let de = for_language(&all, "de-AT");
        assert_eq!(de.handover, line("Einen Moment"));
        assert_eq!(de.left, line("Bye"));
        assert_eq!(de.joined, None, "the widget's localized default stays");
        assert_eq!(for_language(&all, "fr").handover, line("One moment"));
        assert_eq!(for_language(&TextOverrides::new(), "fr"), Texts::default());
        let sent = WidgetTexts::from(&all);
        assert_eq!(for_language(&sent, "de-AT"), de);
        assert_eq!(for_language(&sent, "fr").handover, line("One moment"));
    }

    #[test]
    fn the_widgets_list_reads_and_writes_as_the_map_does() {
        let de = |s: &str| Texts { greeting: line(s), ..Texts::default() };
        let json = r#"{"de":{"greeting":"Hallo"},"*":{},"de":{"greeting":"Tag"}}"#;
        let map: TextOverrides = serde_json::from_str(json).unwrap();
        let list: WidgetTexts = serde_json::from_str(json).unwrap();
        assert_eq!(list, WidgetTexts::from(&map), "the last of a language written twice");
        assert_eq!(list.language("de"), Some(&de("Tag")));
        let written = serde_json::to_string(&list).unwrap();
        assert_eq!(written, r#"{"de":{"greeting":"Tag"},"*":{}}"#);
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"*":{},"de":{"greeting":"Tag"}}"#);
        let other: WidgetTexts =
            [("*".into(), Texts::default()), ("de".into(), de("Tag"))].into_iter().collect();
        assert_eq!(list, other, "the order is not part of it");
        assert_ne!(list, [("de".into(), de("Tag"))].into_iter().collect());
        assert!(serde_json::from_str::<WidgetTexts>(r#"["de"]"#).is_err());
    }

    #[test]
    fn names_fill_templates() {
        assert_eq!(fill("{name} is here", "Maria"), "Maria is here");
    }

    #[test]
    fn bad_overrides_are_refused_with_a_reason() {
        let mut all = TextOverrides::new();
        all.insert("German".into(), Texts::default());
        assert!(validate(&all).unwrap_err().contains("not a language"));
        let mut all = TextOverrides::new();
        all.insert("de".into(), Texts { joined: line("  "), ..Texts::default() });
        assert!(validate(&all).unwrap_err().contains("joined"));
        let mut all = TextOverrides::new();
        all.insert("*".into(), Texts { left: line(&"x".repeat(501)), ..Texts::default() });
        assert!(validate(&all).unwrap_err().contains("500"));
        all.insert("*".into(), Texts { left: line("See you"), ..Texts::default() });
        assert_eq!(validate(&all), Ok(()));
    }
}
