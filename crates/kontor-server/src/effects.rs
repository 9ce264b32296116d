//! Effects: what an action changed that live connections must hear about.
//!
//! A handler checks access, runs its action (one transaction) and gets back, beside the
//! answer, the [`Effects`] of what committed. [`apply`] is the one place that turns them into
//! wake-ups, pushed frames and closed sockets, and lets the delivery service follow up with
//! what it owes the groups (removal proposals for retired devices). Nothing is applied before
//! the commit, so a failed action wakes nobody.
//!
//! ```text
//!  extract ► access ► action (transaction) ► Effects ► apply: hub + delivery service
//! ```

use crate::actions::delivery;
use crate::state::AppState;
use kontor_proto::event::{ServerFrame, close_code};
use kontor_proto::{ConversationId, DeviceId, OrgId, PersonId, SessionId};
use std::sync::Arc;

/// What a committed action owes the live connections. Built with the methods below, applied
/// with [`apply`].
#[derive(Debug, Default)]
#[must_use = "effects are applied with effects::apply once the transaction has committed"]
pub struct Effects {
    ended: Vec<(Vec<SessionId>, u16)>,
    restarted: Vec<SessionId>,
    frames: Vec<(Vec<DeviceId>, Arc<str>)>,
    orgs: Vec<OrgId>,
    people: Vec<(OrgId, PersonId)>,
    retired: Vec<(OrgId, Vec<DeviceId>)>,
    removals: Vec<(OrgId, ConversationId)>,
    changed: Vec<ConversationId>,
}

impl Effects {
    pub fn new() -> Self {
        Self::default()
    }

    /// The organisation's event log has new events: every connection of it fetches them.
    pub fn org_changed(mut self, org: OrgId) -> Self {
        self.orgs.push(org);
        self
    }

    /// New events for one person alone (their sessions, devices, password).
    pub fn person_changed(mut self, org: OrgId, user: PersonId) -> Self {
        self.people.push((org, user));
        self
    }

    /// These logins ended: their sockets close for good (4001).
    pub fn sessions_ended(self, sessions: &[SessionId]) -> Self {
        self.sessions_ended_with(sessions, close_code::SESSION_ENDED)
    }

    /// These logins ended for a reason the app tells the person (suspended, access ended):
    /// their sockets close for good with that close code.
    pub fn sessions_ended_with(mut self, sessions: &[SessionId], code: u16) -> Self {
        if !sessions.is_empty() {
            self.ended.push((sessions.to_vec(), code));
        }
        self
    }

    /// What these logins may see changed: their sockets close and reconnect (4000).
    pub fn sessions_restarted(mut self, sessions: &[SessionId]) -> Self {
        self.restarted.extend_from_slice(sessions);
        self
    }

    /// A frame for these devices' sockets, in the order frames were added.
    pub fn frame(mut self, devices: Vec<DeviceId>, frame: &ServerFrame) -> Self {
        if !devices.is_empty() {
            self.frames.push((devices, serialise(frame)));
        }
        self
    }

    /// These devices were retired (deprovisioning, revocation): the delivery service proposes
    /// their removal in each of their conversations and tells the members.
    pub fn devices_retired(mut self, org: OrgId, devices: Vec<DeviceId>) -> Self {
        if !devices.is_empty() {
            self.retired.push((org, devices));
        }
        self
    }

    /// The conversation's epoch moved (or went back): removals still pending are proposed for
    /// the epoch it is in now.
    pub fn removals_due(mut self, org: OrgId, conversation: ConversationId) -> Self {
        self.removals.push((org, conversation));
        self
    }

    /// The conversation's membership changed: its active devices re-read it.
    pub fn conversation_changed(mut self, conversation: ConversationId) -> Self {
        self.changed.push(conversation);
        self
    }
}

/// One frame serialised once for all its recipients.
pub fn serialise(frame: &ServerFrame) -> Arc<str> {
    serde_json::to_string(frame).unwrap_or_default().into()
}

/// Applies what a committed action owes: closes ended and restarted sockets first (they must
/// not be woken), pushes frames in order, wakes event streams, then lets the delivery service
/// follow up (removal proposals, membership news), whose own frames go out the same way.
pub async fn apply(state: &AppState, fx: Effects) {
    let hub = state.hub();
    // One pass over the connections for each reason, not one per session.
    for (sessions, code) in &fx.ended {
        hub.close_sessions(sessions, *code);
    }
    if !fx.restarted.is_empty() {
        hub.close_sessions(&fx.restarted, close_code::RECONNECT);
    }
    for (devices, frame) in fx.frames {
        hub.deliver(&devices, frame);
    }
    for org in dedup(fx.orgs) {
        hub.notify(org);
    }
    for (org, user) in dedup(fx.people) {
        hub.notify_user(org, user);
    }
    let mut removals = fx.removals;
    let mut changed = fx.changed;
    for (org, devices) in fx.retired {
        let conversations = delivery::conversations_of(state, &devices).await;
        removals.extend(conversations.iter().map(|c| (org, *c)));
        changed.extend(conversations);
    }
    for (org, conversation) in dedup(removals) {
        for (devices, frame) in delivery::propose_removals(state, org, conversation).await {
            hub.deliver(&devices, frame);
        }
    }
    for conversation in dedup(changed) {
        if let Some((devices, frame)) = delivery::changed(state, conversation).await {
            hub.deliver(&devices, frame);
        }
    }
}

/// Keeps the first of each, in order.
fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_org_is_woken_once_in_the_order_it_changed() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let fx = Effects::new().org_changed(b).org_changed(a).org_changed(b);
        assert_eq!(dedup(fx.orgs), vec![b, a]);
    }

    #[test]
    fn a_frame_for_nobody_is_not_kept() {
        let fx = Effects::new().frame(
            vec![],
            &ServerFrame::ConversationChanged {
                conversation_id: ConversationId::new(),
            },
        );
        assert!(fx.frames.is_empty());
    }
}
