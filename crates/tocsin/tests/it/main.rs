//! The binary's one integration-test binary: drives `tocsin` as a child process, as users and
//! the contract tests in `../shared/spec/` do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests wait for real processes with deadlines; the domain code never reads the clock.
#![allow(clippy::disallowed_methods)]

mod account;
mod account_maintenance;
mod account_sla_mail;
mod alert_tokens;
mod api;
mod archive;
mod authz;
mod broadcast;
mod browser;
mod clock;
mod console;
mod console_maintenance;
mod crash;
mod desk_clock;
mod desk_mail;
mod desk_pages;
mod drills;
mod ha;
mod headers;
mod help;
mod intervention_pages;
mod interventions;
mod inventory;
mod login;
mod mail;
mod maintenance;
mod migrate_announce;
mod migrate_convert;
mod migrate_plan;
mod mtu_lint;
mod netbox;
mod private_hooks;
mod runbooks;
mod secrets_at_rest;
mod serve;
mod session;
mod shifts;
mod sla;
mod staff;
mod status;
mod status_encoding;
mod status_fast;
mod tickets;
mod tickets_staff;
mod unmatched;
mod upgrades;
mod vault;
mod webhooks;
