//! The words of an SLA credit notice: the month's availability against the promise, the
//! amounts, and the offers the customer chooses from.

use fluent_bundle::{FluentArgs, FluentValue};
use tocsin_model::inventory::Language;

use crate::locale::Locales;
use crate::notice::{CreditLines, Notice, NoticeKind, OfferKind};
use crate::render::clean;
use crate::time::short_utc;
use crate::NotifyError;

/// What the credit adds to the frame every notice shares.
pub(crate) struct CreditWords {
    /// The offers, one line each, in the configured order.
    pub offers: Vec<String>,
    /// Whether no VAT is charged (the amounts sentence says so).
    pub reverse_charge: bool,
    /// Where the customer chooses.
    pub url: String,
}

/// For a credit notice: puts the credit's facts into `args` (`service`, `service_id`, `month`,
/// `availability`, `sla`, `down`, `net`, `vat`, `gross`, `currency`, `deadline`, `first`) and
/// writes its offers. `None` for other kinds.
pub(crate) fn credit_words(
    locales: &Locales,
    notice: &Notice,
    args: &mut FluentArgs<'_>,
) -> Result<Option<CreditWords>, NotifyError> {
    if notice.kind != NoticeKind::CreditOffered {
        return Ok(None);
    }
    let incomplete = |missing| NotifyError::Incomplete {
        kind: NoticeKind::CreditOffered.as_str(),
        missing,
    };
    let credit: &CreditLines = notice.credit.as_ref().ok_or(incomplete("its credit"))?;
    if credit.offers.is_empty() {
        return Err(incomplete("offers"));
    }
    let lang = notice.language;
    let currency = clean(&credit.currency);
    let deadline = short_utc(credit.deadline).ok_or(NotifyError::Date(credit.deadline))?;
    let mut offers = Vec::with_capacity(credit.offers.len());
    for offer in &credit.offers {
        offers.push(offer_words(
            locales,
            lang,
            offer.kind,
            &offer.value,
            &currency,
        )?);
    }
    for (name, value) in [
        ("service", clean(&credit.service_name)),
        ("service_id", clean(&credit.service_id)),
        ("month", month_words(locales, lang, &credit.month)?),
        ("availability", clean(&credit.availability)),
        ("sla", clean(&credit.sla)),
        ("down", locales.duration(lang, credit.down_seconds)?),
        ("net", clean(&credit.net)),
        ("vat", clean(&credit.vat)),
        ("gross", clean(&credit.gross)),
        ("currency", currency.clone()),
        ("deadline", deadline),
        ("first", offers.first().cloned().unwrap_or_default()),
    ] {
        args.set(name, FluentValue::from(value));
    }
    let url = if credit.url.trim().is_empty() {
        clean(&notice.public_url)
    } else {
        clean(&credit.url)
    };
    Ok(Some(CreditWords {
        offers,
        reverse_charge: credit.reverse_charge,
        url,
    }))
}

/// One offer as a line: the amount credited, or the free days with the plural they need.
fn offer_words(
    locales: &Locales,
    lang: Language,
    kind: OfferKind,
    value: &str,
    currency: &str,
) -> Result<String, NotifyError> {
    let value = clean(value);
    let mut args = FluentArgs::new();
    // A whole number selects the plural form; anything else is shown as it is.
    match value.parse::<i64>() {
        Ok(n) => args.set("value", FluentValue::from(n)),
        Err(_) => args.set("value", FluentValue::from(value.as_str())),
    }
    args.set("currency", FluentValue::from(currency));
    let id = match kind {
        OfferKind::AccountCredit => "offer-account-credit",
        OfferKind::ServiceDays => "offer-service-days",
    };
    locales.text(lang, id, &args)
}

/// `2026-10` as the language writes it (`October 2026`, `říjen 2026`); anything that is not
/// such a month is shown as it is.
fn month_words(locales: &Locales, lang: Language, month: &str) -> Result<String, NotifyError> {
    let month = clean(month);
    let parsed = month.split_once('-').and_then(|(y, m)| {
        let valid =
            y.len() == 4 && m.len() == 2 && y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit());
        let m: i64 = m.parse().ok()?;
        (valid && (1..=12).contains(&m)).then_some((y, m))
    });
    let Some((year, m)) = parsed else {
        return Ok(month);
    };
    let mut args = FluentArgs::new();
    args.set("m", FluentValue::from(m));
    args.set("year", FluentValue::from(year));
    locales.text(lang, "month-year", &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_named_and_odd_ones_kept() {
        let locales = Locales::load().unwrap();
        let m = |lang, s| month_words(&locales, lang, s).unwrap();
        assert_eq!(m(Language::En, "2026-10"), "October 2026");
        assert_eq!(m(Language::En, "2026-01"), "January 2026");
        assert_eq!(m(Language::Cs, "2026-12"), "prosinec 2026");
        assert_eq!(m(Language::Pl, "2027-02"), "luty 2027");
        assert_eq!(m(Language::Fr, "2026-08"), "août 2026");
        assert_eq!(m(Language::Ru, "2026-05"), "май 2026");
        assert_eq!(m(Language::En, "2026-13"), "2026-13");
        assert_eq!(m(Language::En, "2026-1"), "2026-1");
        assert_eq!(m(Language::En, "October"), "October");
    }

    #[test]
    fn every_language_names_every_month() {
        let locales = Locales::load().unwrap();
        for lang in Language::ALL {
            let mut names = Vec::new();
            for n in 1..=12 {
                let name = month_words(&locales, lang, &format!("2026-{n:02}")).unwrap();
                assert!(name.ends_with(" 2026"), "{lang:?} {n}: {name}");
                names.push(name);
            }
            names.sort();
            names.dedup();
            assert_eq!(names.len(), 12, "{lang:?}: twelve different names");
        }
    }

    #[test]
    fn days_take_their_plural() {
        let locales = Locales::load().unwrap();
        let days = |lang, v| offer_words(&locales, lang, OfferKind::ServiceDays, v, "EUR").unwrap();
        assert!(days(Language::En, "1").starts_with("1 free day "));
        assert!(days(Language::En, "3").starts_with("3 free days "));
        assert!(days(Language::Cs, "1").starts_with("1 den "));
        assert!(days(Language::Cs, "3").starts_with("3 dny "));
        assert!(days(Language::Cs, "5").starts_with("5 dní "));
        assert!(days(Language::Pl, "1").starts_with("1 dzień "));
        assert!(days(Language::Pl, "22").starts_with("22 dni "));
        assert!(days(Language::Ru, "21").starts_with("21 бесплатный день"));
        assert!(days(Language::Ru, "3").starts_with("3 бесплатных дня"));
        assert!(days(Language::Ru, "11").starts_with("11 бесплатных дней"));
        assert!(days(Language::Fr, "2").starts_with("2 jours gratuits"));
        let credit = offer_words(
            &locales,
            Language::En,
            OfferKind::AccountCredit,
            "2.18",
            "EUR",
        )
        .unwrap();
        assert!(credit.contains("2.18 EUR"), "{credit}");
    }
}
