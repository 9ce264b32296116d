//! Fixed-window counters for rate limits, in memory on each node (invitation and setup codes,
//! branding misses). Login limits are kept in the database instead: see [`crate::lockout`].
//! Failure limits use [`RateLimiter::acquire`] before the check and [`RateLimiter::release`]
//! after a success, so the check and the count are one step even under parallel requests.

use std::collections::HashMap;
use std::sync::Mutex;

/// One limit: at most `max` events per `window_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: u32,
    pub window_ms: i64,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    start: i64,
    count: u32,
}

/// Counters keyed by strings such as `login-addr:127.0.0.1`.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    /// `Err(seconds)` if the key is over its limit.
    pub fn check(&self, key: &str, limit: Limit, now: i64) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        match windows.get(key) {
            Some(w) if now - w.start < limit.window_ms && w.count >= limit.max => {
                Err(((w.start + limit.window_ms - now + 999) / 1000).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Counts one event and refuses it, atomically, if the key is already at its limit; so
    /// that a burst of parallel attempts cannot all pass the check before any is counted.
    pub fn acquire(&self, key: &str, limit: Limit, now: i64) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = windows.get(key)
            && now - w.start < limit.window_ms
            && w.count >= limit.max
        {
            return Err(((w.start + limit.window_ms - now + 999) / 1000).max(1) as u64);
        }
        Self::count(&mut windows, key, limit, now);
        Ok(())
    }

    /// Counts `amount` (bytes, say) and refuses, atomically, if that would take the key past
    /// `limit.max` in its window. An amount larger than the whole limit is refused outright
    /// when the window has already seen something, and let through alone otherwise.
    pub fn take(&self, key: &str, amount: u32, limit: Limit, now: i64) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = windows.get(key)
            && now - w.start < limit.window_ms
            && w.count > 0
            && w.count.saturating_add(amount) > limit.max
        {
            return Err(((w.start + limit.window_ms - now + 999) / 1000).max(1) as u64);
        }
        Self::count(&mut windows, key, limit, now);
        if let Some(w) = windows.get_mut(key) {
            // `count` added one; the amount is what counts.
            w.count = w.count.saturating_sub(1).saturating_add(amount);
        }
        Ok(())
    }

    /// Takes back one counted event (an attempt that turned out legitimate).
    pub fn release(&self, key: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = windows.get_mut(key) {
            w.count = w.count.saturating_sub(1);
        }
    }

    /// Counts one event.
    pub fn hit(&self, key: &str, limit: Limit, now: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        Self::count(&mut windows, key, limit, now);
    }

    fn count(windows: &mut HashMap<String, Window>, key: &str, limit: Limit, now: i64) {
        if windows.len() >= MAX_KEYS {
            // Bounded memory: drop finished windows, and if that is not enough, everything.
            windows.retain(|_, w| now - w.start < 3_600_000);
            if windows.len() >= MAX_KEYS {
                windows.clear();
            }
        }
        let w = windows.entry(key.to_owned()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now - w.start >= limit.window_ms {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count = w.count.saturating_add(1);
    }

    /// Forgets a key (after a success).
    pub fn reset(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The limits of code attempts (failures).
pub mod login {
    use super::Limit;
    /// Failed invitation codes per address.
    pub const INVITATION_PER_ADDRESS: Limit = Limit {
        max: 20,
        window_ms: 10 * 60 * 1000,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_blocks_then_reopens() {
        let rl = RateLimiter::default();
        let limit = Limit {
            max: 2,
            window_ms: 1000,
        };
        assert!(rl.check("k", limit, 0).is_ok());
        rl.hit("k", limit, 0);
        rl.hit("k", limit, 10);
        assert_eq!(rl.check("k", limit, 500), Err(1));
        assert!(rl.check("k", limit, 1000).is_ok());
        assert!(rl.check("other", limit, 500).is_ok());
        assert!(rl.acquire("a", limit, 0).is_ok());
        assert!(rl.acquire("a", limit, 0).is_ok());
        assert_eq!(rl.acquire("a", limit, 0), Err(1));
        rl.release("a");
        assert!(rl.acquire("a", limit, 0).is_ok());
    }
}
