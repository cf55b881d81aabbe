//! Words to search terms, per language: lowercase, drop the language's most common words,
//! stem with the language's stemmer (which expects lowercase words with their diacritics),
//! then fold Latin diacritics off the stem, so that a customer typing without háčky or
//! ogonki still meets the article.

use std::borrow::Cow;

use tantivy_stemmers::algorithms;
use unicode_normalization::UnicodeNormalization;

pub use tocsin_model::inventory::Language;

/// The language of an ISO 639-1 code (any case), if the help centre has it (it has every
/// language notices are written in).
pub fn parse_language(code: &str) -> Option<Language> {
    Language::from_code(&code.trim().to_ascii_lowercase())
}

/// The stemmer of `language`: Dolamic's light one for Czech (case endings), Porter 2 for
/// English, Yarovoy's suffix stripper for Polish, Snowball's for French and Russian.
fn stemmer(language: Language) -> algorithms::Algorithm {
    match language {
        Language::Cs => algorithms::czech_dolamic_light,
        Language::En => algorithms::english_porter_2,
        Language::Pl => algorithms::polish_yarovoy,
        Language::Fr => algorithms::french,
        Language::Ru => algorithms::russian,
    }
}

/// The words of `text`: runs of letters and digits (so `l'article` is `l` and `article`, and
/// Markdown's marks are never words).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Words longer than this are not words a customer types (hashes, base64): skipped.
const LONGEST_WORD: usize = 40;

/// The search term of one word, or `None` for a common word of the language, a one-letter
/// word or a run too long to be a word. `keep_common` keeps common words (the word still
/// being typed may become a longer one).
fn term(language: Language, word: &str, keep_common: bool) -> Option<String> {
    let count = word.chars().count();
    if !(2..=LONGEST_WORD).contains(&count) {
        return None;
    }
    let mut lower = word.to_lowercase();
    if language == Language::Ru {
        // The Russian stemmer's suffixes are written with е; ё is commonly typed as е anyway.
        lower = lower.replace('ё', "е");
    }
    if !keep_common && super::stop::is_common(language, &fold(&lower)) {
        return None;
    }
    if language == Language::Cs && count >= 6 && lower.ends_with("em") {
        // The light stemmer turns the instrumental -em into -e (serverem → servere,
        // problémem → probléme) where the other cases leave the bare stem (server, probl):
        // the ending goes first, as it does for the other cases.
        lower.truncate(lower.len() - 2);
    }
    let stem: Cow<'_, str> = (stemmer(language))(&lower);
    let folded = fold(&stem);
    (!folded.is_empty()).then_some(folded)
}

/// The terms of `text` in `language`, in order, common words left out.
pub fn terms(language: Language, text: &str) -> Vec<String> {
    words(text)
        .filter_map(|w| term(language, w, false))
        .collect()
}

/// `terms` joined by single spaces: what the database indexes.
pub fn index_text(language: Language, text: &str) -> String {
    terms(language, text).join(" ")
}

/// A search as the database runs it: any of `terms`, or a term starting with `prefix`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Whole terms, without repeats.
    pub terms: Vec<String>,
    /// The stem of the word still being typed (the text ends inside it), if any.
    pub prefix: Option<String>,
}

impl Query {
    /// Whether nothing is left to search for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.prefix.is_none()
    }

    /// Whether `term` (an indexed term) is one this query looks for.
    pub fn matches(&self, term: &str) -> bool {
        self.terms.iter().any(|t| t == term)
            || self.prefix.as_deref().is_some_and(|p| term.starts_with(p))
    }
}

/// At most this many terms of one query are searched for.
pub const MAX_TERMS: usize = 12;

/// The query of `text` in `language`. When the text ends inside a word, that word is being
/// typed: its stem is a prefix, and it is kept even when it is a common word so far ("in"
/// may become "install").
pub fn query(language: Language, text: &str) -> Query {
    let typing = text.chars().last().is_some_and(char::is_alphanumeric);
    let all: Vec<&str> = words(text).collect();
    let mut q = Query::default();
    for (i, w) in all.iter().enumerate() {
        let last = i + 1 == all.len();
        if last && typing {
            q.prefix = term(language, w, true);
        } else if let Some(t) = term(language, w, false) {
            if !q.terms.contains(&t) && q.terms.len() < MAX_TERMS {
                q.terms.push(t);
            }
        }
    }
    if let Some(p) = &q.prefix {
        // A prefix that is a whole term already asked for adds nothing.
        q.terms.retain(|t| t != p);
    }
    q
}

/// `text` with the diacritics of Latin letters removed (`č` → `c`, `ł` → `l`, `é` → `e`,
/// `ß` → `ss`); other scripts are left as they are (`й` stays `й`).
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ł' => out.push('l'),
            'đ' => out.push('d'),
            'ø' => out.push('o'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            c if is_latin(c) => out.extend(
                std::iter::once(c)
                    .nfd()
                    .filter(|d| !unicode_normalization::char::is_combining_mark(*d)),
            ),
            c => out.push(c),
        }
    }
    out
}

/// Latin-1 Supplement to Latin Extended-B, and Latin Extended Additional.
fn is_latin(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of a word meets the same term.
    fn meet(language: Language, forms: &[&str]) {
        let first = terms(language, forms[0]);
        assert_eq!(first.len(), 1, "{forms:?}: {first:?}");
        for f in forms {
            assert_eq!(
                terms(language, f),
                first,
                "{language:?} {f} vs {}",
                forms[0]
            );
        }
    }

    #[test]
    fn czech_cases_meet() {
        meet(
            Language::Cs,
            &["server", "serveru", "serverem", "servery", "serverů"],
        );
        meet(Language::Cs, &["faktura", "faktury", "fakturou", "fakturu"]);
        meet(Language::Cs, &["problém", "problému", "problémem"]);
        meet(Language::Cs, &["heslo", "hesla", "heslem"]);
        meet(Language::Cs, &["platba", "platby", "platbami"]);
    }

    #[test]
    fn polish_cases_meet() {
        meet(Language::Pl, &["faktura", "faktury", "fakturze", "fakturą"]);
        meet(Language::Pl, &["serwer", "serwera", "serwerze", "serwerów"]);
    }

    #[test]
    fn russian_cases_meet() {
        meet(Language::Ru, &["сервер", "сервера", "серверу", "сервером"]);
        meet(Language::Ru, &["счёт", "счет", "счета"]);
    }

    #[test]
    fn french_forms_meet() {
        meet(Language::Fr, &["facture", "factures"]);
        meet(
            Language::Fr,
            &["redémarrer", "redémarré", "redémarrez", "redemarrer"],
        );
    }

    #[test]
    fn english_forms_meet() {
        meet(
            Language::En,
            &["restart", "restarting", "restarted", "restarts"],
        );
        meet(Language::En, &["invoice", "invoices", "invoicing"]);
    }

    #[test]
    fn different_words_stay_apart() {
        assert_ne!(
            terms(Language::Cs, "server"),
            terms(Language::Cs, "faktura")
        );
        assert_ne!(
            terms(Language::En, "restart"),
            terms(Language::En, "restore")
        );
    }

    #[test]
    fn diacritics_fold_on_latin_only() {
        assert_eq!(fold("Příliš žluťoučký kůň"), "Prilis zlutoucky kun");
        assert_eq!(fold("zażółć gęślą jaźń"), "zazolc gesla jazn");
        assert_eq!(fold("élève straße"), "eleve strasse");
        assert_eq!(fold("йод"), "йод");
    }

    #[test]
    fn common_words_and_markup_are_not_terms() {
        assert_eq!(
            terms(
                Language::En,
                "## How to *restart* the [server](https://x.test)"
            ),
            terms(Language::En, "restart server https x test")
        );
        assert!(terms(Language::Cs, "a je to v tom").is_empty());
        assert_eq!(
            terms(Language::Fr, "l'article"),
            terms(Language::Fr, "article")
        );
    }

    #[test]
    fn the_word_being_typed_is_a_prefix() {
        let q = query(Language::En, "restarting serv");
        assert_eq!(q.terms, vec!["restart".to_owned()]);
        assert_eq!(q.prefix.as_deref(), Some("serv"));
        assert!(q.matches("server"));
        assert!(!q.matches("restore"));
        let done = query(Language::En, "restarting server ");
        assert_eq!(done.prefix, None);
        assert_eq!(done.terms, vec!["restart".to_owned(), "server".to_owned()]);
        // A common word still being typed is kept: it may become "install".
        assert_eq!(query(Language::En, "in").prefix.as_deref(), Some("in"));
        assert!(query(Language::En, "the ").is_empty());
    }

    #[test]
    fn codes_parse_back() {
        for l in Language::ALL {
            assert_eq!(parse_language(l.code()), Some(l));
        }
        assert_eq!(parse_language("EN"), Some(Language::En));
        assert_eq!(parse_language("de"), None);
    }
}
