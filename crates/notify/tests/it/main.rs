//! Integration tests of tocsin-notify: rendered messages (snapshots, structure, escaping) and
//! delivery to a real SMTP server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod compose;
mod fixtures;
mod peer;
mod smtp;
mod tls;
