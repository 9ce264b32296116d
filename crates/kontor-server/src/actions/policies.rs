//! The organisation's policies: a patch checked field by field (a pure function), and the
//! change stored with what it ends.

use crate::effects::Effects;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::AuditCtx;
use crate::validate;
use kontor_proto::OrgId;
use kontor_proto::api::{Policies, PoliciesPatch};

/// The policies with a patch applied: each field given is checked, the others stay.
/// `storage_cap_mib` is the operator's cap, which the quota may not exceed.
pub fn patched(
    mut p: Policies,
    patch: PoliciesPatch,
    storage_cap_mib: u64,
) -> Result<Policies, ApiError> {
    if let Some(v) = patch.presence {
        p.presence = v;
    }
    if let Some(v) = patch.read_receipts {
        p.read_receipts = v;
    }
    if let Some(days) = patch.retention_days {
        if days > 36_500 {
            return Err(ApiError::invalid("retention_days"));
        }
        p.retention_days = (days > 0).then_some(days);
    }
    if let Some(bytes) = patch.max_upload_bytes {
        if !(1024..=10 * 1024 * 1024 * 1024).contains(&bytes) {
            return Err(ApiError::invalid("max_upload_bytes"));
        }
        p.max_upload_bytes = bytes;
    }
    if let Some(v) = patch.guest_access {
        p.guest_access = v;
    }
    if let Some(v) = patch.channel_creators {
        p.channel_creators = v;
    }
    if let Some(v) = patch.org_admins_manage {
        p.org_admins_manage = v;
    }
    if let Some(mib) = patch.storage_quota_mib {
        if !(1..=storage_cap_mib).contains(&mib) {
            return Err(ApiError::invalid("storage_quota_mib"));
        }
        p.storage_quota_mib = mib;
    }
    if let Some(domains) = patch.self_registration_domains {
        if domains.len() > 20 {
            return Err(ApiError::invalid("self_registration_domains"));
        }
        let mut clean = Vec::new();
        for d in domains {
            let d = validate::email("self_registration_domains", &format!("x@{}", d.trim()))?;
            let domain = d
                .split_once('@')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default();
            if !clean.contains(&domain) {
                clean.push(domain);
            }
        }
        p.self_registration_domains = clean;
    }
    Ok(p)
}

/// Stores the policies. Turning guest access off ends the guests' sessions for good (in the
/// store's transaction); their event streams close when the effects are applied.
pub async fn set(
    state: &AppState,
    org: OrgId,
    p: &Policies,
    audit: &AuditCtx,
) -> Result<Effects, ApiError> {
    let ended = state.store().set_policies(org, p, audit).await?;
    Ok(Effects::new().sessions_ended(&ended).org_changed(org))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kontor_proto::ErrorCode;

    fn field(e: ApiError) -> (ErrorCode, Option<String>) {
        (e.code, e.field)
    }

    #[test]
    fn fields_not_given_stay_and_domains_are_kept_once_in_lower_case() {
        let before = Policies::default();
        let p = patched(
            before.clone(),
            PoliciesPatch {
                self_registration_domains: Some(vec![
                    " Pflege.example ".into(),
                    "pflege.example".into(),
                ]),
                ..PoliciesPatch::default()
            },
            1024,
        )
        .unwrap();
        assert_eq!(p.self_registration_domains, vec!["pflege.example"]);
        assert_eq!(p.guest_access, before.guest_access);
        assert_eq!(p.storage_quota_mib, before.storage_quota_mib);
    }

    #[test]
    fn a_quota_past_the_operator_s_cap_is_refused_naming_the_field() {
        let over = PoliciesPatch {
            storage_quota_mib: Some(2048),
            ..PoliciesPatch::default()
        };
        assert_eq!(
            field(patched(Policies::default(), over, 1024).unwrap_err()),
            (ErrorCode::InvalidInput, Some("storage_quota_mib".into()))
        );
        let none = PoliciesPatch {
            retention_days: Some(0),
            ..PoliciesPatch::default()
        };
        assert_eq!(
            patched(Policies::default(), none, 1024)
                .unwrap()
                .retention_days,
            None,
            "zero days keeps messages for ever"
        );
    }
}
