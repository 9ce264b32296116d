//! Event and WebSocket frames (kontor-proto): the frames the server pushes (decoded by the CLI
//! and the browser), the frames clients send (decoded by the server before authentication),
//! and events as `/events/poll` serves them. Whatever decodes encodes to JSON that decodes to
//! the same again.
#![no_main]

use kontor_proto::Event;
use kontor_proto::event::{ClientFrame, ServerFrame};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trips<T: Serialize + DeserializeOwned>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_string(&value).expect("a decoded frame encodes");
        let again: T = serde_json::from_str(&json).expect("an encoded frame decodes");
        assert_eq!(serde_json::to_string(&again).expect("encodes"), json);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trips::<ServerFrame>(data);
    round_trips::<ClientFrame>(data);
    round_trips::<Event>(data);
    round_trips::<Vec<Event>>(data);
});
