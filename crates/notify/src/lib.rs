//! Tocsin's notices: localised incident e-mails rendered from templates, and their delivery
//! over SMTP.
//!
//! [`compose`] turns a [`Notice`] into the bytes of an RFC 5322 message; [`Mailer`] delivers
//! many such messages over a few reused SMTP connections and tells, per message, whether it was
//! delivered, should be retried or failed for good. Neither reads the clock nor touches a
//! database: the outbox that calls them owns time, retries and records.

mod credit;
mod envelope;
mod locale;
mod message;
mod notice;
mod render;
mod smtp;
mod ticket;
mod time;

pub use message::{compose, envelope, Composer};
pub use notice::{
    CreditLines, Envelope, Notice, NoticeKind, OfferKind, OfferLine, Sender, ServiceLine,
    TicketLines, WindowTimes,
};
pub use render::Rendered;
pub use smtp::{tls_config, Mailer, Outcome, Secret, SmtpConfig, Tls};

/// What can go wrong while composing or configuring notices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// An address (sender, recipient) that is not a valid mailbox.
    #[error("invalid {field} address {value:?}: {detail}")]
    Address {
        /// Which address: `from` or `to`.
        field: &'static str,
        /// The address as given.
        value: String,
        /// Why it was refused.
        detail: String,
    },
    /// A `List-Id` that is not a dot-atom such as `status.example.net`.
    #[error("invalid List-Id {0:?}: expected letters, digits, dots and hyphens")]
    ListId(String),
    /// An instant outside the years an e-mail `Date` can carry (1000–9999).
    #[error("instant {0} (unix seconds) is outside the years 1000-9999")]
    Date(i64),
    /// A locale file that does not parse or lacks a message; a build defect.
    #[error("locale {language}: {detail}")]
    Locale {
        /// ISO 639-1 code of the language.
        language: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A template that does not parse or render; a build defect.
    #[error("template {name}: {detail}")]
    Template {
        /// The template's name.
        name: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A notice that lacks what its kind must say, e.g. a credit notice without its credit.
    #[error("{kind} notice without {missing}")]
    Incomplete {
        /// The notice's kind (`credit-offered`).
        kind: &'static str,
        /// What it lacks.
        missing: &'static str,
    },
    /// A field of a notice that cannot be used as given, e.g. a `Message-ID` with a space in it
    /// or an SLA target the desk does not know.
    #[error("invalid {field} {value:?}: {detail}")]
    Invalid {
        /// Which field: `ticket.message_id`, `ticket.references`, `ticket.target`…
        field: &'static str,
        /// The value as given.
        value: String,
        /// Why it was refused.
        detail: &'static str,
    },
    /// An SMTP configuration that cannot be used (e.g. a bad TLS host name).
    #[error("SMTP configuration: {0}")]
    Config(String),
}
