//! Importing people from a CSV file: each line is invited on its own; good lines are
//! imported, bad ones skipped and named with an [`ImportReason`] (a code and what it is
//! about), also as an API error whose sentence is in the admin's language. How the file is
//! read: [`kontor_intake::import`].

use crate::access::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::validate;
use kontor_intake::import::{ImportColumn, ImportFile, role_of};
use kontor_proto::api::{CreateInvitationRequest, ImportLine, ImportReport, OrgRole, ProfilePatch};
use kontor_proto::error::Lang;
use kontor_proto::import::ImportReason;
use kontor_proto::{ErrorCode, ErrorDetail, TeamId};
use std::collections::HashMap;

/// Why a line is skipped, with the column it is about.
type Skip = (ImportReason, Option<ImportColumn>);

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
    // Each address and the line it was first on.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &file.rows {
        let line = row.line;
        let Some(fields) = row.fields.as_deref() else {
            report.skipped += 1;
            report.lines.push(skipped(
                line,
                None,
                (ImportReason::LineMalformed, None),
                lang,
            ));
            continue;
        };
        let get = |column: ImportColumn| file.field(fields, column).map(str::to_owned);
        let list = |column: ImportColumn| {
            get(column).map(|v| {
                v.split(';')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
        };
        let email = get(ImportColumn::Email).unwrap_or_default();
        if email.is_empty() && fields.iter().all(String::is_empty) {
            continue;
        }
        let outcome = async {
            use ImportColumn as C;
            if email.is_empty() {
                return Err((ImportReason::EmailMissing, Some(C::Email)));
            }
            let normalized = validate::email("email", &email).map_err(|_| {
                let email = email.clone();
                (ImportReason::EmailInvalid { email }, Some(C::Email))
            })?;
            if let Some(&first) = seen.get(&normalized) {
                return Err((ImportReason::EmailRepeated { line: first }, Some(C::Email)));
            }
            seen.insert(normalized.clone(), line);
            let display_name =
                get(C::DisplayName).ok_or((ImportReason::NameMissing, Some(C::DisplayName)))?;
            let role = match get(C::Role) {
                None => OrgRole::Member,
                Some(role) => {
                    role_of(&role).ok_or((ImportReason::RoleUnknown { role }, Some(C::Role)))?
                }
            };
            if role == OrgRole::Owner && caller.role != OrgRole::Owner {
                return Err((ImportReason::OwnerNeedsOwner, Some(C::Role)));
            }
            let mut team_ids = Vec::new();
            for team in list(C::Teams).unwrap_or_default() {
                match teams.get(&team.to_lowercase()) {
                    Some(id) => team_ids.push(*id),
                    None => return Err((ImportReason::TeamUnknown { team }, Some(C::Teams))),
                }
            }
            let req = CreateInvitationRequest {
                email: normalized,
                role,
                display_name: Some(display_name),
                team_ids,
                profile: Some(ProfilePatch {
                    display_name: None,
                    job_title: get(C::JobTitle),
                    competences: list(C::Competences),
                    languages: list(C::Languages),
                    location: get(C::Location),
                    phone_extension: get(C::PhoneExtension),
                }),
            };
            super::invite(state.store(), state.config(), caller.org, &req, &ctx)
                .await
                .map_err(reason)
        }
        .await;
        match outcome {
            Ok(created) => {
                report.imported += 1;
                report.lines.push(ImportLine {
                    line,
                    email: Some(created.invitation.email.clone()),
                    imported: true,
                    reason: None,
                    error: None,
                    invitation: Some(created),
                });
            }
            Err(why) => {
                report.skipped += 1;
                report.lines.push(skipped(line, Some(email), why, lang));
            }
        }
    }
    tracing::info!(org = %caller.org, imported = report.imported, skipped = report.skipped, "CSV import");
    Ok(report)
}

/// The reason for what inviting refused: the column the error names, in the import's words.
fn reason(e: ApiError) -> Skip {
    let column = e.field.as_deref().and_then(|f| {
        ImportColumn::ALL
            .into_iter()
            .find(|c| c.as_str() == f || (f == "team_ids" && *c == ImportColumn::Teams))
    });
    let reason = match (e.code, column) {
        (ErrorCode::AlreadyExists, Some(ImportColumn::Email)) => ImportReason::EmailTaken,
        (ErrorCode::Forbidden, Some(ImportColumn::Role)) => ImportReason::GuestsOff,
        (ErrorCode::InvalidInput, Some(ImportColumn::DisplayName)) => ImportReason::NameInvalid,
        (ErrorCode::InvalidInput, Some(column)) => ImportReason::FieldInvalid { column },
        (error, _) => ImportReason::Refused { error },
    };
    (reason, column)
}

fn skipped(line: usize, email: Option<String>, (reason, column): Skip, lang: Lang) -> ImportLine {
    let code = match &reason {
        ImportReason::LineMalformed => ErrorCode::MalformedBody,
        ImportReason::EmailRepeated { .. } | ImportReason::EmailTaken => ErrorCode::AlreadyExists,
        ImportReason::OwnerNeedsOwner | ImportReason::GuestsOff => ErrorCode::Forbidden,
        ImportReason::TeamUnknown { .. } => ErrorCode::NotFound,
        ImportReason::Refused { error } => *error,
        _ => ErrorCode::InvalidInput,
    };
    ImportLine {
        line,
        email,
        imported: false,
        error: Some(ErrorDetail {
            code,
            message: reason.message(lang),
            field: Some(column.map_or("line", ImportColumn::as_str).to_owned()),
            retry_after_secs: None,
        }),
        reason: Some(reason),
        invitation: None,
    }
}
