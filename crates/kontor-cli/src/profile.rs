//! The saved session of the command line, in `$KONTOR_HOME/session.json`, and the
//! credentials of the devices it logged in with, in `$KONTOR_HOME/known-devices.json`
//! (kept after logging out, so that the next login is a known device's). Everything under
//! `$KONTOR_HOME` is readable only by the user: files 0600 in folders 0700.

use crate::CliError;
use kontor_proto::api::{KnownDevice, SessionCreated};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What `kontor login` saves.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedSession {
    pub server: String,
    pub token: String,
    pub org: String,
    pub email: String,
    pub device_id: String,
}

/// The directory of the saved session.
pub fn home(explicit: Option<&PathBuf>) -> PathBuf {
    if let Some(p) = explicit {
        return p.clone();
    }
    if let Ok(p) = std::env::var("KONTOR_HOME") {
        return PathBuf::from(p);
    }
    match std::env::var("HOME") {
        Ok(h) => PathBuf::from(h).join(".config").join("kontor"),
        Err(_) => PathBuf::from(".kontor"),
    }
}

pub fn load(explicit: Option<&PathBuf>) -> Result<SavedSession, CliError> {
    let path = home(explicit).join("session.json");
    let text = std::fs::read_to_string(&path).map_err(|_| CliError {
        exit_code: crate::exit::UNAUTHENTICATED,
        message: match crate::lang() {
            kontor_proto::error::Lang::De => {
                "Nicht angemeldet: zuerst `kontor login` oder `kontor join`.".to_owned()
            }
            kontor_proto::error::Lang::En => {
                "Not logged in: run `kontor login` or `kontor join` first.".to_owned()
            }
        },
        body: None,
    })?;
    serde_json::from_str(&text).map_err(|e| CliError::other(format!("{}: {e}", path.display())))
}

/// Creates a folder of Kontor's (and its parents) readable only by the user, and makes an
/// existing one so.
pub fn private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir).map_err(CliError::other)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(CliError::other)?;
    }
    #[cfg(not(unix))]
    builder.create(dir).map_err(CliError::other)?;
    Ok(())
}

pub fn save(explicit: Option<&PathBuf>, s: &SavedSession) -> Result<(), CliError> {
    write_private(
        &home(explicit),
        "session.json",
        &serde_json::to_string_pretty(s).map_err(CliError::other)?,
    )
}

/// Writes a file of Kontor's atomically, readable only by the user.
fn write_private(dir: &Path, name: &str, text: &str) -> Result<(), CliError> {
    private_dir(dir)?;
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options.open(&tmp).map_err(CliError::other)?;
    f.write_all(text.as_bytes()).map_err(CliError::other)?;
    f.sync_all().map_err(CliError::other)?;
    std::fs::rename(&tmp, &path).map_err(CliError::other)?;
    Ok(())
}

pub fn remove(explicit: Option<&PathBuf>) {
    let _ = std::fs::remove_file(home(explicit).join("session.json"));
}

/// Which account a device credential belongs to.
fn account_key(server: &str, org: &str, email: &str) -> String {
    format!(
        "{} {} {}",
        server.trim_end_matches('/'),
        org.to_lowercase(),
        email.trim().to_lowercase()
    )
}

type KnownDevices = std::collections::BTreeMap<String, KnownDevice>;

fn known_devices(explicit: Option<&PathBuf>) -> KnownDevices {
    std::fs::read_to_string(home(explicit).join("known-devices.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The credential of the device this home last logged in to the account with, if any.
pub fn known_device(
    explicit: Option<&PathBuf>,
    server: &str,
    org: &str,
    email: &str,
) -> Option<KnownDevice> {
    known_devices(explicit).remove(&account_key(server, org, email))
}

/// Keeps the credential of the device a login or join made, for the next login.
pub fn remember_device(
    explicit: Option<&PathBuf>,
    server: &str,
    created: &SessionCreated,
) -> Result<(), CliError> {
    let mut all = known_devices(explicit);
    all.insert(
        account_key(server, &created.org.slug, &created.person.email),
        KnownDevice {
            device_id: created.device.id,
            secret: created.device_secret.clone(),
        },
    );
    write_private(
        &home(explicit),
        "known-devices.json",
        &serde_json::to_string_pretty(&all).map_err(CliError::other)?,
    )
}
