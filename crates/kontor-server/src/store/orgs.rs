//! Organisations and their policies.

use super::events::{Audience, emit};
use super::{
    AuditCtx, StoreError, StoreResult, audit, col_i64, col_json, col_opt_str, col_parse, col_str,
};
use crate::clock::fmt_ms;
use kontor_proto::api::{Org, Policies};
use kontor_proto::{ErrorCode, EventKind, OrgId};
use sqlx::any::AnyRow;

/// The columns of an organisation as [`org_from_row`] reads them.
const ORG_COLUMNS: &str = "id, name, slug, accent_color, secondary_color, app_name, created_at, \
    (SELECT COUNT(*) FROM org_logos l WHERE l.org_id = orgs.id) AS logo_count";

fn org_from_row(row: &AnyRow) -> StoreResult<Org> {
    Ok(Org {
        id: col_parse(row, "id")?,
        name: col_str(row, "name")?,
        slug: col_str(row, "slug")?,
        accent_color: col_opt_str(row, "accent_color")?,
        secondary_color: col_opt_str(row, "secondary_color")?,
        app_name: col_opt_str(row, "app_name")?,
        has_logo: col_i64(row, "logo_count")? > 0,
        created_at: fmt_ms(col_i64(row, "created_at")?),
    })
}

/// An organisation as the open transaction sees it.
async fn org_in(tx: &mut super::Tx, org: OrgId) -> StoreResult<Org> {
    let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1"))
        .bind(org.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    org_from_row(&row)
}

/// Inserts an organisation with the default policies; the caller checked the slug.
pub(super) async fn insert_org(
    tx: &mut super::Tx,
    id: OrgId,
    name: &str,
    slug: &str,
    now: i64,
) -> StoreResult<()> {
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "name"));
    }
    sqlx::query(
        "INSERT INTO orgs (id, name, slug, policies, event_seq, created_at) VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(id.to_string())
    .bind(name)
    .bind(slug)
    .bind(super::to_json(&Policies::default()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What changes in an organisation's look (validated): `Some(None)` clears a colour or the
/// app name.
#[derive(Clone, Debug, Default)]
pub struct OrgChange {
    pub name: Option<String>,
    pub accent_color: Option<Option<String>>,
    pub secondary_color: Option<Option<String>>,
    pub app_name: Option<Option<String>>,
}

/// A new invitation, with the hash of its code (the code itself is never stored).
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub email: String,
    pub role: kontor_proto::api::OrgRole,
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
        let id = OrgId::new();
        insert_org(&mut tx, id, name, slug, ctx.now).await?;
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
        Ok((self.org(id).await?, invitation))
    }

    /// Whether any organisation exists (first start).
    pub async fn has_orgs(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
            .fetch_one(&self.read)
            .await?;
        Ok(n > 0)
    }

    pub async fn org(&self, org: OrgId) -> StoreResult<Org> {
        let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1"))
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        org_from_row(&row)
    }

    pub async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>> {
        let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    /// The only organisation, on a server that has exactly one.
    pub async fn only_org(&self) -> StoreResult<Option<Org>> {
        let rows = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs LIMIT 2"))
            .fetch_all(&self.read)
            .await?;
        match rows.as_slice() {
            [one] => org_from_row(one).map(Some),
            _ => Ok(None),
        }
    }

    /// Renames the organisation or changes its colours or app name, and tells every member.
    pub async fn change_org(&self, org: OrgId, c: &OrgChange, ctx: &AuditCtx) -> StoreResult<Org> {
        let mut tx = self.begin_org(org).await?;
        let before = org_in(&mut tx, org).await?;
        let name = c.name.clone().unwrap_or_else(|| before.name.clone());
        let accent = c
            .accent_color
            .clone()
            .unwrap_or_else(|| before.accent_color.clone());
        let secondary = c
            .secondary_color
            .clone()
            .unwrap_or_else(|| before.secondary_color.clone());
        let app_name = c
            .app_name
            .clone()
            .unwrap_or_else(|| before.app_name.clone());
        sqlx::query(
            "UPDATE orgs SET name = $2, accent_color = $3, secondary_color = $4, app_name = $5 \
             WHERE id = $1",
        )
        .bind(org.to_string())
        .bind(&name)
        .bind(&accent)
        .bind(&secondary)
        .bind(&app_name)
        .execute(&mut *tx)
        .await?;
        let action = if c.name.is_some() && name != before.name {
            "org.rename"
        } else {
            "org.branding"
        };
        audit::record(
            &mut tx,
            org,
            ctx,
            action,
            "org",
            Some(org.to_string()),
            serde_json::json!({
                "from": { "name": before.name, "accent_color": before.accent_color, "secondary_color": before.secondary_color, "app_name": before.app_name },
                "to": { "name": name, "accent_color": accent, "secondary_color": secondary, "app_name": app_name },
            }),
        )
        .await?;
        let after = Org {
            name,
            accent_color: accent,
            secondary_color: secondary,
            app_name,
            ..before
        };
        emit(
            &mut tx,
            org,
            Audience::All,
            &EventKind::OrgChanged { org: after.clone() },
            ctx.now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Stores a checked logo image (or removes it with `None`), and tells every member.
    pub async fn set_logo(
        &self,
        org: OrgId,
        logo: Option<(&str, &[u8])>,
        ctx: &AuditCtx,
    ) -> StoreResult<Org> {
        let mut tx = self.begin_org(org).await?;
        let details = match logo {
            Some((content_type, bytes)) => {
                sqlx::query(
                    "INSERT INTO org_logos (org_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id) DO UPDATE SET content_type = $2, bytes = $3, updated_at = $4",
                )
                .bind(org.to_string())
                .bind(content_type)
                .bind(bytes.to_vec())
                .bind(ctx.now)
                .execute(&mut *tx)
                .await?;
                serde_json::json!({ "logo": { "content_type": content_type, "bytes": bytes.len() } })
            }
            None => {
                sqlx::query("DELETE FROM org_logos WHERE org_id = $1")
                    .bind(org.to_string())
                    .execute(&mut *tx)
                    .await?;
                serde_json::json!({ "logo": null })
            }
        };
        audit::record(
            &mut tx,
            org,
            ctx,
            "org.branding",
            "org",
            Some(org.to_string()),
            details,
        )
        .await?;
        let after = org_in(&mut tx, org).await?;
        emit(
            &mut tx,
            org,
            Audience::All,
            &EventKind::OrgChanged { org: after.clone() },
            ctx.now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The organisation's logo: content type and bytes.
    pub async fn logo(&self, org: OrgId) -> StoreResult<(String, Vec<u8>)> {
        let row = sqlx::query("SELECT content_type, bytes FROM org_logos WHERE org_id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let bytes: Vec<u8> =
            sqlx::Row::try_get(&row, "bytes").map_err(|_| StoreError::Corrupt("bytes"))?;
        Ok((col_str(&row, "content_type")?, bytes))
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
    /// Sets the policies. Turning guest access off ends every guest's sessions in the same
    /// transaction (returned): turning it on again later must not bring old tokens back.
    pub async fn set_policies(
        &self,
        org: OrgId,
        next: &Policies,
        ctx: &AuditCtx,
    ) -> StoreResult<Vec<kontor_proto::SessionId>> {
        let mut tx = self.begin_org(org).await?;
        let row = sqlx::query("SELECT policies FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before: Policies = col_json(&row, "policies")?;
        // Mirrored in columns the queries that need them read (conversation roles, quotas).
        sqlx::query(
            "UPDATE orgs SET policies = $2, storage_quota_bytes = $3, org_admins_manage = $4 WHERE id = $1",
        )
            .bind(org.to_string())
            .bind(super::to_json(next))
            .bind(
                next.storage_quota_mib
                    .saturating_mul(1024 * 1024)
                    .min(i64::MAX as u64) as i64,
            )
            .bind(i64::from(next.org_admins_manage))
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
        let mut ended = Vec::new();
        if before.guest_access && !next.guest_access {
            let guests: Vec<String> =
                sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND role = 'guest'")
                    .bind(org.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
            for guest in guests {
                let user = guest.parse().map_err(|_| StoreError::Corrupt("id"))?;
                ended.extend(
                    super::accounts::end_sessions(&mut tx, org, user, None, ctx.now).await?,
                );
            }
        }
        tx.commit().await?;
        Ok(ended)
    }
}
