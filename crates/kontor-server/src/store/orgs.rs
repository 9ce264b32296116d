//! Organisations and their policies.

use super::events::{Audience, emit};
use super::{AuditCtx, StoreError, StoreResult, audit, col_i64, col_json, col_parse, col_str};
use crate::clock::fmt_ms;
use kontor_proto::api::{Org, Policies};
use kontor_proto::{ErrorCode, EventKind, OrgId};
use sqlx::any::AnyRow;

fn org_from_row(row: &AnyRow) -> StoreResult<Org> {
    Ok(Org {
        id: col_parse(row, "id")?,
        name: col_str(row, "name")?,
        slug: col_str(row, "slug")?,
        created_at: fmt_ms(col_i64(row, "created_at")?),
    })
}

/// A new invitation, with the hash of its code (the code itself is never stored).
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub email: String,
    pub role: kontor_proto::api::Role,
    pub display_name: Option<String>,
    pub team_ids: Vec<kontor_proto::TeamId>,
    /// Profile fields applied when the invitation is accepted (validated).
    pub profile: kontor_proto::api::ProfilePatch,
    pub code_hash: String,
    pub expires_at: i64,
}

impl super::Store {
    /// Creates an organisation and the invitation of its first owner.
    pub async fn create_org(
        &self,
        name: &str,
        slug: &str,
        owner: &NewInvitation,
        ctx: &AuditCtx,
    ) -> StoreResult<(Org, kontor_proto::api::Invitation)> {
        let mut tx = self.begin().await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "name"));
        }
        let id = OrgId::new();
        sqlx::query(
            "INSERT INTO orgs (id, name, slug, policies, event_seq, created_at) VALUES ($1, $2, $3, $4, 0, $5)",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(slug)
        .bind(super::to_json(&Policies::default()))
        .bind(ctx.now)
        .execute(&mut *tx)
        .await?;
        let invitation = super::accounts::insert_invitation(&mut tx, id, owner, ctx).await?;
        audit::record(
            &mut tx,
            id,
            ctx,
            "org.create",
            "org",
            Some(id.to_string()),
            serde_json::json!({ "name": name, "owner_email": owner.email }),
        )
        .await?;
        tx.commit().await?;
        let org = Org {
            id,
            name: name.to_owned(),
            slug: slug.to_owned(),
            created_at: fmt_ms(ctx.now),
        };
        Ok((org, invitation))
    }

    /// Whether any organisation exists (first start).
    pub async fn has_orgs(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
            .fetch_one(&self.read)
            .await?;
        Ok(n > 0)
    }

    pub async fn org(&self, org: OrgId) -> StoreResult<Org> {
        let row = sqlx::query("SELECT id, name, slug, created_at FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        org_from_row(&row)
    }

    pub async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>> {
        let row = sqlx::query("SELECT id, name, slug, created_at FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    pub async fn rename_org(&self, org: OrgId, name: &str, ctx: &AuditCtx) -> StoreResult<Org> {
        let mut tx = self.begin_org(org).await?;
        let old: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE orgs SET name = $2 WHERE id = $1")
            .bind(org.to_string())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            org,
            ctx,
            "org.rename",
            "org",
            Some(org.to_string()),
            serde_json::json!({ "from": old, "to": name }),
        )
        .await?;
        tx.commit().await?;
        self.org(org).await
    }

    pub async fn policies(&self, org: OrgId) -> StoreResult<Policies> {
        let row = sqlx::query("SELECT policies FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        col_json(&row, "policies")
    }

    /// Replaces the policies with `next` (already validated) and tells every member.
    pub async fn set_policies(
        &self,
        org: OrgId,
        next: &Policies,
        ctx: &AuditCtx,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let row = sqlx::query("SELECT policies FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before: Policies = col_json(&row, "policies")?;
        sqlx::query("UPDATE orgs SET policies = $2 WHERE id = $1")
            .bind(org.to_string())
            .bind(super::to_json(next))
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            org,
            ctx,
            "org.policies",
            "org",
            Some(org.to_string()),
            serde_json::json!({ "from": before, "to": next }),
        )
        .await?;
        let event = EventKind::PoliciesChanged {
            policies: next.clone(),
        };
        emit(&mut tx, org, Audience::All, &event, ctx.now).await?;
        tx.commit().await?;
        Ok(())
    }
}
