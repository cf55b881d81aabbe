//! Fluent bundles for the five notice languages, and durations written with their plural rules.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use tocsin_model::inventory::Language;
use unic_langid::LanguageIdentifier;

use crate::NotifyError;

/// The `.ftl` sources, compiled into the binary so a deployment cannot lose them.
const SOURCES: [(Language, &str); 5] = [
    (Language::Cs, include_str!("../locales/cs/notices.ftl")),
    (Language::En, include_str!("../locales/en/notices.ftl")),
    (Language::Pl, include_str!("../locales/pl/notices.ftl")),
    (Language::Fr, include_str!("../locales/fr/notices.ftl")),
    (Language::Ru, include_str!("../locales/ru/notices.ftl")),
];

/// Every message a notice uses; each locale must define all of them.
pub(crate) const MESSAGE_IDS: [&str; 81] = [
    "envelope-untitled",
    "subject-envelope-opened",
    "envelope-opened-intro",
    "envelope-opened-reason",
    "envelope-opened-no-reason",
    "envelope-opened-next",
    "envelope-opened-footer",
    "ticket-untitled",
    "ticket-received-intro",
    "ticket-received-quote",
    "ticket-received-reply",
    "ticket-received-next",
    "ticket-received-footer",
    "ticket-reply-sign-off",
    "ticket-reply-team",
    "ticket-reply-next",
    "ticket-reply-footer",
    "subject-ticket-breach",
    "ticket-target",
    "ticket-breach-intro",
    "ticket-breach-target",
    "ticket-breach-due",
    "ticket-breach-customer",
    "ticket-breach-no-customer",
    "ticket-breach-next",
    "ticket-breach-footer",
    "subject-credit-offered",
    "credit-offered-intro",
    "credit-amounts",
    "credit-amounts-reverse-charge",
    "credit-choose",
    "offer-account-credit",
    "offer-service-days",
    "credit-deadline",
    "credit-offered-next",
    "credit-offered-footer",
    "month-year",
    "maintenance-when-utc",
    "subject-maintenance-announced",
    "subject-maintenance-reminder",
    "subject-maintenance-moved",
    "subject-maintenance-cancelled",
    "maintenance-announced-intro",
    "maintenance-reminder-intro",
    "maintenance-moved-intro",
    "maintenance-cancelled-intro",
    "maintenance-when",
    "maintenance-previously",
    "service-in-maintenance",
    "maintenance-next",
    "maintenance-footer",
    "subject-broadcast",
    "broadcast-intro",
    "broadcast-next",
    "broadcast-footer",
    "subject-degraded",
    "degraded-intro",
    "service-degraded",
    "degraded-next",
    "degraded-footer",
    "subject-lead-opened",
    "lead-opened-intro",
    "lead-opened-next",
    "lead-opened-footer",
    "subject-opened",
    "subject-opened-untitled",
    "subject-resolved",
    "subject-resolved-untitled",
    "greeting",
    "opened-intro",
    "incident-title",
    "service-down-since",
    "opened-next",
    "resolved-intro",
    "service-down-for",
    "resolved-next",
    "footer",
    "duration-days",
    "duration-hours",
    "duration-minutes",
    "duration-seconds",
];

/// One Fluent bundle per language, shareable between threads.
pub(crate) struct Locales {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
}

impl Locales {
    /// Parses the compiled-in `.ftl` files and checks every language has every message.
    pub(crate) fn load() -> Result<Self, NotifyError> {
        let mut bundles = Vec::with_capacity(SOURCES.len());
        for (language, source) in SOURCES {
            let locale = |detail: String| NotifyError::Locale {
                language: language.code(),
                detail,
            };
            let resource = FluentResource::try_new(source.to_owned())
                .map_err(|(_, errors)| locale(format!("{errors:?}")))?;
            let id: LanguageIdentifier = language
                .code()
                .parse()
                .map_err(|e| locale(format!("{e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Unicode isolation marks help bidirectional UIs but show up as junk in plain-text mail.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| locale(format!("{errors:?}")))?;
            for message in MESSAGE_IDS {
                if !bundle.has_message(message) {
                    return Err(locale(format!("message {message} is missing")));
                }
            }
            bundles.push((language, bundle));
        }
        Ok(Self { bundles })
    }

    /// The message `id` in `language`, with `args` put in.
    pub(crate) fn text(
        &self,
        language: Language,
        id: &str,
        args: &FluentArgs<'_>,
    ) -> Result<String, NotifyError> {
        let locale = |detail: String| NotifyError::Locale {
            language: language.code(),
            detail,
        };
        let bundle = self
            .bundles
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, b)| b)
            .ok_or_else(|| locale("no bundle".to_owned()))?;
        let pattern = bundle
            .get_message(id)
            .and_then(|m| m.value())
            .ok_or_else(|| locale(format!("message {id} is missing")))?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(args), &mut errors);
        if errors.is_empty() {
            Ok(text.into_owned())
        } else {
            Err(locale(format!("{id}: {errors:?}")))
        }
    }

    /// `seconds` as words: under a minute in seconds, else days, hours and minutes, leaving out
    /// the parts that are zero. Negative spans count as zero (clocks jump).
    pub(crate) fn duration(&self, language: Language, seconds: i64) -> Result<String, NotifyError> {
        let seconds = seconds.max(0);
        if seconds < 60 {
            return self.count(language, "duration-seconds", seconds);
        }
        let minutes = seconds / 60;
        let parts = [
            ("duration-days", minutes / 1440),
            ("duration-hours", minutes / 60 % 24),
            ("duration-minutes", minutes % 60),
        ];
        let mut words = Vec::with_capacity(3);
        for (id, n) in parts {
            if n > 0 {
                words.push(self.count(language, id, n)?);
            }
        }
        Ok(words.join(" "))
    }

    fn count(&self, language: Language, id: &str, n: i64) -> Result<String, NotifyError> {
        let mut args = FluentArgs::new();
        args.set("n", FluentValue::from(n));
        self.text(language, id, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(language: Language, n: i64) -> String {
        let locales = Locales::load().unwrap();
        locales.duration(language, n * 60).unwrap()
    }

    #[test]
    fn czech_plurals() {
        assert_eq!(minutes(Language::Cs, 1), "1 minuta");
        assert_eq!(minutes(Language::Cs, 2), "2 minuty");
        assert_eq!(minutes(Language::Cs, 4), "4 minuty");
        assert_eq!(minutes(Language::Cs, 5), "5 minut");
        assert_eq!(minutes(Language::Cs, 22), "22 minut");
        assert_eq!(minutes(Language::Cs, 0), "0 sekund");
    }

    #[test]
    fn polish_plurals() {
        assert_eq!(minutes(Language::Pl, 1), "1 minuta");
        assert_eq!(minutes(Language::Pl, 3), "3 minuty");
        assert_eq!(minutes(Language::Pl, 5), "5 minut");
        assert_eq!(minutes(Language::Pl, 12), "12 minut");
        assert_eq!(minutes(Language::Pl, 22), "22 minuty");
        assert_eq!(minutes(Language::Pl, 25), "25 minut");
    }

    #[test]
    fn russian_plurals() {
        assert_eq!(minutes(Language::Ru, 1), "1 минута");
        assert_eq!(minutes(Language::Ru, 21), "21 минута");
        assert_eq!(minutes(Language::Ru, 22), "22 минуты");
        assert_eq!(minutes(Language::Ru, 11), "11 минут");
        assert_eq!(minutes(Language::Ru, 5), "5 минут");
    }

    #[test]
    fn english_and_french() {
        assert_eq!(minutes(Language::En, 1), "1 minute");
        assert_eq!(minutes(Language::En, 7), "7 minutes");
        assert_eq!(minutes(Language::Fr, 1), "1 minute");
        assert_eq!(minutes(Language::Fr, 7), "7 minutes");
    }

    #[test]
    fn durations_compose_and_clamp() {
        let locales = Locales::load().unwrap();
        let d = |s| locales.duration(Language::En, s).unwrap();
        assert_eq!(d(-3600), "0 seconds");
        assert_eq!(d(59), "59 seconds");
        assert_eq!(d(3600), "1 hour");
        assert_eq!(d(2 * 86_400 + 3 * 3600 + 61), "2 days 3 hours 1 minute");
        assert_eq!(d(86_400 + 5 * 60), "1 day 5 minutes");
        assert_eq!(
            locales.duration(Language::Cs, 3 * 3600 + 120).unwrap(),
            "3 hodiny 2 minuty"
        );
    }

    #[test]
    fn every_language_has_every_message() {
        let locales = Locales::load().unwrap();
        for (language, bundle) in &locales.bundles {
            for id in MESSAGE_IDS {
                assert!(bundle.has_message(id), "{id} in {language:?}");
            }
        }
    }
}
