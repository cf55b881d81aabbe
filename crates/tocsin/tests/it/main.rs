//! The binary's one integration-test binary: drives `tocsin` as a child process, as users and
//! the contract tests in `../shared/spec/` do.

mod archive;
