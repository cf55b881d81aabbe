//! The binary's one integration-test binary: drives `tocsin` as a child process, as users and
//! the contract tests in `../shared/spec/` do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod archive;
mod inventory;
mod serve;
