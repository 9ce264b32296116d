//! The payload inside MLS: the plaintext of an application message is an `Envelope` (JSON),
//! and its `payload` text a `Payload` (kontor-proto). Both are written by another device, so
//! anything may arrive. A known payload survives encoding and decoding unchanged.
#![no_main]

use kontor_proto::payload::{Envelope, Payload};
use libfuzzer_sys::fuzz_target;

fn round_trips(p: &Payload) {
    if !matches!(p, Payload::Unknown { .. }) {
        assert_eq!(&Payload::parse(&p.to_json()), p);
    }
}

fuzz_target!(|data: &[u8]| {
    // As `Client::receive` reads a decrypted application message.
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(data) {
        let _ = envelope.signed_bytes();
        let json = serde_json::to_vec(&envelope).expect("an envelope encodes");
        let again: Envelope = serde_json::from_slice(&json).expect("an encoded envelope decodes");
        assert_eq!(again, envelope);
        round_trips(&envelope.parse_payload());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        round_trips(&Payload::parse(text));
    }
});
