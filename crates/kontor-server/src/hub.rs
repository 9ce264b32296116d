//! The in-process event hub: wakes WebSocket connections when their organisation has new
//! events, and closes connections whose session ended.
//!
//! The hub carries no event data, only "organisation X has something new"; each connection
//! reads its events from the store after its own cursor. So a slow connection can lag behind
//! or miss a wake-up without losing anything, and it never holds up the others.

use kontor_proto::{DeviceId, OrgId, SessionId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc, watch};

/// How many pushed frames a connection may have unread before pushes to it are dropped (and
/// it is told to catch up by fetching).
const MAILBOX: usize = 1024;

/// A connection's mailbox for pushed frames (conversation messages, Welcomes).
#[derive(Debug)]
struct Mailbox {
    id: u64,
    tx: mpsc::Sender<Arc<str>>,
    lagged: Arc<AtomicBool>,
}

/// The kill switches of one session's live connections, by connection id.
type KillSwitches = Vec<(u64, watch::Sender<Option<u16>>)>;

/// Wakes and kill switches for live connections.
#[derive(Debug)]
pub struct Hub {
    wake: broadcast::Sender<OrgId>,
    kills: Mutex<HashMap<SessionId, KillSwitches>>,
    mailboxes: Mutex<HashMap<DeviceId, Vec<Mailbox>>>,
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
            mailboxes: Mutex::new(HashMap::new()),
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
    device: DeviceId,
    id: u64,
    /// Frames pushed to this device, already serialised.
    pub mail: mpsc::Receiver<Arc<str>>,
    /// Set when a push was dropped because `mail` was full.
    pub lagged: Arc<AtomicBool>,
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
        drop(kills);
        let mut boxes = self.hub.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = boxes.get_mut(&self.device) {
            list.retain(|m| m.id != self.id);
            if list.is_empty() {
                boxes.remove(&self.device);
            }
        }
    }
}

impl Hub {
    /// Registers a live connection of a session.
    pub fn register(&self, session: SessionId, device: DeviceId) -> Registration<'_> {
        let (tx, rx) = watch::channel(None);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (mail_tx, mail) = mpsc::channel(MAILBOX);
        let lagged = Arc::new(AtomicBool::new(false));
        self.mailboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(device)
            .or_default()
            .push(Mailbox {
                id,
                tx: mail_tx,
                lagged: lagged.clone(),
            });
        self.kills
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(session)
            .or_default()
            .push((id, tx));
        Registration {
            hub: self,
            session,
            device,
            id,
            mail,
            lagged,
            killed: rx,
            wake: self.wake.subscribe(),
        }
    }

    /// Tells connections of `org` that there are new events.
    pub fn notify(&self, org: OrgId) {
        let _ = self.wake.send(org);
    }

    /// Pushes one serialised frame to every live connection of these devices. Never waits: a
    /// connection whose mailbox is full loses the frame and is marked lagged, so it tells its
    /// client to catch up by fetching. Returns how many connections got it.
    pub fn deliver(&self, devices: &[DeviceId], frame: Arc<str>) -> usize {
        let boxes = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        for d in devices {
            for m in boxes.get(d).into_iter().flatten() {
                match m.tx.try_send(frame.clone()) {
                    Ok(()) => n += 1,
                    Err(_) => m.lagged.store(true, Ordering::Relaxed),
                }
            }
        }
        n
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
