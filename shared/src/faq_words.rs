//! The words the FAQ engine compares: lower-cased, accents folded, function words of the
//! widget's main languages dropped, and the words of customer support (orders, delivery,
//! returns, payment, accounts…) in English, Spanish, French, German, Portuguese and Italian
//! mapped to one concept each, so "¿Dónde está mi paquete?" meets "How do I track my order?"
//! without a translation service. Words outside the lexicon are kept, lightly stemmed.

use crate::faq_lexicon::{CONTEXT, LEXICON, PHRASES, STOPWORDS};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Whether a term names goods, people or time (see [`CONTEXT`]). Entries of three letters or
/// fewer, or ending in `$`, are whole words; the others beginnings.
pub fn is_context(term: &str) -> bool {
    CONTEXT.iter().any(|c| match c.strip_suffix('$') {
        Some(word) => term == word,
        None if c.chars().count() <= 3 => term == *c,
        None => term.starts_with(c),
    })
}

/// The words of `text` as the engine compares them.
pub fn terms(text: &str) -> Vec<String> {
    let words = phrases(words(text));
    let negated = words.iter().any(|w| NEGATIONS.contains(&w.as_str()));
    let mut terms: Vec<String> = Vec::new();
    for w in words.iter().map(String::as_str) {
        // Order and tracking numbers ("A1B2C3", "1Z999AA1"), dates and amounts say which
        // order, not what is asked.
        if own_stopwords().contains(w) || w.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if w.starts_with('~') {
            terms.push(w.to_owned());
            continue;
        }
        match compound(w) {
            Some(parts) => terms.extend(parts),
            None if common().contains(w) => {}
            None => terms.push(stem(w)),
        }
    }
    // "Where is my order?" and "it has not arrived" ask where it is, whatever else they say;
    // "where" alone ("where do I put the code") asks nothing in particular.
    let has = |c: &str| terms.iter().any(|t| t == c);
    if (has("~where") && has("~order")) || (negated && has("~ship") && has("~order")) {
        terms.push("~track".into());
    }
    terms.retain(|t| t != "~where");
    for t in terms.iter_mut().filter(|t| *t == "~purchase") {
        *t = "~order".into();
    }
    terms
}

/// Verbs with "back" that say one thing with up to two words between ("take the items back").
const WITH_BACK: &[&str] = &["send", "sent", "take", "give"];

/// `words` with each phrase of [`PHRASES`] replaced by its concept, and each verb of
/// [`WITH_BACK`] with its "back" by "~return" (the words between kept).
fn phrases(mut words: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while i < words.len() {
        let back = (i + 2..=i + 3).find(|&j| words.get(j).is_some_and(|w| w == "back"));
        if let (true, Some(j)) = (WITH_BACK.contains(&words[i].as_str()), back) {
            words[i] = "~return".into();
            words.remove(j);
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let found = PHRASES.iter().find(|(p, _)| {
            words.len() - i >= p.len() && p.iter().zip(&words[i..]).all(|(a, b)| a == b)
        });
        match found {
            Some((p, concepts)) => {
                out.extend(concepts.split(' ').map(str::to_owned));
                i += p.len();
            }
            None => {
                out.push(words[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// The terms of a word the lexicon knows, and of a compound whose last part it knows
/// (German's "Expressversand", "Größentabelle", "Rücksendung"): each part's concept, or the
/// word it is; none for a word the lexicon does not know at all.
fn compound(word: &str) -> Option<Vec<String>> {
    /// Parts shorter than this are no words of their own.
    const PART: usize = 5;
    // German joins parts with -s-, -n-, -en-, -es-.
    let part = |rest: &str| {
        ["", "s", "n", "en", "es"].iter().find_map(|join| {
            let part = rest.strip_prefix(join)?;
            let (concept, len) = lexicon(part)?;
            (part.chars().count() >= PART && len >= 4).then_some(concept)
        })
    };
    if let Some((concept, len)) = lexicon(word) {
        let mut out = vec![concept.to_owned()];
        if let Some(second) = part(&word[len..]).filter(|c| *c != concept) {
            out.push(second.to_owned());
        }
        return Some(out);
    }
    let starts: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
    // Past this, no compound: nobody writes one that long, and each split costs a lookup.
    const LONGEST: usize = 40;
    if starts.len() < 2 * PART || starts.len() > LONGEST {
        return None;
    }
    starts[PART..=starts.len() - PART].iter().find_map(|&i| {
        let (concept, len) = lexicon(&word[i..])?;
        (len >= PART).then(|| {
            let first = &word[..i];
            let mut out = Vec::new();
            if !common().contains(first) {
                out.push(stem(first));
            }
            out.push(concept.to_owned());
            out
        })
    })
}

/// Words that turn "it arrived" into "it has not arrived", folded.
const NEGATIONS: &[&str] = &[
    "not", "never", "t", "dont", "didnt", "hasnt", "havent", "isnt", "wasnt", "no", "nunca",
    "todavia", "pas", "jamais", "nicht", "nie", "nao", "ainda",
];

/// The message's words, folded, without the name a visitor introduces themselves with
/// ("Hi, I'm Dana", "Marco here", "je suis Camille"): a name is not a question.
fn words(text: &str) -> Vec<String> {
    let raw: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .collect();
    let folded: Vec<String> = raw.iter().map(|w| fold(w)).collect();
    let introduced = |i: usize| {
        let before: Vec<&str> =
            folded[i.saturating_sub(2)..i].iter().flat_map(|p| p.split(' ')).collect();
        INTRODUCTIONS.iter().any(|p| before.ends_with(p))
            || (i <= 1 && folded.get(i + 1).is_some_and(|n| n == "here"))
    };
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let mut out = Vec::new();
    for (i, w) in folded.iter().enumerate() {
        // A word the lexicon knows is never taken for a name ("Delivery here?").
        if !(capital(raw[i]) && lexicon(w).is_none() && introduced(i)) {
            out.extend(w.split(' ').filter(|p| !p.is_empty()).map(str::to_owned));
        }
    }
    out
}

/// What comes before a name, folded and split as `words` splits.
const INTRODUCTIONS: &[&[&str]] = &[
    &["i", "m"],
    &["i", "am"],
    &["name", "is"],
    &["this", "is"],
    &["soy"],
    &["llamo"],
    &["suis"],
    &["appelle"],
    &["bin"],
    &["heisse"],
    &["sou"],
    &["chamo"],
    &["chiamo"],
];

fn own_stopwords() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| STOPWORDS.iter().copied().collect())
}

/// The stopwords-iso lists of the languages the lexicon covers, folded: words common to any
/// text (verbs like "find", "put", "need"; "thing", "way") that say nothing of the entry.
fn common() -> &'static HashSet<String> {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        ["en", "es", "fr", "de", "pt", "it"]
            .into_iter()
            .flat_map(stop_words::get)
            .flat_map(|w| fold(&w).split(' ').map(str::to_owned).collect::<Vec<_>>())
            .filter(|w| !w.is_empty())
            .collect()
    })
}

/// Lower case without accents: visitors type "envio" as often as "envío".
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ß' => 's',
            '’' | '\'' => ' ',
            c => c,
        })
        .collect()
}

/// The concept of the longest lexicon beginning `word` has (short beginnings must be the
/// whole word: "wo" is German's "where", not "wool"),
/// and the beginning's length in bytes. A beginning ending in `$` is a whole word only
/// ("card$": never "cardboard").
fn lexicon(word: &str) -> Option<(&'static str, usize)> {
    // Looked up by beginning, longest first: the FAQ's every word passes here on each message.
    // No beginning is longer than the longest entry, however long the word (a visitor's
    // 4,000-letter "word" costs as much as a 20-letter one).
    type Words = HashMap<&'static str, &'static str>;
    // Whole words (the `$` entries, without it), beginnings, and the longest of either.
    static LOOKUP: OnceLock<(Words, Words, usize)> = OnceLock::new();
    let (whole, beginnings, longest) = LOOKUP.get_or_init(|| {
        let (mut whole, mut beginnings) = (HashMap::new(), HashMap::new());
        for (key, concept) in LEXICON {
            match key.strip_suffix('$') {
                Some(word) => whole.insert(word, *concept),
                None => beginnings.insert(*key, *concept),
            };
        }
        let longest = LEXICON.iter().map(|(k, _)| k.trim_end_matches('$').chars().count());
        (whole, beginnings, longest.max().unwrap_or(0))
    });
    if let Some(concept) = whole.get(word) {
        return Some((concept, word.len()));
    }
    let ends: Vec<usize> =
        word.char_indices().map(|(i, c)| i + c.len_utf8()).take(*longest).collect();
    // Each beginning's end in bytes and its length in characters, the longest first.
    (0..ends.len())
        .rev()
        .map(|k| (ends[k], k + 1))
        .filter(|(end, chars)| *chars >= 4 || *end == word.len())
        .find_map(|(end, _)| beginnings.get(&word[..end]).map(|c| (*c, end)))
}

/// Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours.
pub(crate) fn one_edit(a: &str, b: &str) -> bool {
    // One edit changes a length by at most one character, four bytes.
    if a.len().abs_diff(b.len()) > 4 {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    one_edit_chars(&a, &b)
}

fn one_edit_chars(a: &[char], b: &[char]) -> bool {
    let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[start..], &b[start..]);
    match ra.len() as isize - rb.len() as isize {
        0 => {
            ra.len() <= 1
                || ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        1 => ra[1..] == *rb,
        -1 => *ra == rb[1..],
        _ => false,
    }
}

/// The concept of a lexicon beginning `word` misspells by one letter ("retrun", "shiping").
/// Beginnings under 6 letters are left out: one letter off, they are other words ("loyal" is
/// not "local").
pub(crate) fn near_concept(word: &str) -> Option<&'static str> {
    let chars: Vec<char> = word.chars().collect();
    let long = |start: &str| start.chars().count() >= 6 && !start.ends_with('$');
    LEXICON.iter().filter(|(start, _)| long(start)).find_map(|(start, concept)| {
        let start: Vec<char> = start.chars().collect();
        let n = start.len();
        // A letter dropped counts only at the word's end: "rest" of "restaurant" is not "reset".
        let dropped = (chars.len() + 1 == n).then_some(n - 1);
        [n, n + 1]
            .into_iter()
            .chain(dropped)
            .any(|k| k <= chars.len() && one_edit_chars(&start, &chars[..k]))
            .then_some(*concept)
    })
}

fn stem(word: &str) -> String {
    if let Some(base) = word.strip_suffix("ies") {
        return format!("{base}y");
    }
    word.strip_suffix('s')
        .filter(|s| s.chars().count() > 2 && !s.ends_with('s'))
        .unwrap_or(word)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::terms;

    #[test]
    fn languages_meet_in_concepts() {
        assert_eq!(terms("¿Dónde está mi paquete?"), ["~order", "~track"]);
        assert_eq!(terms("Where is my order #48213?"), ["~order", "~track"]);
        assert_eq!(terms("Wo ist meine Bestellung"), ["~order", "~track"]);
        assert_eq!(terms("Combien coûte la livraison ?"), ["~cost", "~ship"]);
    }

    #[test]
    fn short_beginnings_match_whole_words_only() {
        assert_eq!(terms("wool"), ["wool"]);
        assert_eq!(terms("wo Paket"), ["~order", "~track"]);
    }

    #[test]
    fn where_asks_about_an_order_only_with_one() {
        assert_eq!(terms("Where do I put the promo code?"), ["~code", "~code"]);
        assert_eq!(terms("My parcel hasn't arrived"), ["~order", "~ship", "~track"]);
        assert_eq!(terms("My parcel arrived"), ["~order", "~ship"]);
    }

    #[test]
    fn phrases_say_one_thing_together() {
        assert_eq!(terms("can I send it back"), ["~return"]);
        assert_eq!(terms("do you take worn items back"), ["~return", "worn", "item"]);
        assert_eq!(terms("a gift card"), ["~gift"]);
        assert_eq!(terms("what cards do you take"), ["~pay"]);
        assert_eq!(terms("mot de passe oublié"), ["~password", "~password"]);
    }

    #[test]
    fn compounds_meet_their_parts() {
        assert_eq!(terms("Gibt es eine Größentabelle?"), ["~size", "~guide"]);
        assert_eq!(terms("wie schnell ist der Expressversand"), ["~duration", "express", "~ship"]);
        // A part must be a word of its own: "passer" is no password, "cardboard" no card.
        assert_eq!(terms("que se passe-t-il"), Vec::<String>::new());
        assert_eq!(terms("cardboard"), ["cardboard"]);
    }

    #[test]
    fn goods_people_and_times_are_the_setting() {
        assert!(super::is_context("jacken"));
        assert!(super::is_context("month"));
        assert!(super::is_context("frau"));
        // Whole words only where a beginning would swallow others.
        assert!(!super::is_context("fraud"));
        assert!(!super::is_context("grund"));
        assert!(!super::is_context("student"));
    }

    #[test]
    fn it_does_not_fit_and_which_size_say_what_they_ask() {
        assert_eq!(terms("Die Jacke ist zu groß"), ["jacke", "~exchange"]);
        assert_eq!(terms("The pants are too small"), ["pant", "~exchange"]);
        assert_eq!(terms("which size should I get"), ["~size", "~guide"]);
        assert_eq!(terms("I don't like it"), ["~return"]);
    }

    #[test]
    fn buying_is_an_order_but_where_to_buy_is_no_tracking() {
        assert_eq!(terms("Where can I buy your jackets?"), ["~order", "jacket"]);
        assert_eq!(terms("I bought it last week"), ["~order", "~duration"]);
        // "zip code" is no zipper, "stainless" no stain.
        assert_eq!(terms("zip code"), ["zip", "~code"]);
        assert_eq!(terms("stainless"), ["stainless"]);
    }

    #[test]
    fn common_words_and_introduced_names_are_dropped() {
        assert_eq!(terms("Hi, I'm Dana. Could you possibly help?"), Vec::<String>::new());
        assert_eq!(terms("Marco here, thanks"), Vec::<String>::new());
        assert_eq!(terms("je suis Camille"), Vec::<String>::new());
        // Lower case after "I'm" is not a name, nor a word the lexicon knows, nor German's "im".
        assert_eq!(terms("I'm cold"), ["cold"]);
        assert_eq!(terms("Delivery here?"), ["~ship"]);
        assert_eq!(terms("Ist das im Laden erhältlich?"), ["~store", "erhaltlich"]);
    }
}
