//! Kontor's command line for people and admins: every admin action is scriptable.
//!
//! Commands talk to a running server over its HTTP API with the session saved by
//! `kontor login` or `kontor join` (in `$KONTOR_HOME`, default `~/.config/kontor`). Output is
//! readable for people, or JSON with `--json`. Exit codes mean something (see [`exit`]).

pub mod chat;
pub mod chat_cmd;
pub mod client;
pub mod commands;
pub mod output;
pub mod profile;

pub use client::Client;
pub use commands::{Command, run};

use kontor_proto::error::Lang;
use kontor_proto::{ErrorBody, ErrorCode};
use std::process::ExitCode;

/// Exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    /// Anything not covered below.
    pub const FAILURE: u8 = 1;
    /// Wrong usage or configuration.
    pub const USAGE: u8 = 2;
    /// Not logged in, or the session ended.
    pub const UNAUTHENTICATED: u8 = 3;
    /// Not allowed.
    pub const FORBIDDEN: u8 = 4;
    /// Not found.
    pub const NOT_FOUND: u8 = 5;
    /// The server refused the input.
    pub const INVALID: u8 = 6;
    /// Conflicts with the current state (already exists, last owner, …).
    pub const CONFLICT: u8 = 7;
    /// Rate limited: try again later.
    pub const RATE_LIMITED: u8 = 8;
    /// The server cannot be reached or failed.
    pub const UNAVAILABLE: u8 = 9;
    /// Not sent now, but kept on this device: it goes out with the next sync. Do not send it
    /// again.
    pub const QUEUED: u8 = 10;
}

/// The language of messages: German when `LC_ALL`, `LC_MESSAGES` or `LANG` says so.
pub fn lang() -> Lang {
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return if v.starts_with("de") {
                Lang::De
            } else {
                Lang::En
            };
        }
    }
    Lang::En
}

/// A failed command: an exit code and what to tell the person.
#[derive(Debug)]
pub struct CliError {
    pub exit_code: u8,
    pub message: String,
    pub body: Option<ErrorBody>,
}

impl CliError {
    pub fn usage(e: impl std::fmt::Display) -> Self {
        CliError {
            exit_code: exit::USAGE,
            message: e.to_string(),
            body: None,
        }
    }
    pub fn other(e: impl std::fmt::Display) -> Self {
        CliError {
            exit_code: exit::FAILURE,
            message: format!("{e:#}"),
            body: None,
        }
    }
    pub fn unavailable(e: impl std::fmt::Display) -> Self {
        CliError {
            exit_code: exit::UNAVAILABLE,
            message: e.to_string(),
            body: None,
        }
    }
    /// An error answer of the API.
    pub fn api(body: ErrorBody) -> Self {
        let code = body.error.code;
        let exit_code = match code {
            ErrorCode::Unauthenticated
            | ErrorCode::InvalidCredentials
            | ErrorCode::AccountDisabled => exit::UNAUTHENTICATED,
            ErrorCode::Forbidden => exit::FORBIDDEN,
            ErrorCode::NotFound => exit::NOT_FOUND,
            ErrorCode::AlreadyExists
            | ErrorCode::Conflict
            | ErrorCode::LastOwner
            | ErrorCode::TeamHasChildren => exit::CONFLICT,
            ErrorCode::RateLimited => exit::RATE_LIMITED,
            ErrorCode::Internal | ErrorCode::Unavailable => exit::UNAVAILABLE,
            _ => exit::INVALID,
        };
        let mut message = format!("{} [{}]", body.error.message, code);
        if let Some(field) = &body.error.field {
            message.push_str(&format!(" ({field})"));
        }
        if let Some(secs) = body.error.retry_after_secs {
            message.push_str(&format!(" retry after {secs}s"));
        }
        CliError {
            exit_code,
            message,
            body: Some(body),
        }
    }
}

/// Prints an error to stderr and turns it into the exit code.
pub fn report(e: CliError) -> ExitCode {
    let prefix = match lang() {
        Lang::De => "Fehler",
        Lang::En => "error",
    };
    eprintln!("{prefix}: {}", e.message);
    ExitCode::from(e.exit_code)
}
