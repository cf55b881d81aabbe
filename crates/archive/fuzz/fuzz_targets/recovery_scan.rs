//! Fuzzes the recovery scan over an arbitrary volume tail: it never panics, never reports a
//! record outside the bytes it was given, and the end of the log stays within them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_archive::recovery::{scan, Event};

fuzz_target!(|data: &[u8]| {
    let base = 64u64;
    let end = base + data.len() as u64;
    let got = scan(data, base, 0x5eed, 1, &mut |e| match e {
        Event::Put {
            offset, value_len, ..
        } => assert!(offset >= base && offset + value_len <= end),
        Event::Delete { offset, len, .. } => assert!(offset >= base && offset + len <= end),
    });
    assert!(got.log_end >= base && got.log_end <= end);
});
