//! What the server reads of bytes that arrive from outside, before anything trusts them.
//!
//! Each module takes the raw bytes of one kind of upload and returns either a typed result or
//! a refusal that names what is wrong; nothing here does IO, keeps state or logs. The server
//! turns the refusals into API errors (`kontor-server`'s `error.rs`). The crate is kept light
//! on purpose: its decoders are fuzzed (`fuzz/`), and a fuzz build of the whole server would
//! not fit in CI.
//!
//! - [`mls_framing`]: what the delivery service can check of an MLS message without reading it.
//! - [`import`]: a CSV file of people to invite, read into lines of named fields.
//! - [`images`]: avatars and logos, by their magic bytes and the pixel size in their header.

pub mod images;
pub mod import;
pub mod mls_framing;
