//! Invitations, accounts, devices and sessions.

use super::events::{Audience, emit};
use super::orgs::NewInvitation;
use super::{
    AuditCtx, StoreError, StoreResult, Tx, audit, col_i64, col_opt_i64, col_opt_str, col_parse,
    col_str,
};
use crate::clock::fmt_ms;
use kontor_proto::api::{Device, Invitation, Org, OrgRole, PersonStatus, SessionInfo, TeamRole};
use kontor_proto::{
    DeviceId, ErrorCode, EventKind, InvitationId, OrgId, PersonId, SessionId, TeamId,
};
use sqlx::any::AnyRow;

const INVITATION_COLUMNS: &str =
    "id, email, role, display_name, created_at, expires_at, accepted_at, revoked_at";

fn invitation_from_row(row: &AnyRow) -> StoreResult<Invitation> {
    Ok(Invitation {
        id: col_parse(row, "id")?,
        email: col_str(row, "email")?,
        role: OrgRole::parse(&col_str(row, "role")?).ok_or(StoreError::Corrupt("role"))?,
        display_name: col_opt_str(row, "display_name")?,
        created_at: fmt_ms(col_i64(row, "created_at")?),
        expires_at: fmt_ms(col_i64(row, "expires_at")?),
        accepted_at: col_opt_i64(row, "accepted_at")?.map(fmt_ms),
        revoked: col_opt_i64(row, "revoked_at")?.is_some(),
    })
}

pub(crate) async fn insert_invitation(
    tx: &mut Tx,
    org: OrgId,
    inv: &NewInvitation,
    ctx: &AuditCtx,
) -> StoreResult<Invitation> {
    let active: Option<String> =
        sqlx::query_scalar("SELECT status FROM people WHERE org_id = $1 AND email = $2")
            .bind(org.to_string())
            .bind(&inv.email)
            .fetch_optional(&mut **tx)
            .await?;
    if active.is_some() {
        return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "email"));
    }
    for team in &inv.team_ids {
        super::teams::require_team(tx, org, *team).await?;
    }
    // Only the newest invitation of an address stays valid.
    sqlx::query(
        "UPDATE invitations SET revoked_at = $3 \
         WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(org.to_string())
    .bind(&inv.email)
    .bind(ctx.now)
    .execute(&mut **tx)
    .await?;
    let id = InvitationId::new();
    sqlx::query(
        "INSERT INTO invitations (id, org_id, email, role, display_name, team_ids, profile, code_hash, \
         created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $11, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .bind(&inv.email)
    .bind(inv.role.as_str())
    .bind(inv.display_name.clone())
    .bind(super::to_json(&inv.team_ids))
    .bind(&inv.code_hash)
    .bind(ctx.actor.map(|a| a.to_string()))
    .bind(ctx.now)
    .bind(inv.expires_at)
    .bind(super::to_json(&inv.profile))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        org,
        ctx,
        "invitation.create",
        "invitation",
        Some(id.to_string()),
        serde_json::json!({ "email": inv.email, "role": inv.role }),
    )
    .await?;
    Ok(Invitation {
        id,
        email: inv.email.clone(),
        role: inv.role,
        display_name: inv.display_name.clone(),
        created_at: fmt_ms(ctx.now),
        expires_at: fmt_ms(inv.expires_at),
        accepted_at: None,
        revoked: false,
    })
}

/// Everything needed to accept an invitation, already validated and hashed.
#[derive(Clone, Debug)]
pub struct Acceptance {
    pub code_hash: String,
    pub display_name: String,
    pub password_hash: String,
    pub new_session: NewSession,
    /// Where the acceptance came from, for the audit log.
    pub address: Option<String>,
}

/// A device and session to create at login.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub device_name: String,
    pub platform: String,
    pub token_hash: String,
    /// The hash of the new device's credential for later logins.
    pub credential_hash: String,
    pub expires_at: i64,
}

/// What a valid session token stands for.
#[derive(Clone, Debug)]
pub struct AuthRecord {
    pub org: OrgId,
    pub user: PersonId,
    pub device: DeviceId,
    pub session: SessionId,
    pub role: OrgRole,
    pub status: PersonStatus,
    pub expires_at: i64,
    pub last_used_at: i64,
}

/// What login needs to check a password.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub user: PersonId,
    pub password_hash: String,
    pub status: PersonStatus,
    pub role: OrgRole,
}

/// Ids of a freshly created login.
#[derive(Clone, Copy, Debug)]
pub struct LoginIds {
    pub org: OrgId,
    pub user: PersonId,
    pub device: DeviceId,
    pub session: SessionId,
}

/// Inserts an active account; the caller checked that the address is free.
async fn insert_person(
    tx: &mut Tx,
    org: OrgId,
    email: &str,
    display_name: &str,
    role: OrgRole,
    password_hash: &str,
    now: i64,
) -> StoreResult<PersonId> {
    let user = PersonId::new();
    sqlx::query(
        "INSERT INTO people (id, org_id, email, display_name, role, status, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7)",
    )
    .bind(user.to_string())
    .bind(org.to_string())
    .bind(email)
    .bind(display_name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(user)
}

/// The first organisation, made from the web app's first-start screen, with its owner.
#[derive(Clone, Debug)]
pub struct FirstStart {
    pub org_name: String,
    pub slug: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub new_session: NewSession,
    pub address: Option<String>,
}

async fn insert_session(
    tx: &mut Tx,
    org: OrgId,
    user: PersonId,
    new: &NewSession,
    now: i64,
) -> StoreResult<(DeviceId, SessionId)> {
    let device = DeviceId::new();
    sqlx::query(
        "INSERT INTO devices (id, org_id, person_id, name, platform, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(device.to_string())
    .bind(org.to_string())
    .bind(user.to_string())
    .bind(&new.device_name)
    .bind(&new.platform)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let session = SessionId::new();
    sqlx::query(
        "INSERT INTO sessions (id, org_id, person_id, device_id, token_hash, created_at, expires_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6)",
    )
    .bind(session.to_string())
    .bind(org.to_string())
    .bind(user.to_string())
    .bind(device.to_string())
    .bind(&new.token_hash)
    .bind(now)
    .bind(new.expires_at)
    .execute(&mut **tx)
    .await?;
    super::limits::insert_credential(tx, org, user, device, &new.credential_hash, now).await?;
    Ok((device, session))
}

/// Ends every open session of `user` (optionally all but one) and says so to their devices.
pub(crate) async fn end_sessions(
    tx: &mut Tx,
    org: OrgId,
    user: PersonId,
    except: Option<SessionId>,
    now: i64,
) -> StoreResult<Vec<SessionId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = $3 \
         WHERE org_id = $1 AND person_id = $2 AND revoked_at IS NULL AND ($4 IS NULL OR id <> $4) \
         RETURNING id",
    )
    .bind(org.to_string())
    .bind(user.to_string())
    .bind(now)
    .bind(except.map(|s| s.to_string()))
    .fetch_all(&mut **tx)
    .await?;
    let mut ended = Vec::with_capacity(ids.len());
    for id in ids {
        let session: SessionId = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
        emit(
            tx,
            org,
            Audience::User(user),
            &EventKind::SessionEnded {
                session_id: session,
            },
            now,
        )
        .await?;
        ended.push(session);
    }
    Ok(ended)
}

/// Revokes every device of `user` and says so to them.
pub(crate) async fn revoke_devices(
    tx: &mut Tx,
    org: OrgId,
    user: PersonId,
    now: i64,
) -> StoreResult<Vec<DeviceId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE devices SET revoked_at = $3 \
         WHERE org_id = $1 AND person_id = $2 AND revoked_at IS NULL RETURNING id",
    )
    .bind(org.to_string())
    .bind(user.to_string())
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    let mut revoked = Vec::with_capacity(ids.len());
    for id in ids {
        let device: DeviceId = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
        emit(
            tx,
            org,
            Audience::User(user),
            &EventKind::DeviceRevoked { device_id: device },
            now,
        )
        .await?;
        revoked.push(device);
    }
    super::conversations::retire_devices(tx, &revoked).await?;
    Ok(revoked)
}

impl super::Store {
    /// Invites a person. Refused if the address already has an account in the organisation.
    pub async fn create_invitation(
        &self,
        org: OrgId,
        inv: &NewInvitation,
        ctx: &AuditCtx,
    ) -> StoreResult<Invitation> {
        let mut tx = self.begin_org(org).await?;
        let invitation = insert_invitation(&mut tx, org, inv, ctx).await?;
        tx.commit().await?;
        Ok(invitation)
    }

    /// The organisation's invitations, newest first.
    pub async fn invitations(&self, org: OrgId) -> StoreResult<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE org_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    pub async fn revoke_invitation(
        &self,
        org: OrgId,
        id: InvitationId,
        ctx: &AuditCtx,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            org,
            ctx,
            "invitation.revoke",
            "invitation",
            Some(id.to_string()),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The invitation a code stands for, if it can still be accepted.
    pub async fn invitation_by_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<(Invitation, Org)> {
        let row = sqlx::query(&format!(
            "SELECT org_id, {INVITATION_COLUMNS} FROM invitations WHERE code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::refused(ErrorCode::InvitationInvalid))?;
        let inv = invitation_from_row(&row)?;
        if inv.revoked || inv.accepted_at.is_some() {
            return Err(StoreError::refused(ErrorCode::InvitationInvalid));
        }
        if col_i64(&row, "expires_at")? <= now {
            return Err(StoreError::refused(ErrorCode::InvitationExpired));
        }
        let org = self.org(col_parse(&row, "org_id")?).await?;
        Ok((inv, org))
    }

    /// Accepts an invitation: creates the account, its team memberships, a device and a
    /// session, all or nothing. A code works once.
    pub async fn accept_invitation(&self, a: &Acceptance, now: i64) -> StoreResult<LoginIds> {
        let org: Option<String> =
            sqlx::query_scalar("SELECT org_id FROM invitations WHERE code_hash = $1")
                .bind(&a.code_hash)
                .fetch_optional(&self.read)
                .await?;
        let org: OrgId = org
            .ok_or(StoreError::refused(ErrorCode::InvitationInvalid))?
            .parse()
            .map_err(|_| StoreError::Corrupt("org_id"))?;
        let mut tx = self.begin_org(org).await?;
        let claimed = sqlx::query(
            "UPDATE invitations SET accepted_at = $2 \
             WHERE code_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
             RETURNING id, org_id, email, role, team_ids, profile",
        )
        .bind(&a.code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = claimed else {
            let expired: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM invitations WHERE code_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(&a.code_hash)
            .fetch_optional(&mut *tx)
            .await?;
            return Err(StoreError::refused(if expired.is_some() {
                ErrorCode::InvitationExpired
            } else {
                ErrorCode::InvitationInvalid
            }));
        };
        let org: OrgId = col_parse(&row, "org_id")?;
        let email = col_str(&row, "email")?;
        let role = OrgRole::parse(&col_str(&row, "role")?).ok_or(StoreError::Corrupt("role"))?;
        let team_ids: Vec<TeamId> = super::col_json(&row, "team_ids")?;
        let profile: kontor_proto::api::ProfilePatch = super::col_json(&row, "profile")?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND email = $2")
                .bind(org.to_string())
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "email"));
        }
        let user = insert_person(
            &mut tx,
            org,
            &email,
            &a.display_name,
            role,
            &a.password_hash,
            now,
        )
        .await?;
        sqlx::query(
            "UPDATE people SET job_title = COALESCE($2, job_title), competences = COALESCE($3, competences), \
             languages = COALESCE($4, languages), location = COALESCE($5, location), \
             phone_extension = COALESCE($6, phone_extension) WHERE id = $1",
        )
        .bind(user.to_string())
        .bind(profile.job_title)
        .bind(profile.competences.as_ref().map(super::to_json))
        .bind(profile.languages.as_ref().map(super::to_json))
        .bind(profile.location)
        .bind(profile.phone_extension)
        .execute(&mut *tx)
        .await?;
        for team in team_ids {
            // A team deleted since the invitation was made is skipped.
            if super::teams::require_team(&mut tx, org, team).await.is_ok() {
                super::teams::upsert_member(&mut tx, org, team, user, TeamRole::Member, now)
                    .await?;
            }
        }
        sqlx::query("UPDATE invitations SET accepted_person = $2 WHERE code_hash = $1")
            .bind(&a.code_hash)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        let (device, session) = insert_session(&mut tx, org, user, &a.new_session, now).await?;
        super::people::refresh_name_skeleton(&mut tx, org, &[user]).await?;
        super::people::announce_namesakes(&mut tx, org, user, None, now).await?;
        let ctx = AuditCtx {
            actor: Some(user),
            address: a.address.clone(),
            now,
        };
        audit::record(
            &mut tx,
            org,
            &ctx,
            "invitation.accept",
            "person",
            Some(user.to_string()),
            serde_json::json!({ "email": email, "role": role }),
        )
        .await?;
        super::people::emit_person_changed(&mut tx, org, user, now).await?;
        tx.commit().await?;
        Ok(LoginIds {
            org,
            user,
            device,
            session,
        })
    }

    /// First start: creates the first organisation and its owner with a session, in one
    /// transaction, only while no organisation exists (`already_set_up` otherwise; the
    /// `server_setup` row refuses a second setup racing this one).
    pub async fn first_start(&self, f: &FirstStart, now: i64) -> StoreResult<LoginIds> {
        let mut tx = self.begin().await?;
        let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
            .fetch_one(&mut *tx)
            .await?;
        if orgs > 0 {
            return Err(StoreError::refused(ErrorCode::AlreadySetUp));
        }
        let org = OrgId::new();
        let claimed = sqlx::query(
            "INSERT INTO server_setup (id, org_id, done_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(org.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Err(StoreError::refused(ErrorCode::AlreadySetUp));
        }
        super::orgs::insert_org(&mut tx, org, &f.org_name, &f.slug, now).await?;
        let user = insert_person(
            &mut tx,
            org,
            &f.email,
            &f.display_name,
            OrgRole::Owner,
            &f.password_hash,
            now,
        )
        .await?;
        let (device, session) = insert_session(&mut tx, org, user, &f.new_session, now).await?;
        super::people::refresh_name_skeleton(&mut tx, org, &[user]).await?;
        let ctx = AuditCtx {
            actor: Some(user),
            address: f.address.clone(),
            now,
        };
        audit::record(
            &mut tx,
            org,
            &ctx,
            "org.create",
            "org",
            Some(org.to_string()),
            serde_json::json!({ "name": f.org_name, "owner_email": f.email, "first_start": true }),
        )
        .await?;
        super::people::emit_person_changed(&mut tx, org, user, now).await?;
        tx.commit().await?;
        Ok(LoginIds {
            org,
            user,
            device,
            session,
        })
    }

    /// The password hash and status of the account with this address in this organisation.
    pub async fn credentials(&self, org: OrgId, email: &str) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(
            "SELECT id, password_hash, status, role FROM people WHERE org_id = $1 AND email = $2",
        )
        .bind(org.to_string())
        .bind(email)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(Credentials {
                user: col_parse(&row, "id")?,
                password_hash: col_str(&row, "password_hash")?,
                status: PersonStatus::parse(&col_str(&row, "status")?)
                    .ok_or(StoreError::Corrupt("status"))?,
                role: OrgRole::parse(&col_str(&row, "role")?).ok_or(StoreError::Corrupt("role"))?,
            })
        })
        .transpose()
    }

    /// Creates a device and a session for a person who has proved their password. The
    /// credential of `replaces` (the known device the login came from) is retired: the
    /// installation holds the new device's from now on.
    pub async fn create_login(
        &self,
        org: OrgId,
        user: PersonId,
        new: &NewSession,
        replaces: Option<DeviceId>,
        now: i64,
    ) -> StoreResult<LoginIds> {
        let mut tx = self.begin_org(org).await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM people WHERE org_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(user.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if status.as_deref() != Some("active") {
            return Err(StoreError::refused(ErrorCode::AccountDisabled));
        }
        if let Some(old) = replaces {
            sqlx::query("DELETE FROM device_credentials WHERE device_id = $1 AND person_id = $2")
                .bind(old.to_string())
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let (device, session) = insert_session(&mut tx, org, user, new, now).await?;
        tx.commit().await?;
        Ok(LoginIds {
            org,
            user,
            device,
            session,
        })
    }

    /// What a session token (by its hash) stands for, if the session and its device are live.
    /// Expiry and account status are for the caller to check.
    pub async fn auth_by_token(&self, token_hash: &str) -> StoreResult<Option<AuthRecord>> {
        let row = sqlx::query(
            "SELECT s.id, s.org_id, s.person_id, s.device_id, s.expires_at, s.last_used_at, u.role, u.status \
             FROM sessions s \
             JOIN devices d ON d.id = s.device_id AND d.revoked_at IS NULL \
             JOIN people u ON u.id = s.person_id AND u.org_id = s.org_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(AuthRecord {
                org: col_parse(&row, "org_id")?,
                user: col_parse(&row, "person_id")?,
                device: col_parse(&row, "device_id")?,
                session: col_parse(&row, "id")?,
                role: OrgRole::parse(&col_str(&row, "role")?).ok_or(StoreError::Corrupt("role"))?,
                status: PersonStatus::parse(&col_str(&row, "status")?)
                    .ok_or(StoreError::Corrupt("status"))?,
                expires_at: col_i64(&row, "expires_at")?,
                last_used_at: col_i64(&row, "last_used_at")?,
            })
        })
        .transpose()
    }

    /// Notes that a session (and its device) was used.
    pub async fn touch_session(&self, a: &AuthRecord, now: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE sessions SET last_used_at = $2 WHERE id = $1")
            .bind(a.session.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE devices SET last_seen_at = $2 WHERE id = $1")
            .bind(a.device.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends one session of `user`. Returns false when there was no such live session.
    pub async fn end_session(
        &self,
        org: OrgId,
        user: PersonId,
        session: SessionId,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $4 WHERE org_id = $1 AND person_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(session.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        emit(
            &mut tx,
            org,
            Audience::User(user),
            &EventKind::SessionEnded {
                session_id: session,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes one of `user`'s devices with its sessions; returns the ended sessions.
    pub async fn revoke_device(
        &self,
        org: OrgId,
        user: PersonId,
        device: DeviceId,
        now: i64,
    ) -> StoreResult<Vec<SessionId>> {
        let mut tx = self.begin_org(org).await?;
        let done = sqlx::query(
            "UPDATE devices SET revoked_at = $4 WHERE org_id = $1 AND person_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(device.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND device_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(org.to_string())
        .bind(device.to_string())
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut sessions = Vec::new();
        for id in ids {
            let s: SessionId = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
            emit(
                &mut tx,
                org,
                Audience::User(user),
                &EventKind::SessionEnded { session_id: s },
                now,
            )
            .await?;
            sessions.push(s);
        }
        emit(
            &mut tx,
            org,
            Audience::User(user),
            &EventKind::DeviceRevoked { device_id: device },
            now,
        )
        .await?;
        super::conversations::retire_devices(&mut tx, &[device]).await?;
        tx.commit().await?;
        Ok(sessions)
    }

    /// `user`'s devices, revoked ones included, newest first.
    pub async fn devices(&self, org: OrgId, user: PersonId) -> StoreResult<Vec<Device>> {
        let rows = sqlx::query(
            "SELECT id, name, platform, created_at, last_seen_at, revoked_at FROM devices \
             WHERE org_id = $1 AND person_id = $2 ORDER BY created_at DESC, id DESC",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Device {
                    id: col_parse(row, "id")?,
                    name: col_str(row, "name")?,
                    platform: col_str(row, "platform")?,
                    created_at: fmt_ms(col_i64(row, "created_at")?),
                    last_seen_at: fmt_ms(col_i64(row, "last_seen_at")?),
                    revoked: col_opt_i64(row, "revoked_at")?.is_some(),
                    current: false,
                })
            })
            .collect()
    }

    /// `user`'s live sessions, newest first.
    pub async fn sessions(
        &self,
        org: OrgId,
        user: PersonId,
        now: i64,
    ) -> StoreResult<Vec<SessionInfo>> {
        let rows = sqlx::query(
            "SELECT s.id, s.device_id, s.created_at, s.expires_at, s.last_used_at FROM sessions s \
             JOIN devices d ON d.id = s.device_id AND d.revoked_at IS NULL \
             WHERE s.org_id = $1 AND s.person_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 \
             ORDER BY s.created_at DESC, s.id DESC",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SessionInfo {
                    id: col_parse(row, "id")?,
                    device_id: col_parse(row, "device_id")?,
                    created_at: fmt_ms(col_i64(row, "created_at")?),
                    expires_at: fmt_ms(col_i64(row, "expires_at")?),
                    last_used_at: fmt_ms(col_i64(row, "last_used_at")?),
                    current: false,
                })
            })
            .collect()
    }

    /// Sets a new password hash and ends every other session of the person.
    pub async fn set_password(
        &self,
        org: OrgId,
        user: PersonId,
        password_hash: &str,
        keep: SessionId,
        now: i64,
    ) -> StoreResult<Vec<SessionId>> {
        let mut tx = self.begin_org(org).await?;
        sqlx::query(
            "UPDATE people SET password_hash = $3, updated_at = $4 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let ended = end_sessions(&mut tx, org, user, Some(keep), now).await?;
        tx.commit().await?;
        Ok(ended)
    }
}
