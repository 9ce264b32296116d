//! Importing people from a CSV file: each line is invited on its own; good lines are
//! imported, bad ones skipped and named with the reason, in the admin's language. How the
//! file is read: [`kontor_intake::import`].

use crate::access::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::validate;
use kontor_intake::import::ImportFile;
use kontor_proto::api::{CreateInvitationRequest, ImportLine, ImportReport, OrgRole, ProfilePatch};
use kontor_proto::error::Lang;
use kontor_proto::{ErrorCode, TeamId};
use std::collections::HashMap;

/// Invites everybody the file names, line by line, as `caller` (an admin: only owners invite
/// owners).
pub async fn people(
    state: &AppState,
    caller: &Caller,
    file: &ImportFile,
    lang: Lang,
) -> Result<ImportReport, ApiError> {
    let teams: HashMap<String, TeamId> = state
        .store()
        .teams(caller.org)
        .await?
        .into_iter()
        .map(|t| (t.name.to_lowercase(), t.id))
        .collect();
    let ctx = caller.audit(state);
    let mut report = ImportReport {
        imported: 0,
        skipped: 0,
        lines: Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    for row in &file.rows {
        let line = row.line;
        let Some(fields) = row.fields.as_deref() else {
            report.skipped += 1;
            report.lines.push(skip(
                line,
                None,
                ApiError::field(ErrorCode::MalformedBody, "line"),
                lang,
            ));
            continue;
        };
        let get = |name: &str| file.field(fields, name).map(str::to_owned);
        let list = |name: &str| {
            get(name).map(|v| {
                v.split(';')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
        };
        let email = get("email").unwrap_or_default();
        if email.is_empty() && fields.iter().all(String::is_empty) {
            continue;
        }
        let outcome = async {
            let role = match get("role") {
                None => OrgRole::Member,
                Some(r) => OrgRole::parse(&r.to_lowercase()).ok_or(ApiError::invalid("role"))?,
            };
            if role == OrgRole::Owner && caller.role != OrgRole::Owner {
                return Err(ApiError::field(ErrorCode::Forbidden, "role"));
            }
            let normalized = validate::email("email", &email)?;
            if !seen.insert(normalized.clone()) {
                return Err(ApiError::field(ErrorCode::AlreadyExists, "email"));
            }
            let mut team_ids = Vec::new();
            for name in list("teams").unwrap_or_default() {
                team_ids.push(
                    *teams
                        .get(&name.to_lowercase())
                        .ok_or(ApiError::field(ErrorCode::NotFound, "teams"))?,
                );
            }
            let req = CreateInvitationRequest {
                email: normalized,
                role,
                display_name: get("display_name").or_else(|| get("name")),
                team_ids,
                profile: Some(ProfilePatch {
                    display_name: None,
                    job_title: get("job_title"),
                    competences: list("competences"),
                    languages: list("languages"),
                    location: get("location"),
                    phone_extension: get("phone_extension"),
                }),
            };
            super::invite(state.store(), state.config(), caller.org, &req, &ctx).await
        }
        .await;
        match outcome {
            Ok(created) => {
                report.imported += 1;
                report.lines.push(ImportLine {
                    line,
                    email: Some(created.invitation.email.clone()),
                    imported: true,
                    error: None,
                    invitation: Some(created),
                });
            }
            Err(e) => {
                report.skipped += 1;
                report.lines.push(skip(line, Some(email), e, lang));
            }
        }
    }
    tracing::info!(org = %caller.org, imported = report.imported, skipped = report.skipped, "CSV import");
    Ok(report)
}

fn skip(line: usize, email: Option<String>, e: ApiError, lang: Lang) -> ImportLine {
    ImportLine {
        line,
        email,
        imported: false,
        error: Some(e.body(lang).error),
        invitation: None,
    }
}
