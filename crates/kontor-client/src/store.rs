//! Where a device keeps its state: a key-value store the host commits to in transactions.
//!
//! The core hands out [`Changes`] after every operation ([`crate::Client::take_changes`]); the
//! host writes them atomically before it sends anything, so a crash never leaves a sent commit
//! without its group state. Natively that is SQLite ([`SqliteStore`]); in the browser the host
//! writes the same entries into one IndexedDB transaction.

/// Every stored entry: key → value.
pub type Entries = Vec<(String, Vec<u8>)>;
/// What changed: key → new value, or `None` when deleted.
pub type Changes = Vec<(String, Option<Vec<u8>>)>;

/// A device's persistent key-value store.
pub trait KvStore {
    /// Every entry.
    fn load(&self) -> Result<Entries, String>;
    /// Applies all changes in one transaction: all or nothing.
    fn commit(&mut self, changes: &Changes) -> Result<(), String>;
}

/// A store in memory (tests, bots that keep nothing).
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub entries: std::collections::BTreeMap<String, Vec<u8>>,
}

impl KvStore for MemoryStore {
    fn load(&self) -> Result<Entries, String> {
        Ok(self
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
    fn commit(&mut self, changes: &Changes) -> Result<(), String> {
        for (k, v) in changes {
            match v {
                Some(v) => self.entries.insert(k.clone(), v.clone()),
                None => self.entries.remove(k),
            };
        }
        Ok(())
    }
}

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use rusqlite::{Connection, params};

    /// A device's state in one SQLite file (WAL, synchronous=FULL: a committed change
    /// survives power loss), readable only by the user (0600; SQLite gives the `-wal` and
    /// `-shm` files the database file's mode).
    ///
    /// What a change replaces or deletes is really gone from the files: `secure_delete`
    /// overwrites freed content with zeros, and every commit is checkpointed into the database
    /// and the WAL truncated, so neither free pages nor old WAL frames keep an old value (a
    /// recovery key that was "cleared", an MLS epoch secret that forward secrecy retired).
    #[derive(Debug)]
    pub struct SqliteStore {
        conn: Connection,
    }

    /// Creates the file 0600 if it is missing, and makes it and its companions so if not.
    fn private_file(path: &std::path::Path) -> Result<(), String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| e.to_string())?;
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                if let Ok(meta) = std::fs::metadata(&p)
                    && meta.permissions().mode() & 0o077 != 0
                {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = path;
        Ok(())
    }

    impl SqliteStore {
        pub fn open(path: &std::path::Path) -> Result<Self, String> {
            private_file(path)?;
            let conn = Connection::open(path).map_err(|e| e.to_string())?;
            conn.execute_batch(
                "PRAGMA secure_delete=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                 CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL);",
            )
            .map_err(|e| e.to_string())?;
            let mut store = SqliteStore { conn };
            // Whatever an earlier version left in free pages or the WAL goes now.
            store.scrub()?;
            Ok(store)
        }

        /// Copies the WAL into the database and truncates it (with `secure_delete`, freed
        /// space is zeroed on the way).
        fn scrub(&mut self) -> Result<(), String> {
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|e| e.to_string())
        }
    }

    impl KvStore for SqliteStore {
        fn load(&self) -> Result<Entries, String> {
            let mut stmt = self
                .conn
                .prepare("SELECT k, v FROM kv")
                .map_err(|e| e.to_string())?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .map_err(|e| e.to_string())?;
            rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
        }

        fn commit(&mut self, changes: &Changes) -> Result<(), String> {
            if changes.is_empty() {
                return Ok(());
            }
            let tx = self.conn.transaction().map_err(|e| e.to_string())?;
            for (k, v) in changes {
                match v {
                    Some(v) => tx.execute(
                        "INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = ?2",
                        params![k, v],
                    ),
                    None => tx.execute("DELETE FROM kv WHERE k = ?1", params![k]),
                }
                .map_err(|e| e.to_string())?;
            }
            tx.commit().map_err(|e| e.to_string())?;
            self.scrub()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(store: &mut dyn KvStore) {
        store
            .commit(&vec![
                ("a".into(), Some(vec![1])),
                ("b".into(), Some(vec![2])),
            ])
            .unwrap();
        store
            .commit(&vec![("a".into(), None), ("b".into(), Some(vec![3]))])
            .unwrap();
        assert_eq!(store.load().unwrap(), vec![("b".to_string(), vec![3])]);
    }

    #[test]
    fn memory_store_applies_changes() {
        round_trip(&mut MemoryStore::default());
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn an_overwritten_or_deleted_value_is_gone_from_the_files() {
        let dir = std::env::temp_dir().join(format!("kontor-kv-erase-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("device.sqlite");
        let secret = b"RECOVERY-KEY-CANARY-7Q2W-9ZXC".to_vec();
        let mut store = SqliteStore::open(&path).unwrap();
        let mut big = secret.clone();
        big.extend(std::iter::repeat_n(b'x', 9000)); // spills into overflow pages
        store
            .commit(&vec![
                ("me".into(), Some(secret.clone())),
                ("big".into(), Some(big)),
            ])
            .unwrap();
        store
            .commit(&vec![
                ("me".into(), Some(b"no key any more".to_vec())),
                ("big".into(), None),
            ])
            .unwrap();
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            if bytes.windows(secret.len()).any(|w| w == secret) {
                found.push(p);
            }
        }
        assert!(found.is_empty(), "the old value is still in {found:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_store_applies_changes() {
        let dir = std::env::temp_dir().join(format!("kontor-kv-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        round_trip(&mut SqliteStore::open(&dir).unwrap());
        let _ = std::fs::remove_file(&dir);
    }
}
