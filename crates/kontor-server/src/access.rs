//! Every access check lives here.
//!
//! A request is authenticated into a [`Caller`] (organisation, person, device, session, role).
//! The organisation of every object a handler touches comes from the caller, never from the
//! request, and the store filters every query by it: an id from another organisation is simply
//! not found. The functions below decide what a caller may do inside their organisation.

use crate::directory_index::Viewer;
use crate::error::ApiError;
use crate::extract::{ClientAddr, bearer};
use crate::state::AppState;
use crate::store::AuditCtx;
use crate::tokens;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kontor_proto::api::{OrgRole, PersonStatus};
use kontor_proto::{DeviceId, ErrorCode, OrgId, PersonId, SessionId, TeamId};
use std::collections::HashSet;

/// An authenticated person on one of their devices.
#[derive(Clone, Debug)]
pub struct Caller {
    pub org: OrgId,
    pub user: PersonId,
    pub device: DeviceId,
    pub session: SessionId,
    pub role: OrgRole,
    pub address: Option<String>,
}

/// Whether a person may use Kontor at all, with the reason in the refusal: suspended, their
/// access ended, or a guest while the organisation admits none. For logging in, accepting an
/// invitation and every authenticated request alike.
pub async fn may_log_in(
    state: &AppState,
    org: OrgId,
    status: PersonStatus,
    role: OrgRole,
) -> Result<(), ApiError> {
    match status {
        PersonStatus::Active => {}
        PersonStatus::Suspended => return Err(ApiError::new(ErrorCode::AccountDisabled)),
        PersonStatus::Deprovisioned => return Err(ApiError::new(ErrorCode::AccessEnded)),
    }
    if role == OrgRole::Guest && !state.store().policies(org).await?.guest_access {
        return Err(ApiError::new(ErrorCode::GuestAccessOff));
    }
    Ok(())
}

/// How often a session's `last_used_at` is written at most.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Authenticates a bearer token.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let hash = tokens::hash(tokens::label::SESSION, token);
    let record = state
        .store()
        .auth_by_token(&hash)
        .await?
        .ok_or(ApiError::new(ErrorCode::Unauthenticated))?;
    let now = state.now();
    if record.expires_at <= now {
        return Err(ApiError::new(ErrorCode::Unauthenticated));
    }
    may_log_in(state, record.org, record.status, record.role).await?;
    if now - record.last_used_at > TOUCH_EVERY_MS {
        state.store().touch_session(&record, now).await?;
    }
    Ok(Caller {
        org: record.org,
        user: record.user,
        device: record.device,
        session: record.session,
        role: record.role,
        address: None,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::new(ErrorCode::Unauthenticated))?;
        let mut caller = authenticate(state, token).await?;
        caller.address = ClientAddr::from_request_parts(parts, state).await?.0;
        Ok(caller)
    }
}

impl Caller {
    /// The audit context of an action by this caller.
    pub fn audit(&self, state: &AppState) -> AuditCtx {
        AuditCtx {
            actor: Some(self.user),
            address: self.address.clone(),
            now: state.now(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }

    /// May the caller act for the whole person: revoke their other devices, end the sessions
    /// of other devices, change the password? Only from a device that the person's own
    /// identity key lists (the newest signed device list the server stored and checked), so
    /// that a password alone, on a device nobody linked, cannot lock the person's real
    /// devices out. A person without an identity yet has no linked device to protect.
    pub async fn require_linked_device(&self, state: &AppState) -> Result<(), ApiError> {
        let Some(stored) = state
            .store()
            .identities(self.org, &[self.user])
            .await?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        let list: kontor_proto::identity::SignedDeviceList =
            serde_json::from_str(&stored.device_list)
                .map_err(|_| ApiError::from(crate::store::StoreError::Corrupt("device_list")))?;
        if list.list.devices.iter().any(|d| d.device_id == self.device) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::DeviceNotLinked))
        }
    }

    /// May the caller create a conversation of this kind? Announcement channels speak for the
    /// organisation: by its policy only its admins create them, or every member; never guests.
    pub async fn require_may_create(
        &self,
        state: &AppState,
        kind: kontor_proto::conversation::ConversationKind,
    ) -> Result<(), ApiError> {
        if kind != kontor_proto::conversation::ConversationKind::Channel || self.is_admin() {
            return Ok(());
        }
        let policies = state.store().policies(self.org).await?;
        if self.role == OrgRole::Guest
            || policies.channel_creators == kontor_proto::api::ChannelCreators::Admins
        {
            return Err(ApiError::new(ErrorCode::ChannelsByAdmins));
        }
        Ok(())
    }

    /// Owners and admins only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// May the caller see this person at all? Guests see only people they share a team with.
    /// Invisible people are reported as not found, so their existence does not leak.
    pub async fn require_visible(
        &self,
        state: &AppState,
        target: PersonId,
    ) -> Result<(), ApiError> {
        if self.role != OrgRole::Guest || target == self.user {
            return Ok(());
        }
        if state
            .store()
            .share_team(self.org, self.user, target)
            .await?
        {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }

    /// May the caller fetch this person's identity bundle? Whom they may see, and whom they
    /// share a conversation with (a guest must verify every device in their groups).
    pub async fn require_identity_visible(
        &self,
        state: &AppState,
        target: PersonId,
    ) -> Result<(), ApiError> {
        if self.require_visible(state, target).await.is_ok()
            || state
                .store()
                .share_conversation(self.org, self.user, target)
                .await?
        {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }

    /// Who searches the directory: a guest finds only the people who share a team with
    /// them (and them only by what they may see), everybody else finds everybody.
    pub fn directory_viewer(&self, index: &crate::directory_index::OrgIndex) -> Viewer {
        if self.role != OrgRole::Guest {
            return Viewer::Colleague(self.user);
        }
        let teams: HashSet<TeamId> = index
            .people
            .get(&self.user)
            .map(|me| me.person.teams.iter().map(|t| t.team_id).collect())
            .unwrap_or_default();
        Viewer::Guest(self.user, teams)
    }

    /// Removes from these people what the caller may not see: a guest sees only the teams they
    /// share with a person (a patient team's name is not for outsiders).
    pub async fn redact(
        &self,
        state: &AppState,
        people: &mut [kontor_proto::api::Person],
    ) -> Result<(), ApiError> {
        if self.role != OrgRole::Guest {
            return Ok(());
        }
        let mine: Vec<TeamId> = state
            .store()
            .person(self.org, self.user)
            .await?
            .teams
            .iter()
            .map(|t| t.team_id)
            .collect();
        for p in people.iter_mut().filter(|p| p.id != self.user) {
            p.teams.retain(|t| mine.contains(&t.team_id));
        }
        Ok(())
    }

    /// May the caller edit this person's profile? Themselves, or an admin (only owners edit
    /// owners).
    pub fn require_profile_edit(
        &self,
        target: PersonId,
        target_role: OrgRole,
    ) -> Result<(), ApiError> {
        if target == self.user {
            return Ok(());
        }
        self.require_manage(target, target_role)
    }

    /// May the caller administer this person (role, suspension, deprovisioning, avatar)?
    /// Admins may manage everybody but owners; owners everybody. Nobody manages themselves,
    /// so that an organisation cannot lose its last administrator by accident.
    pub fn require_manage(&self, target: PersonId, target_role: OrgRole) -> Result<(), ApiError> {
        self.require_admin()?;
        if !self.role.may_manage(target_role) {
            return Err(ApiError::forbidden());
        }
        let _ = target;
        Ok(())
    }

    /// May the caller give `new` role to somebody who has `current`?
    pub fn require_role_change(
        &self,
        target: PersonId,
        current: OrgRole,
        new: OrgRole,
    ) -> Result<(), ApiError> {
        if target == self.user {
            return Err(ApiError::forbidden());
        }
        self.require_manage(target, current)?;
        if !self.role.may_manage(new) {
            return Err(ApiError::forbidden());
        }
        Ok(())
    }

    /// May the caller change this person's status? Not their own.
    pub fn require_status_change(
        &self,
        target: PersonId,
        target_role: OrgRole,
    ) -> Result<(), ApiError> {
        if target == self.user {
            return Err(ApiError::forbidden());
        }
        self.require_manage(target, target_role)
    }

    /// May the caller manage the members of this team? Admins, and the team's leads.
    pub async fn require_team_manage(
        &self,
        state: &AppState,
        team: TeamId,
    ) -> Result<(), ApiError> {
        if self.is_admin() {
            return Ok(());
        }
        let members = state.store().team_members(self.org, team).await?;
        if members
            .iter()
            .any(|m| m.person_id == self.user && m.role == kontor_proto::api::TeamRole::Lead)
        {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// May the caller see this team? It must exist in the caller's organisation; members see
    /// every team, guests only their own.
    pub async fn require_team_visible(
        &self,
        state: &AppState,
        team: TeamId,
    ) -> Result<(), ApiError> {
        state.store().team(self.org, team).await?;
        if self.role != OrgRole::Guest {
            return Ok(());
        }
        let members = state.store().team_members(self.org, team).await?;
        if members.iter().any(|m| m.person_id == self.user) {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }
}

/// The server operator, who creates organisations: authenticated by the operator token from
/// the data directory.
#[derive(Clone, Debug)]
pub struct Operator {
    pub address: Option<String>,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::new(ErrorCode::Unauthenticated))?;
        let expected = state
            .operator_token_hash()
            .ok_or(ApiError::new(ErrorCode::Unauthenticated))?;
        let presented = tokens::hash(tokens::label::OPERATOR, token);
        if !tokens::constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::new(ErrorCode::Unauthenticated));
        }
        Ok(Operator {
            address: ClientAddr::from_request_parts(parts, state).await?.0,
        })
    }
}

/// Who may do what inside a conversation. The delivery service calls these inside the
/// transaction that holds the conversation's lock, so the decision and the write see the same
/// state. They decide routing and storage only: which devices are really in an MLS group is
/// decided by the members' own commits, which clients check against signed device lists.
pub mod conversation {
    use kontor_proto::ErrorCode;
    use kontor_proto::PersonId;
    use kontor_proto::conversation::{ConversationKind, ConversationRole};

    /// May a member with `role` send application messages? In a channel only admins and
    /// posters write.
    pub fn may_write(kind: ConversationKind, role: ConversationRole) -> Result<(), ErrorCode> {
        if kind == ConversationKind::Channel && role == ConversationRole::Reader {
            Err(ErrorCode::NotConversationAdmin)
        } else {
            Ok(())
        }
    }

    /// May a member with `role` add a new person to a conversation of `people` people? Only
    /// admins add people; a direct chat holds two people.
    pub fn may_add_person(
        kind: ConversationKind,
        role: ConversationRole,
        people: usize,
    ) -> Result<(), ErrorCode> {
        if kind == ConversationKind::Direct && people >= 2 {
            return Err(ErrorCode::Forbidden);
        }
        if role != ConversationRole::Admin {
            return Err(ErrorCode::NotConversationAdmin);
        }
        Ok(())
    }

    /// May `caller` (with `role`) remove a device of `owner`? Their own devices, devices the
    /// server asked to remove (leavers, deprovisioned people) and, for admins, anybody's.
    pub fn may_remove(
        caller: PersonId,
        role: ConversationRole,
        owner: PersonId,
        pending_removal: bool,
    ) -> Result<(), ErrorCode> {
        if pending_removal || owner == caller || role == ConversationRole::Admin {
            Ok(())
        } else {
            Err(ErrorCode::NotConversationAdmin)
        }
    }

    /// May a member with `role` commit changes to the group at all? Commits carry secrets the
    /// delivery service cannot check, so one that no member can open would leave everyone
    /// out of step: readers of a channel and guests (unless they admin the conversation) only
    /// propose (leaving); admins and writers commit for them (adding their new devices,
    /// removing leavers, renewing devices that fell out of step).
    pub fn may_commit(role: ConversationRole, guest: bool) -> Result<(), ErrorCode> {
        match role {
            ConversationRole::Reader => Err(ErrorCode::NotConversationAdmin),
            ConversationRole::Member if guest => Err(ErrorCode::Forbidden),
            _ => Ok(()),
        }
    }

    /// May a member with `role` void a commit their device could not process (when nobody
    /// but its committer wrote since)? A conversation's admins, and in a direct chat either
    /// person: voiding sends every device that did process it to be added again, which only
    /// those who may manage the conversation decide, and only somebody who may commit can
    /// then add them again (so no guest, no reader).
    pub fn may_void(
        kind: ConversationKind,
        role: ConversationRole,
        guest: bool,
    ) -> Result<(), ErrorCode> {
        if kind != ConversationKind::Direct && role != ConversationRole::Admin {
            return Err(ErrorCode::NotConversationAdmin);
        }
        may_commit(role, guest)
    }

    /// May a member with `role` change people's roles? Admins, and not in direct chats.
    pub fn may_set_role(kind: ConversationKind, role: ConversationRole) -> Result<(), ErrorCode> {
        if kind == ConversationKind::Direct {
            return Err(ErrorCode::Forbidden);
        }
        if role != ConversationRole::Admin {
            return Err(ErrorCode::NotConversationAdmin);
        }
        Ok(())
    }

    /// The role a person gets when added: channel readers read, everybody else writes.
    pub fn joining_role(kind: ConversationKind) -> ConversationRole {
        if kind == ConversationKind::Channel {
            ConversationRole::Reader
        } else {
            ConversationRole::Member
        }
    }
}

#[cfg(test)]
mod tests {
    use super::conversation::*;
    use kontor_proto::ErrorCode;
    use kontor_proto::conversation::{ConversationKind, ConversationRole};

    #[test]
    fn only_who_manages_and_may_commit_voids() {
        use ConversationKind::*;
        use ConversationRole::*;
        assert_eq!(may_void(Group, Admin, false), Ok(()));
        assert_eq!(may_void(Direct, Member, false), Ok(()));
        assert_eq!(
            may_void(Group, Member, false),
            Err(ErrorCode::NotConversationAdmin)
        );
        assert_eq!(
            may_void(Channel, Reader, false),
            Err(ErrorCode::NotConversationAdmin)
        );
        // A guest in a direct chat could void but never add the other side again.
        assert_eq!(may_void(Direct, Member, true), Err(ErrorCode::Forbidden));
    }

    #[test]
    fn readers_and_guests_do_not_commit() {
        assert_eq!(
            may_commit(ConversationRole::Reader, false),
            Err(ErrorCode::NotConversationAdmin)
        );
        assert_eq!(
            may_commit(ConversationRole::Member, true),
            Err(ErrorCode::Forbidden)
        );
        assert_eq!(may_commit(ConversationRole::Admin, true), Ok(()));
        assert_eq!(may_commit(ConversationRole::Member, false), Ok(()));
    }
}
