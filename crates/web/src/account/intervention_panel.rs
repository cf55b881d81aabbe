//! The OS intervention panel of a client-area ticket's page, in the customer's words: the
//! server, the work and scope authorised, whether the authorisation holds, what became of
//! the credentials and of the new ones, the targets and the summary; and the messages after
//! the intervention forms of `interventions`.

use minijinja::{context, Value};
use tocsin_app::ops::TicketView;
use tocsin_model::inventory::Language;

use super::intervention_texts::intervention_texts;

/// An RFC 3339 instant as the area shows times.
fn human(rfc3339: &str) -> String {
    tocsin_model::time::parse_utc(rfc3339)
        .map_or_else(|| rfc3339.to_owned(), tocsin_model::time::human)
}

/// The message after a change of an intervention, from a fixed list.
pub(super) fn flash(l: Language, code: &str) -> Option<&'static str> {
    let it = intervention_texts(l);
    Some(match code {
        "intervention" => it.opened_flash,
        "revoked" => it.revoked_flash,
        _ => return None,
    })
}

/// The intervention panel of a ticket's page in the customer's words; `None` for a ticket
/// that is no intervention.
pub(super) fn panel(l: Language, ticket: &TicketView) -> Option<Value> {
    let i = ticket.intervention.as_ref()?;
    let it = intervention_texts(l);
    let authorisation = match &i.revoked {
        _ if i.authorisation_holds => it.holds_until.replace("{}", &human(&i.expires)),
        Some(at) => it.revoked_at.replace("{}", &human(at)),
        None => it.lapsed.to_owned(),
    };
    let credentials = if i.credentials == "sealed" {
        it.sealed
    } else {
        it.destroyed
    };
    let new_credentials = match i.new_credentials.as_str() {
        "waiting" => it.nc_waiting,
        "read" => it.nc_read,
        _ => it.nc_none,
    };
    let targets = it
        .targets_text
        .replace("{first}", &i.targets.first_response)
        .replace("{work}", &i.targets.intervention);
    Some(context! {
        server => i.server,
        action => i.action,
        scope => i.scope,
        holds => i.authorisation_holds,
        authorisation,
        authorised_by => i.authorised_by,
        authorised => human(&i.authorised),
        authorised_iso => i.authorised,
        credentials,
        new_credentials,
        waiting => i.new_credentials == "waiting",
        targets,
        summary => i.summary,
    })
}
