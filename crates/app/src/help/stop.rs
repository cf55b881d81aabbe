//! The most common words of each language, which would match nearly every article and
//! drown the words that tell articles apart (PostgreSQL's ranking has no inverse document
//! frequency to discount them). Written folded, as `stem::fold` leaves them; sorted, so that
//! a lookup is a binary search.

use super::stem::Language;

const CS: &[&str] = &[
    "a", "aby", "ale", "ani", "ano", "by", "byl", "byla", "bylo", "byt", "co", "do", "i", "jak",
    "jako", "je", "jeho", "jej", "jeji", "jen", "jsem", "jsme", "jsou", "k", "kde", "kdyz", "ke",
    "ktera", "ktere", "ktery", "ma", "mam", "me", "mi", "mne", "mu", "muj", "na", "nad", "nebo",
    "neni", "o", "od", "po", "pod", "pro", "proc", "s", "se", "si", "so", "ta", "tak", "te", "ten",
    "to", "tom", "tu", "u", "uz", "v", "vam", "ve", "z", "za", "ze",
];

const EN: &[&str] = &[
    "a", "about", "after", "all", "am", "an", "and", "are", "as", "at", "be", "been", "but", "by",
    "can", "do", "does", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is",
    "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "so", "that", "the", "their",
    "then", "there", "this", "to", "was", "we", "what", "when", "which", "why", "will", "with",
    "you", "your",
];

const PL: &[&str] = &[
    "a", "aby", "ale", "bo", "by", "byc", "co", "czy", "dla", "do", "i", "ich", "jak", "jego",
    "jej", "jest", "juz", "ku", "lub", "ma", "mi", "mnie", "na", "nad", "nie", "o", "od", "po",
    "pod", "przez", "przy", "sa", "se", "sie", "ta", "tak", "te", "to", "tu", "u", "w", "we", "z",
    "za", "ze",
];

const FR: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "ces", "comment", "d", "dans", "de", "des", "du", "elle", "en",
    "est", "et", "il", "je", "l", "la", "le", "les", "leur", "lui", "ma", "mais", "me", "mes",
    "mon", "ne", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses",
    "son", "sur", "ta", "te", "un", "une", "vos", "votre", "vous",
];

const RU: &[&str] = &[
    "а", "без", "бы", "в", "во", "вы", "да", "для", "до", "его", "ее", "если", "же", "за", "и",
    "из", "или", "к", "как", "ли", "мне", "мой", "мы", "на", "не", "нет", "но", "о", "об", "от",
    "по", "при", "с", "со", "так", "то", "у", "уже", "что", "это", "я",
];

/// Whether `word` (lowercase, folded) is one of the language's common words.
pub(super) fn is_common(language: Language, word: &str) -> bool {
    let list = match language {
        Language::Cs => CS,
        Language::En => EN,
        Language::Pl => PL,
        Language::Fr => FR,
        Language::Ru => RU,
    };
    list.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_folded() {
        for list in [CS, EN, PL, FR, RU] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{:?}", &list[..3]);
            for w in list {
                assert_eq!(super::super::stem::fold(w), *w);
            }
        }
        assert!(is_common(Language::Cs, "ktery"));
        assert!(!is_common(Language::Cs, "server"));
    }
}
