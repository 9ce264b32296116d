//! The Kontor server: HTTP and WebSocket API, authentication, organisations, the company
//! directory and storage.
//!
//! ```text
//!  request ─► metrics ─► localize ─► shape_errors ─► catch_panic ─► router (api/*)
//!                                                                     │ extract ► access
//!                                                                     ▼
//!                                        actions ► Store (one transaction each)
//!                                                     │ events + audit in the same tx
//!                                                     ▼ Effects, after commit
//!                            effects::apply ─► Hub (wakes, frames, closes) + delivery follow-ups
//! ```
//!
//! See `ARCHITECTURE.md` at the repository root for the map and the invariants.

pub mod access;
pub mod actions;
pub mod api;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod directory_index;
pub mod effects;
pub mod error;
pub mod external_sender;
pub mod extract;
pub mod hub;
pub mod listener;
pub mod lockout;
pub mod metrics;
pub mod org_keys;
pub mod password;
pub mod ratelimit;
pub mod search;
pub mod server;
pub mod setup;
pub mod state;
pub mod store;
pub mod tokens;
pub mod validate;
pub mod web;

pub use api::{app, openapi};
pub use state::AppState;
