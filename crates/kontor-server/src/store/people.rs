//! People: profiles, roles, status, avatars and directory candidates.

use super::events::{Audience, emit};
use super::{
    AuditCtx, StoreError, StoreResult, Tx, audit, col_i64, col_json, col_opt_i64, col_parse,
    col_str, placeholders,
};
use crate::clock::fmt_ms;
use kontor_proto::api::{
    OrgRole, Person, PersonStatus, ProfilePatch, TeamKind, TeamMembership, TeamRole,
};
use kontor_proto::{ErrorCode, EventKind, OrgId, PersonId};
use sqlx::AnyConnection;
use std::collections::HashMap;

const PERSON_COLUMNS: &str = "u.id, u.display_name, u.email, u.role, u.status, u.job_title, \
    u.competences, u.languages, u.location, u.phone_extension, u.created_at, u.status_since, \
    (SELECT COUNT(*) FROM avatars a WHERE a.person_id = u.id) AS avatar_count, \
    (SELECT COUNT(*) FROM people n WHERE n.org_id = u.org_id AND n.name_skeleton = u.name_skeleton \
       AND n.id <> u.id) AS namesakes";

/// Loads people of one organisation with their teams, in the order of `ids`; unknown ids are
/// left out.
pub(crate) async fn load_people(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[PersonId],
) -> StoreResult<Vec<Person>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut people: HashMap<PersonId, Person> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people u WHERE u.org_id = $1 AND u.id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let p = Person {
                id: col_parse(&row, "id")?,
                display_name: col_str(&row, "display_name")?,
                email: col_str(&row, "email")?,
                role: OrgRole::parse(&col_str(&row, "role")?).ok_or(StoreError::Corrupt("role"))?,
                status: PersonStatus::parse(&col_str(&row, "status")?)
                    .ok_or(StoreError::Corrupt("status"))?,
                job_title: col_str(&row, "job_title")?,
                competences: col_json(&row, "competences")?,
                languages: col_json(&row, "languages")?,
                location: col_str(&row, "location")?,
                phone_extension: col_str(&row, "phone_extension")?,
                has_avatar: col_i64(&row, "avatar_count")? > 0,
                teams: Vec::new(),
                created_at: fmt_ms(col_i64(&row, "created_at")?),
                status_since: col_opt_i64(&row, "status_since")?.map(fmt_ms),
                disambiguator: None,
            };
            let p = Person {
                disambiguator: (col_i64(&row, "namesakes")? > 0).then(|| p.email.clone()),
                ..p
            };
            people.insert(p.id, p);
        }
        let sql = format!(
            "SELECT tm.person_id, tm.team_id, tm.role, t.name, t.kind FROM team_members tm \
             JOIN teams t ON t.id = tm.team_id \
             WHERE tm.org_id = $1 AND tm.person_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let user: PersonId = col_parse(&row, "person_id")?;
            if let Some(p) = people.get_mut(&user) {
                p.teams.push(TeamMembership {
                    team_id: col_parse(&row, "team_id")?,
                    name: col_str(&row, "name")?,
                    kind: TeamKind::parse(&col_str(&row, "kind")?)
                        .ok_or(StoreError::Corrupt("kind"))?,
                    role: TeamRole::parse(&col_str(&row, "role")?)
                        .ok_or(StoreError::Corrupt("role"))?,
                });
            }
        }
    }
    // Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
    for p in people.values_mut() {
        p.teams.sort_by_cached_key(|t| crate::search::fold(&t.name));
    }
    Ok(ids.iter().filter_map(|id| people.remove(id)).collect())
}

pub(crate) async fn load_person(tx: &mut Tx, org: OrgId, user: PersonId) -> StoreResult<Person> {
    load_people(&mut *tx, org, &[user])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Recomputes what these people's display names look like (`search::skeleton`), which
/// decides who carries a disambiguator (after a new person or a name change).
pub(crate) async fn refresh_name_skeleton(
    tx: &mut Tx,
    org: OrgId,
    users: &[PersonId],
) -> StoreResult<()> {
    for person in load_people(&mut *tx, org, users).await? {
        sqlx::query("UPDATE people SET name_skeleton = $3 WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(person.id.to_string())
            .bind(crate::search::skeleton(&person.display_name))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// After `user`'s name changed (from one that looked like `before`, if any): the people
/// whose name looks like the old or the new one gain or lose their disambiguator, so they
/// are announced again.
pub(crate) async fn announce_namesakes(
    tx: &mut Tx,
    org: OrgId,
    user: PersonId,
    before: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT n.id FROM people n JOIN people u ON u.org_id = n.org_id AND u.id = $2 \
         WHERE n.org_id = $1 AND n.id <> $2 AND (n.name_skeleton = u.name_skeleton OR n.name_skeleton = $3) \
         ORDER BY n.id",
    )
    .bind(org.to_string())
    .bind(user.to_string())
    .bind(before.unwrap_or_default())
    .fetch_all(&mut **tx)
    .await?;
    for id in ids {
        let other = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
        emit_person_changed(tx, org, other, now).await?;
    }
    Ok(())
}

/// Tells the organisation that a person changed, with their new state.
pub(crate) async fn emit_person_changed(
    tx: &mut Tx,
    org: OrgId,
    user: PersonId,
    now: i64,
) -> StoreResult<Person> {
    let person = load_person(tx, org, user).await?;
    let event = EventKind::PersonChanged {
        person: person.clone(),
    };
    emit(tx, org, Audience::Members, &event, now).await?;
    if person.role == OrgRole::Guest {
        emit(tx, org, Audience::User(user), &event, now).await?;
    }
    Ok(person)
}

impl super::Store {
    pub async fn person(&self, org: OrgId, user: PersonId) -> StoreResult<Person> {
        let mut conn = self.read.acquire().await?;
        load_people(&mut conn, org, &[user])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Every person of the organisation, whatever their status.
    pub async fn person_ids(&self, org: OrgId) -> StoreResult<Vec<PersonId>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1")
            .bind(org.to_string())
            .fetch_all(&self.read)
            .await?;
        ids.iter()
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt("id")))
            .collect()
    }

    pub async fn people(&self, org: OrgId, ids: &[PersonId]) -> StoreResult<Vec<Person>> {
        let mut conn = self.read.acquire().await?;
        load_people(&mut conn, org, ids).await
    }

    /// Whether two people share at least one team.
    pub async fn share_team(&self, org: OrgId, a: PersonId, b: PersonId) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM team_members x JOIN team_members y ON x.team_id = y.team_id \
             WHERE x.org_id = $1 AND x.person_id = $2 AND y.person_id = $3",
        )
        .bind(org.to_string())
        .bind(a.to_string())
        .bind(b.to_string())
        .fetch_one(&self.read)
        .await?;
        Ok(n > 0)
    }

    /// Applies a validated profile change.
    pub async fn update_profile(
        &self,
        org: OrgId,
        user: PersonId,
        patch: &ProfilePatch,
        ctx: &AuditCtx,
    ) -> StoreResult<Person> {
        let mut tx = self.begin_org(org).await?;
        let before = load_person(&mut tx, org, user).await?;
        let competences = patch.competences.as_ref().map(super::to_json);
        let languages = patch.languages.as_ref().map(super::to_json);
        sqlx::query(
            "UPDATE people SET \
               display_name = COALESCE($3, display_name), job_title = COALESCE($4, job_title), \
               competences = COALESCE($5, competences), languages = COALESCE($6, languages), \
               location = COALESCE($7, location), phone_extension = COALESCE($8, phone_extension), \
               updated_at = $9 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(patch.display_name.clone())
        .bind(patch.job_title.clone())
        .bind(competences)
        .bind(languages)
        .bind(patch.location.clone())
        .bind(patch.phone_extension.clone())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await?;
        refresh_name_skeleton(&mut tx, org, &[user]).await?;
        let old_skeleton = crate::search::skeleton(&before.display_name);
        if patch.display_name.is_some() {
            announce_namesakes(&mut tx, org, user, Some(&old_skeleton), ctx.now).await?;
        }
        if ctx.actor != Some(user) {
            let changed: Vec<&str> = [
                ("display_name", patch.display_name.is_some()),
                ("job_title", patch.job_title.is_some()),
                ("competences", patch.competences.is_some()),
                ("languages", patch.languages.is_some()),
                ("location", patch.location.is_some()),
                ("phone_extension", patch.phone_extension.is_some()),
            ]
            .into_iter()
            .filter_map(|(f, set)| set.then_some(f))
            .collect();
            audit::record(&mut tx, org, ctx, "person.update", "person", Some(user.to_string()), serde_json::json!({ "fields": changed, "display_name_before": before.display_name })).await?;
        }
        let person = emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok(person)
    }

    /// Changes a person's role. The last owner stays an owner.
    pub async fn set_role(
        &self,
        org: OrgId,
        user: PersonId,
        role: OrgRole,
        ctx: &AuditCtx,
    ) -> StoreResult<Person> {
        let mut tx = self.begin_org(org).await?;
        let before = load_person(&mut tx, org, user).await?;
        if before.role == OrgRole::Owner && role != OrgRole::Owner {
            let owners: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM people WHERE org_id = $1 AND role = 'owner' AND status = 'active'",
            )
            .bind(org.to_string())
            .fetch_one(&mut *tx)
            .await?;
            if owners <= 1 {
                return Err(StoreError::refused(ErrorCode::LastOwner));
            }
        }
        sqlx::query("UPDATE people SET role = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(user.to_string())
            .bind(role.as_str())
            .bind(ctx.now)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            org,
            ctx,
            "person.role",
            "person",
            Some(user.to_string()),
            serde_json::json!({ "from": before.role, "to": role }),
        )
        .await?;
        let person = emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok(person)
    }

    /// Suspends, reactivates or deprovisions a person. Suspending ends every session;
    /// deprovisioning also revokes every device. Returns the person and the ended sessions.
    pub async fn set_status(
        &self,
        org: OrgId,
        user: PersonId,
        status: PersonStatus,
        ctx: &AuditCtx,
    ) -> StoreResult<(Person, Vec<kontor_proto::SessionId>)> {
        let mut tx = self.begin_org(org).await?;
        let before = load_person(&mut tx, org, user).await?;
        if before.status == PersonStatus::Deprovisioned {
            return Err(StoreError::refused(ErrorCode::Conflict));
        }
        if before.role == OrgRole::Owner && status != PersonStatus::Active {
            let owners: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM people WHERE org_id = $1 AND role = 'owner' AND status = 'active' AND id <> $2",
            )
            .bind(org.to_string())
            .bind(user.to_string())
            .fetch_one(&mut *tx)
            .await?;
            if owners == 0 {
                return Err(StoreError::refused(ErrorCode::LastOwner));
            }
        }
        sqlx::query(
            "UPDATE people SET status = $3, updated_at = $4, status_since = $4 WHERE org_id = $1 AND id = $2",
        )
            .bind(org.to_string())
            .bind(user.to_string())
            .bind(status.as_str())
            .bind(ctx.now)
            .execute(&mut *tx)
            .await?;
        let mut ended = Vec::new();
        if status != PersonStatus::Active {
            ended = super::accounts::end_sessions(&mut tx, org, user, None, ctx.now).await?;
        }
        if status == PersonStatus::Deprovisioned {
            super::accounts::revoke_devices(&mut tx, org, user, ctx.now).await?;
            sqlx::query("DELETE FROM avatars WHERE person_id = $1")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let action = match status {
            PersonStatus::Active => "person.reactivate",
            PersonStatus::Suspended => "person.suspend",
            PersonStatus::Deprovisioned => "person.deprovision",
        };
        audit::record(
            &mut tx,
            org,
            ctx,
            action,
            "person",
            Some(user.to_string()),
            serde_json::json!({ "from": before.status, "sessions_ended": ended.len() }),
        )
        .await?;
        emit(
            &mut tx,
            org,
            Audience::User(user),
            &EventKind::AccountStatusChanged { status },
            ctx.now,
        )
        .await?;
        let person = emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok((person, ended))
    }

    /// Stores a checked avatar image.
    pub async fn set_avatar(
        &self,
        org: OrgId,
        user: PersonId,
        content_type: &str,
        bytes: &[u8],
        ctx: &AuditCtx,
    ) -> StoreResult<Person> {
        let mut tx = self.begin_org(org).await?;
        load_person(&mut tx, org, user).await?;
        sqlx::query(
            "INSERT INTO avatars (person_id, org_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (person_id) DO UPDATE SET content_type = $3, bytes = $4, updated_at = $5",
        )
        .bind(user.to_string())
        .bind(org.to_string())
        .bind(content_type)
        .bind(bytes.to_vec())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await?;
        if ctx.actor != Some(user) {
            audit::record(
                &mut tx,
                org,
                ctx,
                "person.avatar",
                "person",
                Some(user.to_string()),
                serde_json::json!({ "content_type": content_type, "bytes": bytes.len() }),
            )
            .await?;
        }
        let person = emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok(person)
    }

    pub async fn delete_avatar(
        &self,
        org: OrgId,
        user: PersonId,
        ctx: &AuditCtx,
    ) -> StoreResult<Person> {
        let mut tx = self.begin_org(org).await?;
        let done = sqlx::query("DELETE FROM avatars WHERE org_id = $1 AND person_id = $2")
            .bind(org.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if ctx.actor != Some(user) {
            audit::record(
                &mut tx,
                org,
                ctx,
                "person.avatar.delete",
                "person",
                Some(user.to_string()),
                serde_json::json!({}),
            )
            .await?;
        }
        let person = emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok(person)
    }

    /// A person's avatar: content type and bytes.
    pub async fn avatar(&self, org: OrgId, user: PersonId) -> StoreResult<(String, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT content_type, bytes FROM avatars WHERE org_id = $1 AND person_id = $2",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let bytes: Vec<u8> =
            sqlx::Row::try_get(&row, "bytes").map_err(|_| StoreError::Corrupt("bytes"))?;
        Ok((col_str(&row, "content_type")?, bytes))
    }
}
