//! Feeds arbitrary bytes to the parsers of alert bodies (Alertmanager webhook, generic JSON):
//! every input is either alerts or an error message, never a panic or a hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match tocsin_web::wire::alertmanager(data, 0) {
        Ok(alerts) => {
            for a in alerts {
                assert!(!a.fingerprint.is_empty(), "an alert without identity");
            }
        }
        Err(e) => assert!(!e.is_empty()),
    }
    if let Err(e) = tocsin_web::wire::generic(data, 0) {
        assert!(!e.is_empty());
    }
});
