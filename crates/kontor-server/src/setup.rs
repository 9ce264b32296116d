//! First start from the web app: while the server has no organisation, whoever holds the
//! setup code may create the first one and become its owner.
//!
//! The code is made at start when no organisation exists and kept in the data directory
//! (`setup-code`, readable only by the operator). It is never logged or printed: the operator
//! reads the file. Once an organisation exists the file is deleted and the setup refused, so
//! a server reachable on a network before it was set up cannot be taken by the first visitor.

use crate::tokens;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The file in the data directory that holds the setup code.
pub fn code_path(data_dir: &Path) -> PathBuf {
    data_dir.join("setup-code")
}

/// Makes the setup code when there is no organisation yet (keeping one that exists), or
/// deletes it when there is one. Returns the file's path while setup is open.
pub fn prepare(data_dir: &Path, has_orgs: bool) -> anyhow::Result<Option<PathBuf>> {
    let path = code_path(data_dir);
    if has_orgs {
        finish(data_dir);
        return Ok(None);
    }
    if read(data_dir).is_some() {
        return Ok(Some(path));
    }
    let code = tokens::new_invitation_code();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(f, "{code}")?;
    f.sync_all()?;
    Ok(Some(path))
}

fn read(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(code_path(data_dir)).ok()?;
    tokens::normalize_invitation_code(text.trim())
}

/// Whether `typed` is the setup code (`None`: setup is not open).
pub fn check(data_dir: &Path, typed: &str) -> Option<bool> {
    let expected = read(data_dir)?;
    let Some(typed) = tokens::normalize_invitation_code(typed) else {
        return Some(false);
    };
    // Compared as hashes: equal length, no early exit on the secret itself.
    Some(
        tokens::hash(tokens::label::SETUP, &typed) == tokens::hash(tokens::label::SETUP, &expected),
    )
}

/// Closes setup: the code is deleted.
pub fn finish(data_dir: &Path) {
    let _ = std::fs::remove_file(code_path(data_dir));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_opens_setup_once_and_only_without_organisations() {
        let dir = tempfile::tempdir().unwrap();
        let path = prepare(dir.path(), false).unwrap().expect("open");
        let code = std::fs::read_to_string(&path).unwrap();
        assert_eq!(check(dir.path(), code.trim()), Some(true));
        assert_eq!(
            check(dir.path(), &code.trim().to_lowercase().replace('-', " ")),
            Some(true),
            "typed loosely"
        );
        assert_eq!(check(dir.path(), "AAAA-BBBB-CCCC-DDDD"), Some(false));
        // A restart keeps the same code.
        prepare(dir.path(), false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), code);
        assert_eq!(prepare(dir.path(), true).unwrap(), None);
        assert_eq!(check(dir.path(), code.trim()), None, "closed for good");
    }
}
