//! Fuzzes the record decoder: arbitrary bytes never panic, and whatever decodes as a whole
//! record re-encodes to exactly the bytes it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_archive::format::{decode_record, encode_record, record_len, Decoded, Place};

fuzz_target!(|data: &[u8]| {
    let place = Place {
        salt: 0x5eed,
        volume: 1,
        offset: 64,
    };
    match decode_record(data, place) {
        Ok(Decoded::Whole(r)) => {
            let mut again = Vec::new();
            encode_record(&mut again, place, r.flags, r.key, r.value);
            let len = record_len(r.key.len(), r.value.len() as u64) as usize;
            assert_eq!(&again[..], &data[..len]);
        }
        Ok(Decoded::DamagedValue { len, .. }) => assert!(len as usize <= data.len()),
        Err(_) => {}
    }
});
