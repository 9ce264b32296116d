//! The in-process event hub: wakes the WebSocket connections an event concerns, pushes frames
//! to devices, and closes connections whose session ended.
//!
//! The hub carries no event data, only "there is something new for you"; each connection
//! reads its events from the store after its own cursor. A wake-up is a [`Notify`] permit, so
//! fifty events while a connection is busy cost it one more read, not fifty; a slow connection
//! can lag behind without losing anything, and it never holds up the others. Connections are
//! kept per organisation, so an event wakes only its organisation's connections, and an event
//! for one person only that person's.
//!
//! Every connection counts against its device and its person: past [`SocketCaps`] the oldest
//! one is closed ([`close_code::TOO_MANY_CONNECTIONS`]), so a client cannot pile up sockets
//! and one reconnecting after a lost network is never locked out by its own stale socket.

use kontor_proto::event::close_code;
use kontor_proto::{DeviceId, OrgId, PersonId, SessionId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Notify, mpsc, watch};

/// How many pushed frames a connection may have unread before pushes to it are dropped (and
/// it is told to catch up by fetching).
const MAILBOX: usize = 1024;

/// Who a wake-up is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every connection of the organisation.
    Org,
    /// One person's connections.
    User(PersonId),
}

/// Most live connections per device and per person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketCaps {
    pub per_device: usize,
    pub per_person: usize,
}

impl Default for SocketCaps {
    fn default() -> Self {
        SocketCaps {
            per_device: 8,
            per_person: 24,
        }
    }
}

/// One live connection as the hub keeps it.
#[derive(Debug)]
struct Conn {
    id: u64,
    user: PersonId,
    session: SessionId,
    device: DeviceId,
    wake: Arc<Notify>,
    kill: watch::Sender<Option<u16>>,
    mail: mpsc::Sender<Arc<str>>,
    lagged: Arc<AtomicBool>,
}

/// Wakes, mailboxes and kill switches for live connections, by organisation.
#[derive(Debug)]
pub struct Hub {
    orgs: Mutex<HashMap<OrgId, Vec<Conn>>>,
    /// Which organisation each device's connections are in (pushes name devices).
    devices: Mutex<HashMap<DeviceId, OrgId>>,
    caps: SocketCaps,
    next_id: AtomicU64,
    /// Upgraded sockets, authenticated or not yet.
    open: Arc<AtomicUsize>,
    /// Connections closed because their device or person had too many.
    pub evicted: AtomicU64,
}

/// Counts one open socket for as long as it lives.
#[derive(Debug)]
pub struct SocketSlot(Arc<AtomicUsize>);

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(SocketCaps::default())
    }
}

/// Who a connection belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub org: OrgId,
    pub user: PersonId,
    pub session: SessionId,
    pub device: DeviceId,
}

/// A connection's registration; unregisters on drop.
#[derive(Debug)]
pub struct Registration<'a> {
    hub: &'a Hub,
    org: OrgId,
    device: DeviceId,
    id: u64,
    /// Frames pushed to this device, already serialised.
    pub mail: mpsc::Receiver<Arc<str>>,
    /// Set when a push was dropped because `mail` was full.
    pub lagged: Arc<AtomicBool>,
    /// Becomes the WebSocket close code when the connection must end (session ended, server
    /// shutting down, too many connections).
    pub killed: watch::Receiver<Option<u16>>,
    /// Notified when there may be new events for this connection.
    pub wake: Arc<Notify>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut orgs = self.hub.lock_orgs();
        let mut device_left = true;
        if let Some(list) = orgs.get_mut(&self.org) {
            list.retain(|c| c.id != self.id);
            device_left = !list.iter().any(|c| c.device == self.device);
            if list.is_empty() {
                orgs.remove(&self.org);
            }
        }
        if device_left {
            self.hub
                .devices
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&self.device);
        }
    }
}

impl Hub {
    pub fn new(caps: SocketCaps) -> Self {
        Hub {
            orgs: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
            caps: SocketCaps {
                per_device: caps.per_device.max(1),
                per_person: caps.per_person.max(1),
            },
            next_id: AtomicU64::new(1),
            open: Default::default(),
            evicted: AtomicU64::new(0),
        }
    }

    fn lock_orgs(&self) -> MutexGuard<'_, HashMap<OrgId, Vec<Conn>>> {
        self.orgs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a live connection. When its device or person is at its cap, their oldest
    /// connection is closed.
    pub fn register(&self, owner: Owner) -> Registration<'_> {
        let (kill, killed) = watch::channel(None);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (mail_tx, mail) = mpsc::channel(MAILBOX);
        let lagged = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(Notify::new());
        let mut orgs = self.lock_orgs();
        let list = orgs.entry(owner.org).or_default();
        // Oldest first: connections are pushed in the order they registered.
        let evict = |same: &dyn Fn(&Conn) -> bool, cap: usize| {
            let live: Vec<usize> = list
                .iter()
                .enumerate()
                .filter(|(_, c)| same(c) && c.kill.borrow().is_none())
                .map(|(i, _)| i)
                .collect();
            for &i in live.iter().take((live.len() + 1).saturating_sub(cap)) {
                let _ = list[i].kill.send(Some(close_code::TOO_MANY_CONNECTIONS));
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        };
        evict(&|c| c.device == owner.device, self.caps.per_device);
        evict(&|c| c.user == owner.user, self.caps.per_person);
        list.push(Conn {
            id,
            user: owner.user,
            session: owner.session,
            device: owner.device,
            wake: wake.clone(),
            kill,
            mail: mail_tx,
            lagged: lagged.clone(),
        });
        drop(orgs);
        self.devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(owner.device, owner.org);
        Registration {
            hub: self,
            org: owner.org,
            device: owner.device,
            id,
            mail,
            lagged,
            killed,
            wake,
        }
    }

    /// Tells the connections of `org` that `audience` concerns that there are new events.
    pub fn wake(&self, org: OrgId, audience: Audience) {
        let orgs = self.lock_orgs();
        for c in orgs.get(&org).into_iter().flatten() {
            if match audience {
                Audience::Org => true,
                Audience::User(u) => c.user == u,
            } {
                c.wake.notify_one();
            }
        }
    }

    /// Tells every connection of `org` that there are new events.
    pub fn notify(&self, org: OrgId) {
        self.wake(org, Audience::Org);
    }

    /// Tells one person's connections that there are new events (for them alone).
    pub fn notify_user(&self, org: OrgId, user: PersonId) {
        self.wake(org, Audience::User(user));
    }

    /// Pushes one serialised frame to every live connection of these devices. Never waits: a
    /// connection whose mailbox is full loses the frame and is marked lagged, so it tells its
    /// client to catch up by fetching. Returns how many connections got it.
    pub fn deliver(&self, devices: &[DeviceId], frame: Arc<str>) -> usize {
        let by_org: Vec<(DeviceId, OrgId)> = {
            let map = self.devices.lock().unwrap_or_else(|e| e.into_inner());
            devices
                .iter()
                .filter_map(|d| map.get(d).map(|o| (*d, *o)))
                .collect()
        };
        if by_org.is_empty() {
            return 0;
        }
        let orgs = self.lock_orgs();
        let mut n = 0;
        for (device, org) in by_org {
            for c in orgs.get(&org).into_iter().flatten() {
                if c.device != device {
                    continue;
                }
                match c.mail.try_send(frame.clone()) {
                    Ok(()) => n += 1,
                    Err(_) => c.lagged.store(true, Ordering::Relaxed),
                }
            }
        }
        n
    }

    /// Closes every connection of these sessions with a close code.
    pub fn close_sessions(&self, sessions: &[SessionId], code: u16) {
        let orgs = self.lock_orgs();
        for c in orgs.values().flatten() {
            if sessions.contains(&c.session) {
                let _ = c.kill.send(Some(code));
            }
        }
    }

    /// Closes every connection, for shutdown.
    pub fn close_all(&self) {
        let orgs = self.lock_orgs();
        for c in orgs.values().flatten() {
            let _ = c.kill.send(Some(close_code::GOING_AWAY));
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
        self.lock_orgs().values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(org: OrgId, user: PersonId, device: DeviceId) -> Owner {
        Owner {
            org,
            user,
            session: SessionId::new(),
            device,
        }
    }

    #[test]
    fn a_wake_for_one_person_leaves_everyone_else_asleep() {
        let hub = Hub::default();
        let (org, other_org) = (OrgId::new(), OrgId::new());
        let (anna, ben) = (PersonId::new(), PersonId::new());
        let a = hub.register(owner(org, anna, DeviceId::new()));
        let b = hub.register(owner(org, ben, DeviceId::new()));
        let c = hub.register(owner(other_org, PersonId::new(), DeviceId::new()));
        hub.notify_user(org, anna);
        let woken = |r: &Registration<'_>| {
            futures_util::FutureExt::now_or_never(r.wake.notified()).is_some()
        };
        assert!(woken(&a));
        assert!(!woken(&b));
        assert!(!woken(&c));
        hub.notify(org);
        assert!(woken(&a) && woken(&b));
        assert!(!woken(&c), "another organisation's event wakes nobody here");
    }

    #[test]
    fn many_events_while_busy_cost_one_wake() {
        let hub = Hub::default();
        let org = OrgId::new();
        let r = hub.register(owner(org, PersonId::new(), DeviceId::new()));
        for _ in 0..50 {
            hub.notify(org);
        }
        let woken = || futures_util::FutureExt::now_or_never(r.wake.notified()).is_some();
        assert!(woken());
        assert!(!woken(), "fifty wakes coalesce into one");
    }

    #[test]
    fn past_the_cap_the_oldest_connection_of_a_device_or_person_is_closed() {
        let hub = Hub::new(SocketCaps {
            per_device: 2,
            per_person: 3,
        });
        let org = OrgId::new();
        let anna = PersonId::new();
        let (laptop, phone) = (DeviceId::new(), DeviceId::new());
        let first = hub.register(owner(org, anna, laptop));
        let second = hub.register(owner(org, anna, laptop));
        let third = hub.register(owner(org, anna, laptop));
        assert_eq!(
            *first.killed.borrow(),
            Some(close_code::TOO_MANY_CONNECTIONS)
        );
        assert_eq!(*second.killed.borrow(), None);
        let on_phone = hub.register(owner(org, anna, phone));
        let again = hub.register(owner(org, anna, phone));
        // Anna has four live connections besides `first`: the oldest live one goes.
        assert_eq!(
            *second.killed.borrow(),
            Some(close_code::TOO_MANY_CONNECTIONS)
        );
        for r in [&third, &on_phone, &again] {
            assert_eq!(*r.killed.borrow(), None);
        }
        assert_eq!(hub.evicted.load(Ordering::Relaxed), 2);
        drop(first);
        drop(second);
        assert_eq!(hub.connections(), 3);
    }
}
