//! Persistence.
//!
//! ```text
//!   handlers ──► Store (domain operations, one transaction each, portable SQL)
//!                  │ read pool            │ write pool
//!                  ▼                      ▼
//!              Backend: Sqlite (WAL, one writer) | Postgres (one shared pool)
//! ```
//!
//! Every operation is written once, in SQL that both SQLite and PostgreSQL accept (numbered
//! `$n` placeholders, `BIGINT`/`TEXT` columns, `ON CONFLICT`, `RETURNING`), and runs through
//! sqlx's `Any` driver. What differs between the two databases lives behind the [`Backend`]
//! trait: connecting, per-connection settings, the binary column type in migrations and the
//! pool layout. One conformance suite (`store_conformance` among the `kontor` crate's
//! scenarios) runs every operation on both backends.
//!
//! Every query that reads or writes an organisation's data is filtered by its `org_id`: that
//! column is how tenants are kept apart, and the API layer takes the organisation from the
//! authenticated caller, never from the request.

mod accounts;
mod audit;
mod backend;
mod checkpoints;
mod conversations;
mod events;
mod identity;
mod limits;
mod orgs;
mod people;
mod teams;

pub use accounts::{Acceptance, AuthRecord, Credentials, FirstStart, LoginIds, NewSession};
pub use audit::AuditFilter;
pub use backend::{Backend, Postgres, Sqlite};
pub use checkpoints::Voided;
pub use conversations::SendOutcome;
pub use events::Audience;
pub use identity::{ClaimLimits, NewDeviceList, StoredIdentity, StoredLinkRequest};
pub use limits::FailureLimit;
pub use orgs::{NewInvitation, OrgChange};
pub use teams::{NewTeam, TeamChange};

use kontor_proto::ErrorCode;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// An open transaction on the write pool.
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Errors of store operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The object does not exist in the caller's organisation.
    #[error("not found")]
    NotFound,
    /// A domain rule refused the change; the code says which.
    #[error("refused: {0}")]
    Refused(ErrorCode, Option<&'static str>),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Stored data could not be read back (a bug or a corrupted database).
    #[error("corrupt data in column {0}")]
    Corrupt(&'static str),
}

impl StoreError {
    pub(crate) fn refused(code: ErrorCode) -> Self {
        StoreError::Refused(code, None)
    }
    pub(crate) fn refused_field(code: ErrorCode, field: &'static str) -> Self {
        StoreError::Refused(code, Some(field))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Who did something and from where, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct AuditCtx {
    /// The acting person; `None` for the server operator (CLI on the data directory, or the
    /// operator token).
    pub actor: Option<kontor_proto::PersonId>,
    pub address: Option<String>,
    pub now: i64,
}

/// The store: domain operations over one of the two backends.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend_name: &'static str,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name)
            .finish()
    }
}

impl Store {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`) and migrates it.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_with(&Postgres, url).await
        } else if url.starts_with("sqlite:") {
            Self::open_with(&Sqlite, url).await
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite:// or postgres://)")
        }
    }

    async fn open_with(backend: &dyn Backend, url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let (read, write) = backend.connect(url).await?;
        let store = Store {
            read,
            write,
            backend_name: backend.name(),
        };
        store.migrate(backend).await?;
        store.fill_name_skeletons().await?;
        Ok(store)
    }

    /// The backend's name, `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.backend_name
    }

    /// Applies the migrations that have not run yet, each in its own transaction.
    async fn migrate(&self, backend: &dyn Backend) -> anyhow::Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.write)
        .await?;
        for (version, sql) in MIGRATIONS {
            let mut tx = self.write.begin().await?;
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            let sql = sql.replace("{BLOB}", backend.blob_type());
            for statement in split_statements(&sql) {
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(crate::clock::system_now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, "applied database migration");
        }
        Ok(())
    }

    /// Computes the name skeletons that rows from before migration 4 lack.
    async fn fill_name_skeletons(&self) -> anyhow::Result<()> {
        let rows: Vec<(String, String)> =
            sqlx::query("SELECT id, display_name FROM people WHERE name_skeleton = ''")
                .fetch_all(&self.write)
                .await?
                .iter()
                .map(|r| Ok((col_str(r, "id")?, col_str(r, "display_name")?)))
                .collect::<StoreResult<_>>()?;
        for (id, name) in rows {
            sqlx::query("UPDATE people SET name_skeleton = $2 WHERE id = $1")
                .bind(id)
                .bind(crate::search::skeleton(&name))
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        Ok(self.write.begin().await?)
    }

    /// Begins a write transaction on one organisation by locking its row first. Every write to
    /// an organisation takes its locks in this order, so writers never deadlock on PostgreSQL,
    /// and domain checks inside the transaction (the last owner, team cycles) see a state that
    /// no concurrent writer of the same organisation can change. SQLite has one writer anyway.
    pub(crate) async fn begin_org(&self, org: kontor_proto::OrgId) -> StoreResult<Tx> {
        let mut tx = self.begin().await?;
        let locked = sqlx::query("UPDATE orgs SET event_seq = event_seq WHERE id = $1")
            .bind(org.to_string())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(tx)
    }
}

/// The migrations, in order. Never edit one that has shipped; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_foundation.sql")),
    (2, include_str!("migrations/0002_conversations.sql")),
    (3, include_str!("migrations/0003_web.sql")),
    (4, include_str!("migrations/0004_hardening.sql")),
    (6, include_str!("migrations/0006_group_state.sql")),
    (7, include_str!("migrations/0007_limits.sql")),
    (8, include_str!("migrations/0008_storage_share.sql")),
    (9, include_str!("migrations/0009_void.sql")),
    (10, include_str!("migrations/0010_directory_in_memory.sql")),
    (11, include_str!("migrations/0011_people.sql")),
    (12, include_str!("migrations/0012_status_since.sql")),
    (13, include_str!("migrations/0013_app_name.sql")),
];

/// Splits a migration into statements, dropping `--` comment lines (which may contain `;`).
fn split_statements(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

// --- row helpers ------------------------------------------------------------------------------

pub(crate) fn col_str(row: &AnyRow, col: &'static str) -> StoreResult<String> {
    row.try_get::<String, _>(col)
        .map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn col_opt_str(row: &AnyRow, col: &'static str) -> StoreResult<Option<String>> {
    row.try_get::<Option<String>, _>(col)
        .map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn col_i64(row: &AnyRow, col: &'static str) -> StoreResult<i64> {
    row.try_get::<i64, _>(col)
        .map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn col_opt_i64(row: &AnyRow, col: &'static str) -> StoreResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(col)
        .map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn col_parse<T: std::str::FromStr>(row: &AnyRow, col: &'static str) -> StoreResult<T> {
    col_str(row, col)?
        .parse()
        .map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn col_opt_parse<T: std::str::FromStr>(
    row: &AnyRow,
    col: &'static str,
) -> StoreResult<Option<T>> {
    match col_opt_str(row, col)? {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| StoreError::Corrupt(col)),
    }
}

pub(crate) fn col_json<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    col: &'static str,
) -> StoreResult<T> {
    serde_json::from_str(&col_str(row, col)?).map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising our own plain data types cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `$from, $from+1, …` for `IN (…)` lists of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
