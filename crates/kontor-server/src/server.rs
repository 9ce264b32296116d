//! Running the server: data directory, operator token, listener, workers, graceful shutdown.

use crate::clock::{Clock, DAY_MS, SystemClock};
use crate::config::Config;
use crate::state::AppState;
use crate::store::Store;
use crate::tokens;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The file in the data directory that holds the operator token.
pub fn operator_token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("operator-token")
}

/// Creates the data directory (private to this user) if needed.
pub fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    // Only a directory Kontor creates is made private; an existing one is left as it is.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Reads the operator token, creating it (readable only by this user) on first start.
pub fn ensure_operator_token(data_dir: &Path) -> anyhow::Result<String> {
    let path = operator_token_path(data_dir);
    if let Ok(token) = std::fs::read_to_string(&path) {
        let token = token.trim().to_owned();
        anyhow::ensure!(
            token.len() >= 32,
            "{} is damaged (too short); delete it and start Kontor again to make a new one",
            path.display()
        );
        return Ok(token);
    }
    let token = tokens::new_operator_token();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    Ok(token)
}

/// Opens the store the configuration names, creating the data directory.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    prepare_data_dir(&config.data_dir)?;
    Store::open(&config.database_url)
        .await
        .context("cannot open the database")
}

/// Loads the key that seals the organisations' signing keys (making it on first start) and
/// seals the keys an older version stored in plain text.
pub async fn open_org_key_seal(
    config: &Config,
    store: &Store,
) -> anyhow::Result<crate::org_keys::OrgKeySeal> {
    let seal = crate::org_keys::OrgKeySeal::load_or_create(&config.data_dir)?;
    crate::org_keys::seal_plain_keys(store, &seal)
        .await
        .context("cannot seal the organisation keys")?;
    Ok(seal)
}

/// A server running in this process.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes WebSockets, waits for requests in flight.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.state.hub().close_all();
        (&mut self.task).await??;
        self.state.store().close().await;
        Ok(())
    }
}

/// Starts the server on the configured address (port 0 picks a free one).
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    // Everything in the web directory is served: the data directory must not be in it.
    if let (Ok(data), Ok(web)) = (
        std::fs::canonicalize(&config.data_dir).or_else(|_| {
            prepare_data_dir(&config.data_dir)
                .and_then(|_| Ok(std::fs::canonicalize(&config.data_dir)?))
        }),
        std::fs::canonicalize(&config.web_dir),
    ) {
        anyhow::ensure!(
            !data.starts_with(&web),
            "the data directory {} is inside the web directory {}: everything there would be served",
            data.display(),
            web.display()
        );
    }
    let store = open_store(&config).await?;
    let seal = open_org_key_seal(&config, &store).await?;
    let token = ensure_operator_token(&config.data_dir)?;
    crate::setup::prepare(&config.data_dir, store.has_orgs().await?)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let retention = i64::from(config.event_retention_days) * DAY_MS;
    let state = AppState::new(
        store,
        clock,
        config,
        Some(tokens::hash(tokens::label::OPERATOR, &token)),
        seal,
    );
    let app = crate::app(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(crate::listener::serve(
        listener,
        app,
        state.gate().clone(),
        state.config().limits,
        rx,
    ));
    spawn_pruner(state.clone(), retention);
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

/// Deletes old events, ended login-limit windows and old key-package claims once an hour.
fn spawn_pruner(state: AppState, retention_ms: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match state.store().prune_events(state.now() - retention_ms).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned old events"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning events failed"),
            }
            if let Err(e) = state
                .store()
                .prune_login_limits(state.now(), crate::lockout::LONGEST_WINDOW_MS)
                .await
            {
                tracing::warn!(error = %e, "pruning login limits failed");
            }
            if let Err(e) = state.store().prune_key_package_claims(state.now()).await {
                tracing::warn!(error = %e, "pruning key-package claims failed");
            }
        }
    });
}

/// `kontor serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let running = start(config, Arc::new(SystemClock)).await?;
    let cfg = running.state.config();
    tracing::info!(
        url = %running.url(),
        public_url = %cfg.public_url,
        database = running.state.store().backend_name(),
        data = %cfg.data_dir.display(),
        "Kontor is serving"
    );
    say(&format!(
        "Kontor läuft auf / is serving at {}",
        running.url()
    ));
    if !running.state.web().is_built() {
        say(&format!(
            "Die Web-App ist nicht gebaut (./run.sh baut sie) / the web app is not built (./run.sh builds it): {}",
            cfg.web_dir.display()
        ));
    }
    if !running.state.store().has_orgs().await? {
        // The code itself is never printed or logged: the operator reads the file.
        say(&format!(
            "Erster Start: {} öffnen, der Einrichtungscode steht in {} / first start: open {} — the setup code is in {}",
            cfg.public_url,
            crate::setup::code_path(&cfg.data_dir).display(),
            cfg.public_url,
            crate::setup::code_path(&cfg.data_dir).display(),
        ));
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}

/// A line for the operator on stdout. A closed stdout (the terminal or pipe went away) must
/// not stop a server that is serving people, so a failed write is ignored.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
