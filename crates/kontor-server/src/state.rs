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
    limiter: RateLimiter,
    metrics: Metrics,
    operator_token_hash: Option<String>,
    dummy_hash: String,
}

impl AppState {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: Config,
        operator_token_hash: Option<String>,
    ) -> Self {
        let dummy_hash = crate::password::dummy_hash(config.hash_cost);
        AppState(Arc::new(Inner {
            store,
            clock,
            config,
            hub: Hub::default(),
            limiter: RateLimiter::default(),
            metrics: Metrics::default(),
            operator_token_hash,
            dummy_hash,
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
    pub fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    pub fn operator_token_hash(&self) -> Option<&str> {
        self.0.operator_token_hash.as_deref()
    }
    /// A hash to verify against when an account does not exist (equal timing).
    pub fn dummy_hash(&self) -> &str {
        &self.0.dummy_hash
    }
}
