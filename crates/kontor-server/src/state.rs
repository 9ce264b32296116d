//! The one explicit application state every handler gets.

use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use std::sync::Arc;

/// Shared state: cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    config: Config,
    hub: Hub,
    gate: Arc<crate::listener::Gate>,
    limiter: RateLimiter,
    metrics: Metrics,
    operator_token_hash: Option<String>,
    dummy_hash: String,
    hashing: tokio::sync::Semaphore,
    directory: crate::directory_index::DirectoryIndex,
    web: crate::web::WebApp,
    org_key_seal: crate::org_keys::OrgKeySeal,
}

impl AppState {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: Config,
        operator_token_hash: Option<String>,
        org_key_seal: crate::org_keys::OrgKeySeal,
    ) -> Self {
        let dummy_hash = crate::password::dummy_hash(config.hash_cost);
        let web = crate::web::WebApp::load(&config.web_dir);
        let hub = Hub::new(config.limits.sockets);
        let gate = Arc::new(crate::listener::Gate::new(
            &config.limits,
            config.trust_forwarded_for,
        ));
        AppState(Arc::new(Inner {
            store,
            clock,
            config,
            hub,
            gate,
            limiter: RateLimiter::default(),
            metrics: Metrics::default(),
            operator_token_hash,
            dummy_hash,
            directory: Default::default(),
            web,
            org_key_seal,
            hashing: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        }))
    }
    pub fn store(&self) -> &Store {
        &self.0.store
    }
    pub fn now(&self) -> i64 {
        self.0.clock.now_ms()
    }
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }
    /// The connection caps of the accept loop.
    pub fn gate(&self) -> &Arc<crate::listener::Gate> {
        &self.0.gate
    }
    pub fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    pub fn operator_token_hash(&self) -> Option<&str> {
        self.0.operator_token_hash.as_deref()
    }
    /// Password hashing is memory- and CPU-hard: at most one per core runs at a time, the
    /// rest wait their turn instead of each taking 19 MiB and a thread.
    pub async fn hashing_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.0.hashing.acquire().await.ok()
    }

    /// The in-memory directory used by search.
    pub fn directory(&self) -> &crate::directory_index::DirectoryIndex {
        &self.0.directory
    }

    /// The key that seals the organisations' signing keys in the database.
    pub fn org_key_seal(&self) -> &crate::org_keys::OrgKeySeal {
        &self.0.org_key_seal
    }

    /// The built web app.
    pub fn web(&self) -> &crate::web::WebApp {
        &self.0.web
    }

    /// A hash to verify against when an account does not exist (equal timing).
    pub fn dummy_hash(&self) -> &str {
        &self.0.dummy_hash
    }
}
