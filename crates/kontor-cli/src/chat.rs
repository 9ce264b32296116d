//! The command line's host around the client device (`kontor_client::Device`): it carries
//! requests over reqwest and commits the core's changes to the device's SQLite store. How
//! operations are sequenced with the server — persist before sending, retries, catching up —
//! lives in the device, shared with the browser.
//!
//! Each device keeps its state in `$KONTOR_HOME/devices/<device id>.sqlite`.

use crate::profile::{self, SavedSession};
use crate::{CliError, Client as Api};
use kontor_client::device::{Answer, Host, Method};
use kontor_client::store::SqliteStore;
use kontor_client::{Changes, ClientError, DeviceError, KvStore};
use std::path::PathBuf;

/// The command line's side of a device: the server's API and the device's store.
#[derive(Debug)]
pub struct CliHost {
    pub api: Api,
    store: SqliteStore,
}

impl Host for CliHost {
    async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Answer, String> {
        self.api.raw(method, path, body).await
    }

    async fn commit(&mut self, changes: Changes) -> Result<(), String> {
        self.store.commit(&changes)
    }

    async fn sleep(&mut self, ms: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }

    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn report(&mut self, note: &str) {
        eprintln!("{note}");
    }
}

/// A logged-in device: the saved session (login) and the client device.
#[derive(Debug)]
pub struct Device {
    pub saved: SavedSession,
    inner: kontor_client::Device<CliHost>,
}

impl std::ops::Deref for Device {
    type Target = kontor_client::Device<CliHost>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Device {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

fn core_err(e: ClientError) -> CliError {
    let exit_code = match e {
        ClientError::UntrustedDevice { .. }
        | ClientError::IdentityChanged(_)
        | ClientError::BadSignature(_)
        | ClientError::Stopped(_)
        | ClientError::Rejoining => crate::exit::CONFLICT,
        ClientError::UnknownConversation | ClientError::NotAMember => crate::exit::NOT_FOUND,
        ClientError::BadRecoveryKey | ClientError::WrongLinkCode | ClientError::Invalid(_) => {
            crate::exit::INVALID
        }
        ClientError::NoIdentity => crate::exit::USAGE,
        _ => crate::exit::FAILURE,
    };
    let de = crate::lang() == kontor_proto::error::Lang::De;
    let message = match (&e, de) {
        (ClientError::Stopped(_), false) => {
            "this conversation is stopped on this device; `kontor chat read` says why and what to do".to_owned()
        }
        (ClientError::Stopped(_), true) => {
            "diese Unterhaltung ist auf diesem Gerät angehalten; `kontor chat read` sagt, warum und was zu tun ist".to_owned()
        }
        (ClientError::Rejoining | ClientError::OutOfStep, false) => {
            "this device is being added to the conversation again; it goes on as soon as a member is online".to_owned()
        }
        (ClientError::Rejoining | ClientError::OutOfStep, true) => {
            "dieses Gerät wird der Unterhaltung gerade neu hinzugefügt; sobald ein Mitglied online ist, geht es weiter".to_owned()
        }
        _ => e.to_string(),
    };
    CliError {
        exit_code,
        message,
        body: None,
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        core_err(e)
    }
}

impl From<DeviceError> for CliError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Api(body) => CliError::api(body),
            DeviceError::Unreachable(why) => {
                CliError::unavailable(format!("cannot reach the server ({why})"))
            }
            DeviceError::Core(e) => core_err(e),
            DeviceError::NotLinked => CliError::usage(
                "this device is not linked yet: run `kontor device link` (and approve it on another device) or `kontor device link --recovery-key …` / dieses Gerät ist noch nicht verknüpft",
            ),
            DeviceError::Queued(why) => {
                let why = CliError::from(*why);
                CliError {
                    exit_code: crate::exit::QUEUED,
                    message: format!(
                        "not sent yet: it waits on this device and goes out with the next `kontor chat sync` ({}) / noch nicht gesendet: wartet auf diesem Gerät und geht mit dem nächsten Abgleich hinaus",
                        why.message
                    ),
                    // The server's answer (with its retry time) stays for `--json`.
                    body: why.body,
                }
            }
            other => CliError::other(other),
        }
    }
}

fn state_path(home: Option<&PathBuf>, device: &str) -> PathBuf {
    profile::home(home)
        .join("devices")
        .join(format!("{device}.sqlite"))
}

impl Device {
    /// Opens the device of the saved session, setting it up on first use: pins the
    /// organisation key, makes the person's identity on their first device (the recovery key
    /// is in `new_recovery_key`), and keeps key packages in stock.
    pub async fn open(home: Option<&PathBuf>) -> Result<Device, CliError> {
        let saved = profile::load(home)?;
        let api = Api::new(&saved.server, Some(saved.token.clone()));
        let path = state_path(home, &saved.device_id);
        if let Some(dir) = path.parent() {
            profile::private_dir(dir)?;
        }
        let store = SqliteStore::open(&path).map_err(CliError::other)?;
        let entries = store.load().map_err(CliError::other)?;
        let inner = kontor_client::Device::open(CliHost { api, store }, entries).await?;
        Ok(Device { saved, inner })
    }

    /// The server's API with this session's token.
    pub fn api(&self) -> &Api {
        &self.inner.host.api
    }
}

/// Milliseconds since the Unix epoch (the host's clock; the core never reads one).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
