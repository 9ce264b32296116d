//! Wire types shared by the Kontor server and its clients.
//!
//! Everything that crosses the network is defined here once: identifiers, request and response
//! bodies, events pushed over the WebSocket and the error shape. The crate does no IO and pulls
//! in no runtime, so it builds for every target the clients need (native and `wasm32`).
//!
//! Conventions:
//! - Every identifier is its own newtype over a UUIDv7 (time-ordered), serialised as a string.
//! - Timestamps are RFC 3339 strings in UTC with millisecond precision.
//! - Enums are `snake_case` strings on the wire.
//! - Errors always have the shape of [`ErrorBody`] with a stable [`ErrorCode`].

pub mod api;
pub mod bytes;
pub mod conversation;
pub mod error;
pub mod event;
pub mod identity;
pub mod ids;
pub mod import;
pub mod payload;

pub use bytes::Bytes;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use event::{Event, EventKind};
pub use ids::*;

/// The API prefix of this version of the protocol.
pub const API_PREFIX: &str = "/api/v1";
