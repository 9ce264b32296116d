//! The two database backends. Only what really differs lives here.

use async_trait::async_trait;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::time::Duration;

/// What differs between SQLite and PostgreSQL.
#[async_trait]
pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;
    /// The column type for binary data in migrations.
    fn blob_type(&self) -> &'static str;
    /// Opens a read pool and a write pool (which may be the same pool).
    async fn connect(&self, url: &str) -> anyhow::Result<(AnyPool, AnyPool)>;
}

/// Embedded SQLite in WAL mode.
///
/// Durability: `synchronous=FULL` makes every committed transaction durable across power loss
/// (the WAL is fsynced at each commit), at the cost of one fsync per write transaction, which
/// is cheap next to the work of a request. `NORMAL` would only be safe against process crashes.
/// Writes go through a single connection (SQLite has one writer anyway), so write transactions
/// never fail with `SQLITE_BUSY` inside this process; reads use a pool and never block writes.
#[derive(Debug)]
pub struct Sqlite;

#[async_trait]
impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn blob_type(&self) -> &'static str {
        "BLOB"
    }
    async fn connect(&self, url: &str) -> anyhow::Result<(AnyPool, AnyPool)> {
        private_database_file(url)?;
        let url = if url.contains('?') {
            url.to_owned()
        } else {
            format!("{url}?mode=rwc")
        };
        let setup = |opts: AnyPoolOptions| {
            opts.after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                         PRAGMA temp_store = MEMORY; \
                         PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .acquire_timeout(Duration::from_secs(30))
        };
        let write = setup(AnyPoolOptions::new().max_connections(1).min_connections(1))
            .connect(&url)
            .await?;
        let read = setup(AnyPoolOptions::new().max_connections(8))
            .connect(&url)
            .await?;
        Ok((read, write))
    }
}

/// Creates a missing SQLite database file readable only by this user (0600): SQLite gives the
/// `-wal` and `-shm` files the database file's mode. An existing file that others can read is
/// reported, not changed (an operator may have reasons).
fn private_database_file(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if std::fs::metadata(path)?.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(
                        path,
                        "the database file can be read by other users of this machine: chmod 600 it (and its -wal and -shm files)"
                    );
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// PostgreSQL, for scale-out.
#[derive(Debug)]
pub struct Postgres;

#[async_trait]
impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn blob_type(&self) -> &'static str {
        "BYTEA"
    }
    async fn connect(&self, url: &str) -> anyhow::Result<(AnyPool, AnyPool)> {
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok((pool.clone(), pool))
    }
}
