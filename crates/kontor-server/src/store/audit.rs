//! The audit log of admin actions. Details never hold a secret: callers pass only ids, names,
//! roles and the fields that changed.

use super::{AuditCtx, StoreResult, Tx, col_i64, col_opt_parse, col_opt_str, col_parse, col_str};
use crate::clock::fmt_ms;
use kontor_proto::api::AuditEntry;
use kontor_proto::{AuditId, OrgId, PersonId};

pub(crate) async fn record(
    tx: &mut Tx,
    org: OrgId,
    ctx: &AuditCtx,
    action: &str,
    target_kind: &str,
    target_id: Option<String>,
    details: serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, at, actor, action, target_kind, target_id, details, address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(AuditId::new().to_string())
    .bind(org.to_string())
    .bind(ctx.now)
    .bind(ctx.actor.map(|a| a.to_string()))
    .bind(action)
    .bind(target_kind)
    .bind(target_id)
    .bind(details.to_string())
    .bind(ctx.address.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Filters for [`super::Store::audit_entries`], already validated.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<PersonId>,
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<AuditId>,
    pub limit: u32,
}

impl super::Store {
    /// Audit entries of one organisation, newest first.
    pub async fn audit_entries(&self, org: OrgId, f: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let (action_exact, action_prefix) = match &f.action {
            Some(a) if a.ends_with('.') => (None, Some(format!("{}%", super::like_escape(a)))),
            Some(a) => (Some(a.clone()), None),
            None => (None, None),
        };
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.actor, a.action, a.target_kind, a.target_id, a.details, a.address, \
                    u.display_name AS actor_name \
             FROM audit_log a LEFT JOIN people u ON u.id = a.actor AND u.org_id = a.org_id \
             WHERE a.org_id = $1 \
               AND ($2 IS NULL OR a.actor = $2) \
               AND ($3 IS NULL OR a.action = $3) \
               AND ($4 IS NULL OR a.action LIKE $4 ESCAPE '\\') \
               AND ($5 IS NULL OR a.target_id = $5) \
               AND ($6 IS NULL OR a.at >= $6) \
               AND ($7 IS NULL OR a.at <= $7) \
               AND ($8 IS NULL OR a.id < $8) \
             ORDER BY a.id DESC LIMIT $9",
        )
        .bind(org.to_string())
        .bind(f.actor.map(|a| a.to_string()))
        .bind(action_exact)
        .bind(action_prefix)
        .bind(f.target_id.clone())
        .bind(f.since)
        .bind(f.until)
        .bind(f.before.map(|b| b.to_string()))
        .bind(i64::from(f.limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: col_parse(row, "id")?,
                    at: fmt_ms(col_i64(row, "at")?),
                    actor: col_opt_parse(row, "actor")?,
                    actor_name: col_opt_str(row, "actor_name")?,
                    action: col_str(row, "action")?,
                    target_kind: col_str(row, "target_kind")?,
                    target_id: col_opt_str(row, "target_id")?,
                    details: serde_json::from_str(&col_str(row, "details")?)
                        .map_err(|_| super::StoreError::Corrupt("details"))?,
                    address: col_opt_str(row, "address")?,
                })
            })
            .collect()
    }
}
