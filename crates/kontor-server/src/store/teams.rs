//! Teams: nested, of several kinds, with members and leads.

use super::events::{Audience, emit};
use super::{
    AuditCtx, StoreError, StoreResult, Tx, audit, col_i64, col_opt_parse, col_parse, col_str,
};
use crate::clock::fmt_ms;
use kontor_proto::api::{Team, TeamKind, TeamMember, TeamRole};
use kontor_proto::{ErrorCode, EventKind, OrgId, PersonId, TeamId};
use sqlx::any::AnyRow;

const TEAM_COLUMNS: &str = "t.id, t.name, t.kind, t.parent_id, t.description, t.created_at, \
    (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS member_count";

fn team_from_row(row: &AnyRow) -> StoreResult<Team> {
    Ok(Team {
        id: col_parse(row, "id")?,
        name: col_str(row, "name")?,
        kind: TeamKind::parse(&col_str(row, "kind")?).ok_or(StoreError::Corrupt("kind"))?,
        parent_id: col_opt_parse(row, "parent_id")?,
        description: col_str(row, "description")?,
        member_count: col_i64(row, "member_count")? as u64,
        created_at: fmt_ms(col_i64(row, "created_at")?),
    })
}

async fn load_team(tx: &mut Tx, org: OrgId, team: TeamId) -> StoreResult<Team> {
    let row = sqlx::query(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.id = $2"
    ))
    .bind(org.to_string())
    .bind(team.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    team_from_row(&row)
}

/// Fails with `NotFound` unless the team exists in this organisation.
pub(crate) async fn require_team(tx: &mut Tx, org: OrgId, team: TeamId) -> StoreResult<()> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM teams WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(team.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    found
        .map(|_| ())
        .ok_or(StoreError::refused_field(ErrorCode::NotFound, "team_ids"))
}

pub(crate) async fn upsert_member(
    tx: &mut Tx,
    org: OrgId,
    team: TeamId,
    user: PersonId,
    role: TeamRole,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO team_members (team_id, person_id, org_id, role, added_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (team_id, person_id) DO UPDATE SET role = $4",
    )
    .bind(team.to_string())
    .bind(user.to_string())
    .bind(org.to_string())
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Refuses a parent that is the team itself or one of its descendants.
async fn check_parent(
    tx: &mut Tx,
    org: OrgId,
    team: Option<TeamId>,
    parent: TeamId,
) -> StoreResult<()> {
    let mut cursor = Some(parent);
    let mut hops = 0;
    while let Some(current) = cursor {
        if Some(current) == team || hops > 64 {
            return Err(StoreError::refused_field(ErrorCode::Conflict, "parent_id"));
        }
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT parent_id FROM teams WHERE org_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(current.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        let Some(next) = row else {
            return Err(StoreError::refused_field(ErrorCode::NotFound, "parent_id"));
        };
        cursor = next.and_then(|s| s.parse().ok());
        hops += 1;
    }
    Ok(())
}

async fn member_ids(tx: &mut Tx, org: OrgId, team: TeamId) -> StoreResult<Vec<PersonId>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT person_id FROM team_members WHERE org_id = $1 AND team_id = $2")
            .bind(org.to_string())
            .bind(team.to_string())
            .fetch_all(&mut **tx)
            .await?;
    ids.iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("person_id")))
        .collect()
}

/// A new team, validated.
#[derive(Clone, Debug)]
pub struct NewTeam {
    pub name: String,
    pub kind: TeamKind,
    pub parent_id: Option<TeamId>,
    pub description: String,
}

/// A validated team change.
#[derive(Clone, Debug, Default)]
pub struct TeamChange {
    pub name: Option<String>,
    pub kind: Option<TeamKind>,
    /// `Some(None)` makes the team top-level.
    pub parent_id: Option<Option<TeamId>>,
    pub description: Option<String>,
}

impl super::Store {
    pub async fn create_team(
        &self,
        org: OrgId,
        new: &NewTeam,
        ctx: &AuditCtx,
    ) -> StoreResult<Team> {
        let mut tx = self.begin_org(org).await?;
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT id FROM teams WHERE org_id = $1 AND LOWER(name) = LOWER($2)",
        )
        .bind(org.to_string())
        .bind(&new.name)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "name"));
        }
        if let Some(parent) = new.parent_id {
            check_parent(&mut tx, org, None, parent).await?;
        }
        let id = TeamId::new();
        sqlx::query(
            "INSERT INTO teams (id, org_id, name, kind, parent_id, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&new.name)
        .bind(new.kind.as_str())
        .bind(new.parent_id.map(|p| p.to_string()))
        .bind(&new.description)
        .bind(ctx.now)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            org,
            ctx,
            "team.create",
            "team",
            Some(id.to_string()),
            serde_json::json!({ "name": new.name, "kind": new.kind, "parent_id": new.parent_id }),
        )
        .await?;
        let team = load_team(&mut tx, org, id).await?;
        emit(
            &mut tx,
            org,
            Audience::Members,
            &EventKind::TeamChanged { team: team.clone() },
            ctx.now,
        )
        .await?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn update_team(
        &self,
        org: OrgId,
        team: TeamId,
        change: &TeamChange,
        ctx: &AuditCtx,
    ) -> StoreResult<Team> {
        let mut tx = self.begin_org(org).await?;
        let before = load_team(&mut tx, org, team).await?;
        if let Some(name) = &change.name {
            let taken: Option<String> = sqlx::query_scalar(
                "SELECT id FROM teams WHERE org_id = $1 AND LOWER(name) = LOWER($2) AND id <> $3",
            )
            .bind(org.to_string())
            .bind(name)
            .bind(team.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "name"));
            }
        }
        if let Some(Some(parent)) = change.parent_id {
            check_parent(&mut tx, org, Some(team), parent).await?;
        }
        let (set_parent, parent) = match change.parent_id {
            None => (0_i64, None),
            Some(p) => (1, p.map(|p| p.to_string())),
        };
        sqlx::query(
            "UPDATE teams SET name = COALESCE($3, name), kind = COALESCE($4, kind), \
             parent_id = CASE WHEN $5 = 1 THEN $6 ELSE parent_id END, \
             description = COALESCE($7, description), updated_at = $8 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(team.to_string())
        .bind(change.name.clone())
        .bind(change.kind.map(|k| k.as_str().to_owned()))
        .bind(set_parent)
        .bind(parent)
        .bind(change.description.clone())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await?;
        let after = load_team(&mut tx, org, team).await?;
        audit::record(&mut tx, org, ctx, "team.update", "team", Some(team.to_string()), serde_json::json!({ "from": { "name": before.name, "kind": before.kind, "parent_id": before.parent_id }, "to": { "name": after.name, "kind": after.kind, "parent_id": after.parent_id } })).await?;
        emit(
            &mut tx,
            org,
            Audience::Members,
            &EventKind::TeamChanged {
                team: after.clone(),
            },
            ctx.now,
        )
        .await?;
        if before.name != after.name || before.kind != after.kind {
            let members = member_ids(&mut tx, org, team).await?;
            for m in members {
                super::people::emit_person_changed(&mut tx, org, m, ctx.now).await?;
            }
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a team without sub-teams; its members stay in the organisation.
    pub async fn delete_team(&self, org: OrgId, team: TeamId, ctx: &AuditCtx) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let before = load_team(&mut tx, org, team).await?;
        let children: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM teams WHERE org_id = $1 AND parent_id = $2")
                .bind(org.to_string())
                .bind(team.to_string())
                .fetch_one(&mut *tx)
                .await?;
        if children > 0 {
            return Err(StoreError::refused(ErrorCode::TeamHasChildren));
        }
        let members = member_ids(&mut tx, org, team).await?;
        sqlx::query("DELETE FROM team_members WHERE org_id = $1 AND team_id = $2")
            .bind(org.to_string())
            .bind(team.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM teams WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(team.to_string())
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            org,
            ctx,
            "team.delete",
            "team",
            Some(team.to_string()),
            serde_json::json!({ "name": before.name, "members": members.len() }),
        )
        .await?;
        emit(
            &mut tx,
            org,
            Audience::Members,
            &EventKind::TeamDeleted { team_id: team },
            ctx.now,
        )
        .await?;
        for m in members {
            super::people::emit_person_changed(&mut tx, org, m, ctx.now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a person to a team, or changes their role in it.
    pub async fn set_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: PersonId,
        role: TeamRole,
        ctx: &AuditCtx,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        load_team(&mut tx, org, team).await?;
        super::people::load_person(&mut tx, org, user).await?;
        upsert_member(&mut tx, org, team, user, role, ctx.now).await?;
        audit::record(
            &mut tx,
            org,
            ctx,
            "team.member.set",
            "team",
            Some(team.to_string()),
            serde_json::json!({ "person_id": user, "role": role }),
        )
        .await?;
        let t = load_team(&mut tx, org, team).await?;
        emit(
            &mut tx,
            org,
            Audience::Members,
            &EventKind::TeamChanged { team: t },
            ctx.now,
        )
        .await?;
        super::people::emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: PersonId,
        ctx: &AuditCtx,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let done = sqlx::query(
            "DELETE FROM team_members WHERE org_id = $1 AND team_id = $2 AND person_id = $3",
        )
        .bind(org.to_string())
        .bind(team.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            org,
            ctx,
            "team.member.remove",
            "team",
            Some(team.to_string()),
            serde_json::json!({ "person_id": user }),
        )
        .await?;
        let t = load_team(&mut tx, org, team).await?;
        emit(
            &mut tx,
            org,
            Audience::Members,
            &EventKind::TeamChanged { team: t },
            ctx.now,
        )
        .await?;
        super::people::emit_person_changed(&mut tx, org, user, ctx.now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every team's id and parent, for walking the tree.
    pub async fn team_tree(&self, org: OrgId) -> StoreResult<Vec<(TeamId, Option<TeamId>)>> {
        let rows = sqlx::query("SELECT id, parent_id FROM teams WHERE org_id = $1")
            .bind(org.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| Ok((col_parse(row, "id")?, col_opt_parse(row, "parent_id")?)))
            .collect()
    }

    /// All teams of the organisation, by name.
    pub async fn teams(&self, org: OrgId) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query(&format!(
            "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.org_id = $1"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        let mut teams = rows
            .iter()
            .map(team_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        // Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
        teams.sort_by_cached_key(|t| crate::search::fold(&t.name));
        Ok(teams)
    }

    pub async fn team(&self, org: OrgId, team: TeamId) -> StoreResult<Team> {
        let row = sqlx::query(&format!(
            "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.id = $2"
        ))
        .bind(org.to_string())
        .bind(team.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        team_from_row(&row)
    }

    /// A team's members, leads first, then by name.
    pub async fn team_members(&self, org: OrgId, team: TeamId) -> StoreResult<Vec<TeamMember>> {
        let rows = sqlx::query(
            "SELECT tm.person_id, tm.role, u.display_name FROM team_members tm JOIN people u ON u.id = tm.person_id \
             WHERE tm.org_id = $1 AND tm.team_id = $2",
        )
        .bind(org.to_string())
        .bind(team.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TeamMember {
                    person_id: col_parse(row, "person_id")?,
                    display_name: col_str(row, "display_name")?,
                    role: TeamRole::parse(&col_str(row, "role")?)
                        .ok_or(StoreError::Corrupt("role"))?,
                })
            })
            .collect::<StoreResult<Vec<TeamMember>>>()
            .map(|mut members| {
                members.sort_by_cached_key(|m| {
                    (
                        m.role != TeamRole::Lead,
                        crate::search::fold(&m.display_name),
                    )
                });
                members
            })
    }
}
