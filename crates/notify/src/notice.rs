//! The notice a contact receives about an incident, a credit or a ticket, as the outbox hands
//! it over.

use tocsin_model::inventory::Language;

/// Which incident event a notice tells about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// Services went down (and stayed down past the hold-down).
    Opened,
    /// Every service of the incident is back up.
    Resolved,
    /// Staff's message to every customer (a global problem): `incident_title` is the
    /// subject, `body` the text, framed in the contact's language.
    Broadcast,
    /// To staff only: a component fails and services lost redundancy, none is down;
    /// `incident_title` names the component, `services` are the degraded ones.
    Degraded,
    /// To the shift lead on duty: an incident opened (`incident_title` is its headline).
    LeadOpened,
    /// Planned maintenance that will take the customer's `services` down, announced when
    /// planned (`incident_title` is the window's title, `window` its times).
    MaintenanceAnnounced,
    /// The same, at one of the window's lead times.
    MaintenanceReminder,
    /// The window got new times (`window.previous` the old ones).
    MaintenanceMoved,
    /// The window was called off.
    MaintenanceCancelled,
    /// A final month's SLA credit for one service (`credit` says what it is and what the
    /// customer may choose); `incident_id` is the credit's number.
    CreditOffered,
    /// To a customer: their ticket was opened (`ticket` says which; an RFC 3834
    /// auto-reply).
    TicketReceived,
    /// To a customer: a staff member's public reply on their ticket, written by a human.
    TicketReply,
    /// To staff (the shift lead on duty, the ticket's assignee): a ticket missed an SLA
    /// target.
    TicketBreach,
    /// To every admin, at once: a staff member opened a sealed envelope (a secret an admin
    /// stored). The notice never carries the secret; its fields mean:
    /// - `incident_id`: the envelope's number;
    /// - `incident_title`: the envelope's name (untrusted);
    /// - `customer_name`: the login of the staff member who opened it (untrusted; required);
    /// - `body`: the reason they gave (untrusted, paragraphs split on blank lines);
    /// - `date`: when it was opened, unix seconds UTC;
    /// - `public_url`: the console's base URL (required); the mail links to
    ///   `{public_url}/console/envelopes`.
    ///
    /// `services`, `at_risk`, `window`, `credit` and `ticket` are not read: leave them empty.
    EnvelopeOpened,
}

impl NoticeKind {
    /// A lowercase word for identifiers such as the `Message-ID`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Opened => "opened",
            NoticeKind::Resolved => "resolved",
            NoticeKind::Broadcast => "broadcast",
            NoticeKind::Degraded => "degraded",
            NoticeKind::LeadOpened => "lead-opened",
            NoticeKind::MaintenanceAnnounced => "maintenance-announced",
            NoticeKind::MaintenanceReminder => "maintenance-reminder",
            NoticeKind::MaintenanceMoved => "maintenance-moved",
            NoticeKind::MaintenanceCancelled => "maintenance-cancelled",
            NoticeKind::CreditOffered => "credit-offered",
            NoticeKind::TicketReceived => "ticket-received",
            NoticeKind::TicketReply => "ticket-reply",
            NoticeKind::TicketBreach => "ticket-breach",
            NoticeKind::EnvelopeOpened => "envelope-opened",
        }
    }

    /// Whether it is about a support desk ticket (and so needs [`Notice::ticket`]).
    pub fn is_ticket(self) -> bool {
        matches!(
            self,
            NoticeKind::TicketReceived | NoticeKind::TicketReply | NoticeKind::TicketBreach
        )
    }

    /// Whether it is about planned maintenance.
    pub fn is_maintenance(self) -> bool {
        matches!(
            self,
            NoticeKind::MaintenanceAnnounced
                | NoticeKind::MaintenanceReminder
                | NoticeKind::MaintenanceMoved
                | NoticeKind::MaintenanceCancelled
        )
    }
}

/// One of the customer's affected services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    /// The service's id in the inventory.
    pub id: String,
    /// Its display name (untrusted: escaped in HTML).
    pub name: String,
    /// When it went down, unix seconds UTC.
    pub down_since: i64,
    /// When it came back up, unix seconds UTC; `None` while still down.
    pub back_up_at: Option<i64>,
}

/// A maintenance window's times as the notice states them, written when it was queued: in UTC
/// and in the provider's time zone, numeric so that every language reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowTimes {
    /// `2026-12-05 22:00 – 2026-12-06 02:00 UTC`.
    pub utc: String,
    /// `2026-12-05 23:00 CET – 2026-12-06 03:00 CET (Europe/Prague)`; empty when the
    /// provider's zone is UTC.
    pub local: String,
    /// The times before a move, in UTC; empty otherwise.
    pub previous: String,
}

/// What an SLA credit notice says: the service, the month and its availability against the
/// promise, the amounts, and the offers the customer chooses from by the deadline. Amounts and
/// percentages are the ledger's decimal strings, shown as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditLines {
    /// The service's id in the inventory.
    pub service_id: String,
    /// Its display name (untrusted: escaped in HTML).
    pub service_name: String,
    /// The month, `2026-10`, in the provider's time zone; written with the language's month
    /// name.
    pub month: String,
    /// The downtime counted in the month, seconds; written in words.
    pub down_seconds: i64,
    /// The month's availability, `99.8123 %`.
    pub availability: String,
    /// The availability promised, `99.9 %`.
    pub sla: String,
    /// The credit net of VAT, `1.20`.
    pub net: String,
    /// Its VAT, `0.25`; `0.00` under reverse charge.
    pub vat: String,
    /// Net plus VAT, `1.45`.
    pub gross: String,
    /// ISO 4217 code, `EUR`.
    pub currency: String,
    /// No VAT charged: the customer accounts for it (reverse charge).
    pub reverse_charge: bool,
    /// The last instant to choose, unix seconds UTC.
    pub deadline: i64,
    /// The forms of compensation, in the configured order; the first applies when the
    /// customer does not choose. Never empty.
    pub offers: Vec<OfferLine>,
    /// The client area's page where the customer chooses (`…/account/sla`); the status page
    /// is linked when it is empty.
    pub url: String,
}

/// One form of compensation the customer may choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferLine {
    /// The offer's id in the configuration, `credit`.
    pub id: String,
    /// What it gives.
    pub kind: OfferKind,
    /// Its value: an amount in the credit's currency (`1.45`) or a number of days (`3`).
    pub value: String,
}

/// The kinds of compensation of `[[sla.offers]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferKind {
    /// An amount credited to the customer's account.
    AccountCredit,
    /// Free days of the service.
    ServiceDays,
}

impl OfferKind {
    /// The configuration's word: `account_credit` or `service_days`.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferKind::AccountCredit => "account_credit",
            OfferKind::ServiceDays => "service_days",
        }
    }

    /// The kind the configuration's word names, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "account_credit" => Some(OfferKind::AccountCredit),
            "service_days" => Some(OfferKind::ServiceDays),
            _ => None,
        }
    }
}

/// What a support desk notice says about its ticket, and where its message sits in the
/// ticket's e-mail thread. Message ids are given without their angle brackets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketLines {
    /// The ticket's number; the subject carries it as `[#T-{ticket_id}]`.
    pub ticket_id: u64,
    /// The ticket's subject (untrusted).
    pub subject: String,
    /// `TicketReply`: the staff's reply text; `TicketReceived`: the customer's first message,
    /// quoted back; `TicketBreach`: empty. Untrusted; paragraphs split on blank lines.
    pub body: String,
    /// `TicketReply`: the staff member's display name (the reply is signed with it);
    /// otherwise empty.
    pub author: String,
    /// This message's `Message-ID`, chosen by the caller, e.g. `t42.7@desk.example.net`.
    pub message_id: String,
    /// The ticket's previous message, which this one answers.
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first.
    pub references: Vec<String>,
    /// Where to read the ticket: the client area for customers, the console for staff.
    pub url: String,
    /// `TicketBreach`: the target missed, `first_response`, `next_response` or `resolution`.
    pub target: Option<String>,
    /// `TicketBreach`: when the target was due, unix seconds UTC.
    pub due: Option<i64>,
    /// `TicketBreach`: the customer's name or id; empty when the ticket has none yet.
    pub customer: String,
}

/// Everything needed to write one e-mail to one contact about one incident event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Opened or resolved.
    pub kind: NoticeKind,
    /// The incident's number; a credit's number for credit notices, an envelope's for
    /// [`NoticeKind::EnvelopeOpened`].
    pub incident_id: u64,
    /// The incident's public title; may be empty. An envelope's name for
    /// [`NoticeKind::EnvelopeOpened`].
    pub incident_title: String,
    /// The customer's display name (untrusted). The opener's login for
    /// [`NoticeKind::EnvelopeOpened`].
    pub customer_name: String,
    /// The contact's e-mail address.
    pub to: String,
    /// The contact's language.
    pub language: Language,
    /// This customer's affected services only.
    pub services: Vec<ServiceLine>,
    /// The public status page, linked from the message; the console's base URL for
    /// [`NoticeKind::EnvelopeOpened`].
    pub public_url: String,
    /// The message's date, unix seconds UTC; also "now" for services still down, and when
    /// the envelope was opened for [`NoticeKind::EnvelopeOpened`].
    pub date: i64,
    /// The outbox row; makes the `Message-ID` unique and the same across retries.
    pub outbox_id: u64,
    /// The staff's text of a broadcast, or the reason given for opening an envelope
    /// (untrusted, paragraphs split on blank lines); empty for other kinds.
    pub body: String,
    /// Customers whose services lost redundancy (degraded notices); 0 for other kinds.
    pub at_risk: u64,
    /// A maintenance window's times (maintenance notices only).
    pub window: Option<WindowTimes>,
    /// The credit offered (credit notices only; required there).
    pub credit: Option<CreditLines>,
    /// The ticket (ticket notices only; required there).
    pub ticket: Option<TicketLines>,
}

/// Who the notices come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The `From` mailbox, `Name <addr>` or `addr`.
    pub from: String,
    /// The `List-Id` identifier, e.g. `status.example.net`, so recipients can filter.
    pub list_id: String,
}

/// The SMTP envelope of one message: the return path and the one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM` address (bare, no display name).
    pub from: String,
    /// `RCPT TO` address.
    pub to: String,
}

/// `address` with its domain in ASCII (IDNA A-labels: `пекарня.рф` becomes `xn--…`), which
/// every server takes. A non-ASCII local part stays as it is and needs SMTPUTF8 (RFC 6531).
pub(crate) fn ascii_domain(address: &str) -> Result<String, String> {
    let address = address.trim();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("no @".to_owned());
    };
    if domain.is_ascii() {
        return Ok(address.to_owned());
    }
    let domain = idna::domain_to_ascii(domain).map_err(|e| format!("domain: {e}"))?;
    Ok(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_ascii_and_local_parts_stay() {
        assert_eq!(
            ascii_domain("jana@pekárna.cz").as_deref(),
            Ok("jana@xn--pekrna-rta.cz")
        );
        assert_eq!(
            ascii_domain(" яна@пример.рф ").as_deref(),
            Ok("яна@xn--e1afmkfd.xn--p1ai")
        );
        assert_eq!(ascii_domain("a@b.example").as_deref(), Ok("a@b.example"));
        assert!(ascii_domain("nobody").is_err());
    }

    #[test]
    fn offer_kinds_read_back_their_words() {
        for kind in [OfferKind::AccountCredit, OfferKind::ServiceDays] {
            assert_eq!(OfferKind::from_code(kind.as_str()), Some(kind));
        }
        assert_eq!(OfferKind::from_code("refund"), None);
    }
}
