//! The Kontor client core: one device's keys, trust decisions, MLS groups (openmls, RFC 9420,
//! ciphersuite 0x0001) and history.
//!
//! It is sans-IO ([`Client`]): the host (the CLI, a bot, a test, the browser through
//! wasm-bindgen) fetches from the server, hands the responses in, sends the request bodies the
//! core returns, and persists [`Client::take_changes`] in one transaction per operation. The
//! same core therefore runs natively and on `wasm32-unknown-unknown`.
//!
//! Trust never comes from the server alone: a device enters or is accepted in a group only if
//! its person's identity key signed it into their device list, and that identity key is
//! vouched for by the organisation key pinned at first login (see [`trust`]).

mod autolink;
pub mod client;
pub mod device;
pub mod error;
pub mod history;
pub mod identity;
pub mod markdown;
pub mod mls;
pub mod search;
pub mod store;
pub mod trust;
pub mod view;

pub use client::{Client, Update, verify_transcript};
pub use device::{Device, DeviceError, ErrorKind, Host};
pub use error::{ClientError, Result};
pub use history::{ChatMessage, ConversationState};
pub use identity::RecoveryKey;
pub use search::{SearchHit, SearchResults};
pub use store::{Changes, Entries, KvStore, MemoryStore};
