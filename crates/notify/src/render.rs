//! Rendering a notice's subject and its text and HTML bodies from Fluent messages and templates.

use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::Environment;
use serde::Serialize;

use crate::credit::credit_words;
use crate::locale::Locales;
use crate::notice::{Notice, NoticeKind};
use crate::time::short_utc;
use crate::NotifyError;

mod plan;
pub(crate) use plan::Plans;

/// A notice in words, before it is wrapped into MIME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line (one line, no control characters).
    pub subject: String,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` body; every untrusted string in it is escaped.
    pub html: String,
}

/// What the templates see: every sentence already in the contact's language.
#[derive(Serialize)]
struct View<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: String,
    intro: String,
    paragraphs: Vec<String>,
    title_line: Option<String>,
    services: Vec<ServiceView>,
    /// Numbered choices (credit notices).
    offers: Vec<String>,
    /// Paragraphs after the lists.
    closing: Vec<String>,
    next: String,
    url: String,
    footer: String,
}

#[derive(Serialize)]
struct ServiceView {
    name: String,
    id: String,
    detail: String,
}

/// Loads the compiled-in templates. File names pick the escaping: `.html` escapes, `.txt` not.
pub(crate) fn templates() -> Result<Environment<'static>, NotifyError> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in [
        ("notice.txt", include_str!("../templates/notice.txt")),
        ("notice.html", include_str!("../templates/notice.html")),
        ("ticket.txt", include_str!("../templates/ticket.txt")),
        ("ticket.html", include_str!("../templates/ticket.html")),
    ] {
        env.add_template(name, source)
            .map_err(|e| NotifyError::Template {
                name,
                detail: e.to_string(),
            })?;
    }
    Ok(env)
}

/// Replaces control and bidirectional-override characters with spaces and collapses runs of
/// white space: names come from inventories and must not break a header line or disguise
/// themselves in a mail client.
pub(crate) fn clean(s: &str) -> String {
    if is_clean(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || is_blanked(c)) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Characters [`clean`] turns into spaces.
fn is_blanked(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether [`clean`] would give `s` back unchanged: nothing to blank, and white space only as
/// single ASCII spaces between words. Most names are, and then cost one scan and one copy.
fn is_clean(s: &str) -> bool {
    let mut after_space = true;
    for c in s.chars() {
        if c == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if c.is_whitespace() || is_blanked(c) {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || s.is_empty()
}

/// Longest subject, in characters. Mail clients show far less, and a long unbroken title
/// could not be folded into the 998-octet lines RFC 5322 allows.
pub(crate) const MAX_SUBJECT: usize = 200;

/// `s` cut to `max` characters, the cut marked with an ellipsis.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut short: String = s.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// The staff's text in paragraphs: split on blank lines, each cleaned to one line.
fn paragraphs(body: &str) -> Vec<String> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .map(clean)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Message ids of the subject, introduction, closing line and footer of a notice; `None` for
/// the ticket kinds and the envelope warning, which have a frame of their own (`ticket.rs`,
/// `envelope.rs`).
fn texts(kind: NoticeKind, untitled: bool) -> Option<[&'static str; 4]> {
    Some(match (kind, untitled) {
        (NoticeKind::Opened, false) => ["subject-opened", "opened-intro", "opened-next", "footer"],
        (NoticeKind::Opened, true) => [
            "subject-opened-untitled",
            "opened-intro",
            "opened-next",
            "footer",
        ],
        (NoticeKind::Resolved, false) => [
            "subject-resolved",
            "resolved-intro",
            "resolved-next",
            "footer",
        ],
        (NoticeKind::Resolved, true) => [
            "subject-resolved-untitled",
            "resolved-intro",
            "resolved-next",
            "footer",
        ],
        (NoticeKind::Broadcast, _) => [
            "subject-broadcast",
            "broadcast-intro",
            "broadcast-next",
            "broadcast-footer",
        ],
        (NoticeKind::Degraded, _) => [
            "subject-degraded",
            "degraded-intro",
            "degraded-next",
            "degraded-footer",
        ],
        (NoticeKind::LeadOpened, _) => [
            "subject-lead-opened",
            "lead-opened-intro",
            "lead-opened-next",
            "lead-opened-footer",
        ],
        (NoticeKind::MaintenanceAnnounced, _) => [
            "subject-maintenance-announced",
            "maintenance-announced-intro",
            "maintenance-next",
            "maintenance-footer",
        ],
        (NoticeKind::MaintenanceReminder, _) => [
            "subject-maintenance-reminder",
            "maintenance-reminder-intro",
            "maintenance-next",
            "maintenance-footer",
        ],
        (NoticeKind::MaintenanceMoved, _) => [
            "subject-maintenance-moved",
            "maintenance-moved-intro",
            "maintenance-next",
            "maintenance-footer",
        ],
        (NoticeKind::MaintenanceCancelled, _) => [
            "subject-maintenance-cancelled",
            "maintenance-cancelled-intro",
            "maintenance-next",
            "maintenance-footer",
        ],
        (NoticeKind::CreditOffered, _) => [
            "subject-credit-offered",
            "credit-offered-intro",
            "credit-offered-next",
            "credit-offered-footer",
        ],
        (
            NoticeKind::TicketReceived
            | NoticeKind::TicketReply
            | NoticeKind::TicketBreach
            | NoticeKind::EnvelopeOpened,
            _,
        ) => return None,
    })
}

/// Renders `notice` in its language; with `plans`, the notice templates are filled in from
/// their plans where they have one.
pub(crate) fn render(
    locales: &Locales,
    env: &Environment<'static>,
    plans: Option<&Plans>,
    notice: &Notice,
) -> Result<Rendered, NotifyError> {
    let lang = notice.language;
    let title = clean(&notice.incident_title);
    let Some([subject_id, intro_id, next_id, footer_id]) = texts(notice.kind, title.is_empty())
    else {
        return match notice.kind {
            NoticeKind::EnvelopeOpened => crate::envelope::render(locales, env, notice),
            _ => crate::ticket::render(locales, env, notice),
        };
    };
    let customer = clean(&notice.customer_name);
    let incident = notice.incident_id.to_string();
    let count = i64::try_from(notice.services.len()).unwrap_or(i64::MAX);

    let mut args = FluentArgs::new();
    args.set("incident", FluentValue::from(incident.as_str()));
    args.set("title", FluentValue::from(title.as_str()));
    args.set("customer", FluentValue::from(customer.as_str()));
    args.set("count", FluentValue::from(count));
    args.set("customers", FluentValue::from(notice.at_risk));
    let window = notice.window.clone().unwrap_or_default();
    let (utc, local, previous) = (
        clean(&window.utc),
        clean(&window.local),
        clean(&window.previous),
    );
    args.set("utc", FluentValue::from(utc.as_str()));
    args.set("local", FluentValue::from(local.as_str()));
    args.set("previous", FluentValue::from(previous.as_str()));
    let credit = credit_words(locales, notice, &mut args)?;
    let t = |id: &str| locales.text(lang, id, &args);

    let subject = shorten(&clean(&t(subject_id)?), MAX_SUBJECT);

    let mut services = Vec::with_capacity(notice.services.len());
    // A credit names its one service in the introduction.
    let lines = if credit.is_some() {
        &[][..]
    } else {
        &notice.services[..]
    };
    // Lines of one notice mostly say the same (one outage, one start), so a detail is formatted
    // once and reused while its argument repeats.
    let mut last_detail: Option<(Option<String>, String)> = None;
    // The start of the last line's outage, written out: a fan-out's lines share one.
    let mut last_since: Option<(i64, String)> = None;
    for line in lines {
        let (id, arg_name, arg) = match notice.kind {
            NoticeKind::Opened | NoticeKind::LeadOpened => {
                let since = match &last_since {
                    Some((at, text)) if *at == line.down_since => text.clone(),
                    _ => {
                        let text =
                            short_utc(line.down_since).ok_or(NotifyError::Date(line.down_since))?;
                        last_since = Some((line.down_since, text.clone()));
                        text
                    }
                };
                ("service-down-since", "since", Some(since))
            }
            NoticeKind::Degraded => ("service-degraded", "", None),
            k if k.is_maintenance() => ("service-in-maintenance", "", None),
            _ => {
                let end = line.back_up_at.unwrap_or(notice.date);
                let span = end.saturating_sub(line.down_since);
                (
                    "service-down-for",
                    "duration",
                    Some(locales.duration(lang, span)?),
                )
            }
        };
        let detail = match &last_detail {
            Some((same, detail)) if *same == arg => detail.clone(),
            _ => {
                let mut a = FluentArgs::new();
                if let Some(value) = &arg {
                    a.set(arg_name, FluentValue::from(value.as_str()));
                }
                let detail = locales.text(lang, id, &a)?;
                last_detail = Some((arg, detail.clone()));
                detail
            }
        };
        services.push(ServiceView {
            name: clean(&line.name),
            id: clean(&line.id),
            detail,
        });
    }

    let view = View {
        lang: lang.code(),
        subject: &subject,
        greeting: t("greeting")?,
        intro: t(intro_id)?,
        paragraphs: if notice.kind.is_maintenance() {
            // A provider in UTC gets its times once.
            let when = if local.is_empty() {
                "maintenance-when-utc"
            } else {
                "maintenance-when"
            };
            let mut p = vec![t(when)?];
            if !previous.is_empty() {
                p.push(t("maintenance-previously")?);
            }
            p.extend(paragraphs(&notice.body));
            p
        } else if let Some(credit) = &credit {
            let amounts = if credit.reverse_charge {
                "credit-amounts-reverse-charge"
            } else {
                "credit-amounts"
            };
            vec![t(amounts)?, t("credit-choose")?]
        } else {
            paragraphs(&notice.body)
        },
        title_line: if title.is_empty()
            || notice.kind.is_maintenance()
            || credit.is_some()
            || matches!(notice.kind, NoticeKind::Broadcast | NoticeKind::Degraded)
        {
            None
        } else {
            Some(t("incident-title")?)
        },
        services,
        closing: match &credit {
            Some(_) => vec![t("credit-deadline")?],
            None => Vec::new(),
        },
        next: t(next_id)?,
        url: match &credit {
            Some(c) => c.url.clone(),
            None => clean(&notice.public_url),
        },
        offers: credit.map(|c| c.offers).unwrap_or_default(),
        footer: t(footer_id)?,
    };
    let (text, html) = match plans {
        Some(plans) => (
            plans.render(env, "notice.txt", &view)?,
            plans.render(env, "notice.html", &view)?,
        ),
        None => {
            // Converted once for both templates; rendering a ready `Value` copies nothing.
            let view = minijinja::Value::from_serialize(&view);
            (
                render_one(env, "notice.txt", &view)?,
                render_one(env, "notice.html", &view)?,
            )
        }
    };
    Ok(Rendered {
        text,
        html,
        subject,
    })
}

/// Renders the template `name` with `view`.
pub(crate) fn render_one(
    env: &Environment<'static>,
    name: &'static str,
    view: &impl Serialize,
) -> Result<String, NotifyError> {
    let template = env.get_template(name).map_err(|e| NotifyError::Template {
        name,
        detail: e.to_string(),
    })?;
    template.render(view).map_err(|e| NotifyError::Template {
        name,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::clean;

    /// `clean` as first written: blank, split on white space, join.
    fn clean_as_before(s: &str) -> String {
        let mapped: String = s
            .chars()
            .map(|c| if super::is_blanked(c) { ' ' } else { c })
            .collect();
        mapped.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn clean_examples() {
        assert_eq!(clean("Web server www-1"), "Web server www-1");
        assert_eq!(clean(" a  b\r\nBcc: c\t"), "a b Bcc: c");
        assert_eq!(clean("\u{202E}evil\u{2066}x"), "evil x");
        assert_eq!(clean("a\u{a0}b\u{3000}"), "a b");
        assert_eq!(clean(""), "");
        assert_eq!(clean("  "), "");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn clean_is_unchanged(s in "(?s)( |  |\t|\r|\n|\u{a0}|\u{2028}|\u{202e}|\u{2067}|\u{0}|\u{85}|a|é|Я|.){0,40}") {
            prop_assert_eq!(clean(&s), clean_as_before(&s));
        }
    }
}
