//! The in-process event hub: wakes WebSocket connections when their organisation has new
//! events, and closes connections whose session ended.
//!
//! The hub carries no event data, only "organisation X has something new"; each connection
//! reads its events from the store after its own cursor. So a slow connection can lag behind
//! or miss a wake-up without losing anything, and it never holds up the others.

use kontor_proto::{OrgId, SessionId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{broadcast, watch};

/// The kill switches of one session's live connections, by connection id.
type KillSwitches = Vec<(u64, watch::Sender<Option<u16>>)>;

/// Wakes and kill switches for live connections.
#[derive(Debug)]
pub struct Hub {
    wake: broadcast::Sender<OrgId>,
    kills: Mutex<HashMap<SessionId, KillSwitches>>,
    next_id: AtomicU64,
    /// Upgraded sockets, authenticated or not yet.
    open: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts one open socket for as long as it lives.
#[derive(Debug)]
pub struct SocketSlot(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            wake: broadcast::channel(1024).0,
            kills: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            open: Default::default(),
        }
    }
}

/// A connection's registration; unregisters on drop.
#[derive(Debug)]
pub struct Registration<'a> {
    hub: &'a Hub,
    session: SessionId,
    id: u64,
    /// Becomes the WebSocket close code when the connection must end (session ended,
    /// server shutting down).
    pub killed: watch::Receiver<Option<u16>>,
    /// Wake-ups for organisations with new events.
    pub wake: broadcast::Receiver<OrgId>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut kills = self.hub.kills.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = kills.get_mut(&self.session) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                kills.remove(&self.session);
            }
        }
    }
}

impl Hub {
    /// Registers a live connection of a session.
    pub fn register(&self, session: SessionId) -> Registration<'_> {
        let (tx, rx) = watch::channel(None);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.kills
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(session)
            .or_default()
            .push((id, tx));
        Registration {
            hub: self,
            session,
            id,
            killed: rx,
            wake: self.wake.subscribe(),
        }
    }

    /// Tells connections of `org` that there are new events.
    pub fn notify(&self, org: OrgId) {
        let _ = self.wake.send(org);
    }

    /// Closes every connection of these sessions: they ended.
    pub fn end_sessions(&self, sessions: &[SessionId]) {
        self.close_sessions(sessions, kontor_proto::event::close_code::SESSION_ENDED);
    }

    /// Closes every connection of these sessions with a close code.
    pub fn close_sessions(&self, sessions: &[SessionId], code: u16) {
        let kills = self.kills.lock().unwrap_or_else(|e| e.into_inner());
        for s in sessions {
            for (_, tx) in kills.get(s).into_iter().flatten() {
                let _ = tx.send(Some(code));
            }
        }
    }

    /// Closes every connection, for shutdown.
    pub fn close_all(&self) {
        let kills = self.kills.lock().unwrap_or_else(|e| e.into_inner());
        for (_, tx) in kills.values().flatten() {
            let _ = tx.send(Some(kontor_proto::event::close_code::GOING_AWAY));
        }
    }

    /// Takes a slot for a new socket, or `None` when `max` are open already.
    pub fn open_socket(&self, max: usize) -> Option<SocketSlot> {
        let before = self.open.fetch_add(1, Ordering::SeqCst);
        let slot = SocketSlot(self.open.clone());
        (before < max).then_some(slot)
    }

    /// How many connections are live.
    pub fn connections(&self) -> usize {
        self.kills
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(Vec::len)
            .sum()
    }
}
