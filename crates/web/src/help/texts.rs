//! The few words of the public help pages, in each language the help centre has.

use tocsin_app::help::Language;

/// The public pages' words in one language.
pub(super) struct Texts {
    pub heading: &'static str,
    pub search: &'static str,
    pub search_button: &'static str,
    pub suggestions: &'static str,
    pub results: &'static str,
    pub nothing: &'static str,
    pub empty: &'static str,
    pub helpful: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub thanks: &'static str,
    pub also_in: &'static str,
    pub back: &'static str,
}

pub(super) fn texts(language: Language) -> Texts {
    match language {
        Language::Cs => Texts {
            heading: "Nápověda",
            search: "Hledat v nápovědě",
            search_button: "Hledat",
            suggestions: "Návrhy článků",
            results: "Nalezené články",
            nothing: "Nic nenalezeno.",
            empty: "Zatím žádné články.",
            helpful: "Pomohl vám tento článek?",
            yes: "Ano",
            no: "Ne",
            thanks: "Děkujeme za odpověď.",
            also_in: "Také v jazycích",
            back: "Zpět na nápovědu",
        },
        Language::En => Texts {
            heading: "Help centre",
            search: "Search the help centre",
            search_button: "Search",
            suggestions: "Suggested articles",
            results: "Articles found",
            nothing: "Nothing found.",
            empty: "No articles yet.",
            helpful: "Was this helpful?",
            yes: "Yes",
            no: "No",
            thanks: "Thank you for your answer.",
            also_in: "Also in",
            back: "Back to the help centre",
        },
        Language::Pl => Texts {
            heading: "Centrum pomocy",
            search: "Szukaj w centrum pomocy",
            search_button: "Szukaj",
            suggestions: "Proponowane artykuły",
            results: "Znalezione artykuły",
            nothing: "Nic nie znaleziono.",
            empty: "Brak artykułów.",
            helpful: "Czy ten artykuł był pomocny?",
            yes: "Tak",
            no: "Nie",
            thanks: "Dziękujemy za odpowiedź.",
            also_in: "Także w językach",
            back: "Powrót do centrum pomocy",
        },
        Language::Fr => Texts {
            heading: "Centre d'aide",
            search: "Rechercher dans le centre d'aide",
            search_button: "Rechercher",
            suggestions: "Articles suggérés",
            results: "Articles trouvés",
            nothing: "Aucun résultat.",
            empty: "Aucun article pour l'instant.",
            helpful: "Cet article vous a-t-il aidé ?",
            yes: "Oui",
            no: "Non",
            thanks: "Merci de votre réponse.",
            also_in: "Aussi en",
            back: "Retour au centre d'aide",
        },
        Language::Ru => Texts {
            heading: "Справочный центр",
            search: "Поиск по справке",
            search_button: "Найти",
            suggestions: "Подходящие статьи",
            results: "Найденные статьи",
            nothing: "Ничего не найдено.",
            empty: "Статей пока нет.",
            helpful: "Была ли статья полезной?",
            yes: "Да",
            no: "Нет",
            thanks: "Спасибо за ответ.",
            also_in: "Также на языках",
            back: "Назад в справочный центр",
        },
    }
}

/// `Texts` as a template context.
pub(super) fn context(t: &Texts) -> minijinja::Value {
    minijinja::context! {
        heading => t.heading, search => t.search, search_button => t.search_button,
        suggestions => t.suggestions, results => t.results, nothing => t.nothing,
        empty => t.empty, helpful => t.helpful, yes => t.yes, no => t.no, thanks => t.thanks,
        also_in => t.also_in, back => t.back,
    }
}
