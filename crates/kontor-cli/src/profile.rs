//! The saved session of the command line, in `$KONTOR_HOME/session.json` (readable only by
//! the user).

use crate::CliError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

pub fn save(explicit: Option<&PathBuf>, s: &SavedSession) -> Result<(), CliError> {
    let dir = home(explicit);
    std::fs::create_dir_all(&dir).map_err(CliError::other)?;
    let path = dir.join("session.json");
    let tmp = dir.join("session.json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options.open(&tmp).map_err(CliError::other)?;
    f.write_all(
        serde_json::to_string_pretty(s)
            .map_err(CliError::other)?
            .as_bytes(),
    )
    .map_err(CliError::other)?;
    f.sync_all().map_err(CliError::other)?;
    std::fs::rename(&tmp, &path).map_err(CliError::other)?;
    Ok(())
}

pub fn remove(explicit: Option<&PathBuf>) {
    let _ = std::fs::remove_file(home(explicit).join("session.json"));
}
