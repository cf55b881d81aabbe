//! Integration tests of tocsin-notify: rendered messages (snapshots, structure, escaping) and
//! delivery to a real SMTP server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod compose;
mod credit;
mod envelope;
mod fixtures;
mod peer;
mod smtp;
mod ticket;
mod tls;

/// The server shares one composer and one mailer among its workers.
#[test]
fn composer_and_mailer_can_be_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<tocsin_notify::Composer>();
    shared::<tocsin_notify::Mailer>();
    shared::<tocsin_notify::NotifyError>();
}
