//! The warning every admin gets at once when a staff member opens a sealed envelope: which
//! envelope, who opened it, when, and the reason they gave. It is written in the desk's frame
//! (`templates/ticket.*`), whose quoted block suits the reason. The secret itself is never in
//! the notice, so it cannot reach the mail.

use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::Environment;

use crate::locale::Locales;
use crate::notice::{Notice, NoticeKind};
use crate::render::{clean, render_one, shorten, Rendered, MAX_SUBJECT};
use crate::ticket::{letter, View};
use crate::time::short_utc;
use crate::NotifyError;

/// Most characters of the reason quoted: a reason is a sentence or two, and the console keeps
/// the whole of it.
const MAX_REASON: usize = 2000;

/// The console's page of envelopes and their openings, under its base URL.
const CONSOLE_PAGE: &str = "/console/envelopes";

/// Renders a [`NoticeKind::EnvelopeOpened`] notice in its language. Without the opener's login
/// or the console's URL it is `Incomplete`; without a reason it says none was given.
pub(crate) fn render(
    locales: &Locales,
    env: &Environment<'static>,
    notice: &Notice,
) -> Result<Rendered, NotifyError> {
    let incomplete = |missing| NotifyError::Incomplete {
        kind: NoticeKind::EnvelopeOpened.as_str(),
        missing,
    };
    let lang = notice.language;
    let base = clean(&notice.public_url);
    if base.is_empty() {
        return Err(incomplete("public_url (the console's base URL)"));
    }
    let opener = clean(&notice.customer_name);
    if opener.is_empty() {
        return Err(incomplete("customer_name (the login of who opened it)"));
    }
    let when = short_utc(notice.date).ok_or(NotifyError::Date(notice.date))?;

    let mut args = FluentArgs::new();
    let number = notice.incident_id.to_string();
    args.set("envelope", FluentValue::from(number.as_str()));
    let name = match clean(&notice.incident_title) {
        n if n.is_empty() => locales.text(lang, "envelope-untitled", &args)?,
        n => n,
    };
    args.set("name", FluentValue::from(name.as_str()));
    args.set("opener", FluentValue::from(opener.as_str()));
    args.set("when", FluentValue::from(when.as_str()));
    let t = |id: &str| locales.text(lang, id, &args);

    let subject = shorten(&clean(&t("subject-envelope-opened")?), MAX_SUBJECT);
    let reason = letter(&notice.body, MAX_REASON);
    let (quote_label, closing) = if reason.is_empty() {
        (None, vec![t("envelope-opened-no-reason")?])
    } else {
        (Some(t("envelope-opened-reason")?), Vec::new())
    };
    let view = View {
        lang: lang.code(),
        subject: &subject,
        greeting: Some(t("greeting")?),
        intro: vec![t("envelope-opened-intro")?],
        quote_label,
        quote: reason,
        letter: Vec::new(),
        facts: Vec::new(),
        closing,
        sign_off: None,
        signature: None,
        next: t("envelope-opened-next")?,
        url: format!("{}{CONSOLE_PAGE}", base.trim_end_matches('/')),
        link_in_footer: false,
        footer: t("envelope-opened-footer")?,
    };
    Ok(Rendered {
        text: render_one(env, "ticket.txt", &view)?,
        html: render_one(env, "ticket.html", &view)?,
        subject,
    })
}
