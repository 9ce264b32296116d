//! Configuration: command-line flags, then environment variables, then a TOML file, then
//! defaults. `kontor config example` prints the file format, generated from [`FileConfig`].

use crate::password::HashCost;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Flags of `kontor serve` (and of the commands that work on the data directory).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConfigArgs {
    /// A TOML configuration file (see `kontor config example`).
    #[arg(long, env = "KONTOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// The data directory (database, operator token). Default: ./kontor-data
    #[arg(long, env = "KONTOR_DATA")]
    pub data: Option<PathBuf>,
    /// The address to listen on. Default: 127.0.0.1:8080
    #[arg(long, env = "KONTOR_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The database: `postgres://…` for PostgreSQL. Default: SQLite in the data directory.
    #[arg(long, env = "KONTOR_DATABASE")]
    pub database: Option<String>,
    /// The address people reach Kontor at, for invitation links. Default: `http://` and the listen address
    #[arg(long, env = "KONTOR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The built web app to serve. Default: ./web/dist
    #[arg(long, env = "KONTOR_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
}

/// The configuration file. Every field is optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The data directory (database, operator token).
    pub data: Option<PathBuf>,
    /// The address to listen on, e.g. "127.0.0.1:8080".
    pub listen: Option<SocketAddr>,
    /// "postgres://user@host/db" for PostgreSQL; empty for SQLite in the data directory.
    pub database: Option<String>,
    /// The address people reach Kontor at, for example `https://chat.example.org`.
    pub public_url: Option<String>,
    /// The built web app (`web/dist` after `./run.sh`).
    pub web_dir: Option<PathBuf>,
    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you run).
    pub trust_forwarded_for: Option<bool>,
    /// Days until a session expires.
    pub session_ttl_days: Option<u32>,
    /// Days that events are kept for clients that were offline.
    pub event_retention_days: Option<u32>,
    /// argon2id memory in KiB (default 19456).
    pub argon2_memory_kib: Option<u32>,
    /// argon2id passes (default 2).
    pub argon2_iterations: Option<u32>,
    /// "text" (default) or "json" log lines.
    pub log_format: Option<String>,
    /// Serve Prometheus metrics at `/metrics` to requests with `Authorization: Bearer <this>`
    /// (also `KONTOR_METRICS_TOKEN`); unset: `/metrics` is off.
    pub metrics_token: Option<String>,
    /// Limits against abuse (`[limits]`); every field is optional.
    pub limits: Option<LimitsFile>,
}

/// `[limits]` in the configuration file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// Seconds a connection may take to send a request's headers; also how long an idle
    /// keep-alive connection stays open.
    pub header_timeout_secs: Option<u64>,
    /// Seconds a request may take to send its body.
    pub body_timeout_secs: Option<u64>,
    /// Open connections per client address (not applied behind a trusted reverse proxy,
    /// where every connection comes from the proxy).
    pub connections_per_address: Option<usize>,
    /// Open connections in total.
    pub connections_total: Option<usize>,
    /// Live event sockets per device; past it the oldest is closed.
    pub sockets_per_device: Option<usize>,
    /// Live event sockets per person, over all their devices.
    pub sockets_per_person: Option<usize>,
    /// Conversation messages one device may send per minute.
    pub messages_per_minute: Option<u32>,
    /// MiB of conversation messages one device may send per minute.
    pub message_mib_per_minute: Option<u32>,
    /// Key packages one device may claim per hour (each names one device of someone else).
    pub key_package_claims_per_hour: Option<u32>,
    /// The most storage an organisation's admins may give it, in MiB; its own quota is a
    /// policy up to this.
    pub storage_per_org_mib: Option<u64>,
}

impl FileConfig {
    /// The example configuration, with every default filled in.
    pub fn example() -> String {
        let c = FileConfig {
            data: Some(PathBuf::from("./kontor-data")),
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            database: Some(String::new()),
            public_url: Some("http://127.0.0.1:8080".to_owned()),
            web_dir: Some(PathBuf::from("./web/dist")),
            trust_forwarded_for: Some(false),
            session_ttl_days: Some(30),
            event_retention_days: Some(30),
            argon2_memory_kib: Some(HashCost::default().memory_kib),
            argon2_iterations: Some(HashCost::default().iterations),
            log_format: Some("text".to_owned()),
            metrics_token: Some(String::new()),
            limits: Some(Limits::default().to_file()),
        };
        toml::to_string(&c).unwrap_or_default()
    }
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database_url: String,
    pub public_url: String,
    pub web_dir: PathBuf,
    pub trust_forwarded_for: bool,
    pub session_ttl_days: u32,
    pub event_retention_days: u32,
    pub hash_cost: HashCost,
    pub log_json: bool,
    /// The bearer token `/metrics` needs; `None`: metrics are off.
    pub metrics_token: Option<String>,
    pub limits: Limits,
}

/// Limits against abuse, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: std::time::Duration,
    pub body_timeout: std::time::Duration,
    pub connections_per_address: usize,
    pub connections_total: usize,
    pub sockets: crate::hub::SocketCaps,
    pub messages_per_minute: u32,
    pub message_bytes_per_minute: u64,
    pub key_package_claims_per_hour: u32,
    pub storage_per_org_bytes: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(60),
            connections_per_address: 512,
            connections_total: 20_000,
            sockets: crate::hub::SocketCaps::default(),
            messages_per_minute: 600,
            message_bytes_per_minute: 64 * MIB,
            key_package_claims_per_hour: 2_000,
            storage_per_org_bytes: 100 * 1024 * MIB,
        }
    }
}

impl Limits {
    fn resolve(file: Option<LimitsFile>) -> Limits {
        let d = Limits::default();
        let f = file.unwrap_or_default();
        let secs = |v: Option<u64>, d: std::time::Duration| {
            v.map_or(d, |s| std::time::Duration::from_secs(s.clamp(1, 3600)))
        };
        Limits {
            header_timeout: secs(f.header_timeout_secs, d.header_timeout),
            body_timeout: secs(f.body_timeout_secs, d.body_timeout),
            connections_per_address: f
                .connections_per_address
                .unwrap_or(d.connections_per_address)
                .max(1),
            connections_total: f.connections_total.unwrap_or(d.connections_total).max(1),
            sockets: crate::hub::SocketCaps {
                per_device: f.sockets_per_device.unwrap_or(d.sockets.per_device).max(1),
                per_person: f.sockets_per_person.unwrap_or(d.sockets.per_person).max(1),
            },
            messages_per_minute: f
                .messages_per_minute
                .unwrap_or(d.messages_per_minute)
                .max(1),
            message_bytes_per_minute: f
                .message_mib_per_minute
                .map_or(d.message_bytes_per_minute, |m| u64::from(m.max(1)) * MIB),
            key_package_claims_per_hour: f
                .key_package_claims_per_hour
                .unwrap_or(d.key_package_claims_per_hour)
                .max(1),
            storage_per_org_bytes: f
                .storage_per_org_mib
                .map_or(d.storage_per_org_bytes, |m| m.max(1).saturating_mul(MIB)),
        }
    }

    fn to_file(self) -> LimitsFile {
        LimitsFile {
            header_timeout_secs: Some(self.header_timeout.as_secs()),
            body_timeout_secs: Some(self.body_timeout.as_secs()),
            connections_per_address: Some(self.connections_per_address),
            connections_total: Some(self.connections_total),
            sockets_per_device: Some(self.sockets.per_device),
            sockets_per_person: Some(self.sockets.per_person),
            messages_per_minute: Some(self.messages_per_minute),
            message_mib_per_minute: Some((self.message_bytes_per_minute / MIB) as u32),
            key_package_claims_per_hour: Some(self.key_package_claims_per_hour),
            storage_per_org_mib: Some(self.storage_per_org_bytes / MIB),
        }
    }
}

impl Config {
    /// Resolves flags and environment (already in `args`), the file and the defaults.
    pub fn resolve(args: &ConfigArgs) -> anyhow::Result<Config> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("invalid configuration in {}: {e}", path.display())
                })?
            }
            None => FileConfig::default(),
        };
        let data_dir = args
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("./kontor-data"));
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let database_url = args
            .database
            .clone()
            .or(file.database)
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| sqlite_url(&data_dir));
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        let web_dir = args
            .web_dir
            .clone()
            .or(file.web_dir)
            .unwrap_or_else(|| PathBuf::from("./web/dist"));
        let defaults = HashCost::default();
        Ok(Config {
            data_dir,
            listen,
            database_url,
            public_url,
            web_dir,
            trust_forwarded_for: file.trust_forwarded_for.unwrap_or(false),
            session_ttl_days: file.session_ttl_days.unwrap_or(30).clamp(1, 365),
            event_retention_days: file.event_retention_days.unwrap_or(30).clamp(1, 3650),
            hash_cost: HashCost {
                memory_kib: file.argon2_memory_kib.unwrap_or(defaults.memory_kib),
                iterations: file.argon2_iterations.unwrap_or(defaults.iterations),
            },
            log_json: file.log_format.as_deref() == Some("json"),
            metrics_token: std::env::var("KONTOR_METRICS_TOKEN")
                .ok()
                .or(file.metrics_token)
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            limits: Limits::resolve(file.limits),
        })
    }

    /// A configuration for tests: a data directory, an ephemeral port, cheap hashing.
    pub fn for_tests(data_dir: &Path, database_url: Option<String>) -> Config {
        Config {
            data_dir: data_dir.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.unwrap_or_else(|| sqlite_url(data_dir)),
            public_url: "http://127.0.0.1:8080".to_owned(),
            web_dir: data_dir.join("no-web-app"),
            trust_forwarded_for: false,
            session_ttl_days: 30,
            event_retention_days: 30,
            hash_cost: HashCost {
                memory_kib: 64,
                iterations: 1,
            },
            log_json: false,
            metrics_token: None,
            limits: Limits::default(),
        }
    }
}

/// The SQLite database inside a data directory.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("kontor.db").display())
}
