//! Teams and their members.

use crate::access::Caller;
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store::{NewTeam, TeamChange};
use crate::validate;
use axum::extract::State;
use axum::http::StatusCode;
use kontor_proto::api::{
    CreateTeamRequest, OrgRole, SetTeamMemberRequest, Team, TeamDetail, TeamPatch,
};
use kontor_proto::{ErrorBody, PersonId, TeamId};

/// All teams (guests: only their own), by name.
#[utoipa::path(get, path = "/teams", tag = "teams", security(("session" = [])),
    responses((status = 200, body = Vec<Team>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<Team>>, ApiError> {
    let mut teams = state.store().teams(caller.org).await?;
    if caller.role == OrgRole::Guest {
        let me = state.store().person(caller.org, caller.user).await?;
        teams.retain(|t| me.teams.iter().any(|m| m.team_id == t.id));
    }
    Ok(ApiJson(teams))
}

/// Creates a team (admins).
#[utoipa::path(post, path = "/teams", tag = "teams", security(("session" = [])),
    request_body = CreateTeamRequest,
    responses((status = 200, body = Team), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateTeamRequest>,
) -> Result<ApiJson<Team>, ApiError> {
    caller.require_admin()?;
    let new = NewTeam {
        name: validate::line("name", &req.name, 1, 100)?,
        kind: req.kind,
        parent_id: req.parent_id,
        description: validate::text("description", &req.description, 1000)?,
    };
    let team = state
        .store()
        .create_team(caller.org, &new, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(team))
}

/// A team with its members and sub-teams.
#[utoipa::path(get, path = "/teams/{team_id}", tag = "teams", security(("session" = [])),
    params(("team_id" = TeamId, Path)),
    responses((status = 200, body = TeamDetail), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(team_id): ApiPath<TeamId>,
) -> Result<ApiJson<TeamDetail>, ApiError> {
    let team = state.store().team(caller.org, team_id).await?;
    caller.require_team_visible(&state, team_id).await?;
    let members = state.store().team_members(caller.org, team_id).await?;
    let children = if caller.role == OrgRole::Guest {
        Vec::new()
    } else {
        state
            .store()
            .teams(caller.org)
            .await?
            .into_iter()
            .filter(|t| t.parent_id == Some(team_id))
            .collect()
    };
    Ok(ApiJson(TeamDetail {
        team,
        members,
        children,
    }))
}

/// Changes a team (admins).
#[utoipa::path(patch, path = "/teams/{team_id}", tag = "teams", security(("session" = [])),
    params(("team_id" = TeamId, Path)), request_body = TeamPatch,
    responses((status = 200, body = Team), (status = "4XX", body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(team_id): ApiPath<TeamId>,
    ApiJson(req): ApiJson<TeamPatch>,
) -> Result<ApiJson<Team>, ApiError> {
    caller.require_admin()?;
    if req.clear_parent && req.parent_id.is_some() {
        return Err(ApiError::invalid("parent_id"));
    }
    let change = TeamChange {
        name: req
            .name
            .as_deref()
            .map(|n| validate::line("name", n, 1, 100))
            .transpose()?,
        kind: req.kind,
        parent_id: if req.clear_parent {
            Some(None)
        } else {
            req.parent_id.map(Some)
        },
        description: req
            .description
            .as_deref()
            .map(|d| validate::text("description", d, 1000))
            .transpose()?,
    };
    let team = state
        .store()
        .update_team(caller.org, team_id, &change, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(team))
}

/// Deletes a team without sub-teams (admins).
#[utoipa::path(delete, path = "/teams/{team_id}", tag = "teams", security(("session" = [])),
    params(("team_id" = TeamId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(team_id): ApiPath<TeamId>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    state
        .store()
        .delete_team(caller.org, team_id, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a person to a team or changes their role in it (admins and the team's leads; only
/// admins appoint leads).
#[utoipa::path(put, path = "/teams/{team_id}/members/{person_id}", tag = "teams", security(("session" = [])),
    params(("team_id" = TeamId, Path), ("person_id" = PersonId, Path)), request_body = SetTeamMemberRequest,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((team_id, person_id)): ApiPath<(TeamId, PersonId)>,
    ApiJson(req): ApiJson<SetTeamMemberRequest>,
) -> Result<StatusCode, ApiError> {
    state.store().team(caller.org, team_id).await?;
    caller.require_team_manage(&state, team_id).await?;
    // Only admins appoint leads or change a lead's role; leads manage plain members.
    let current = state.store().team_members(caller.org, team_id).await?;
    let is_lead = current
        .iter()
        .any(|m| m.person_id == person_id && m.role == kontor_proto::api::TeamRole::Lead);
    if req.role == kontor_proto::api::TeamRole::Lead || is_lead {
        caller.require_admin()?;
    }
    state
        .store()
        .set_team_member(
            caller.org,
            team_id,
            person_id,
            req.role,
            &caller.audit(&state),
        )
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a person from a team (admins and the team's leads).
#[utoipa::path(delete, path = "/teams/{team_id}/members/{person_id}", tag = "teams", security(("session" = [])),
    params(("team_id" = TeamId, Path), ("person_id" = PersonId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((team_id, person_id)): ApiPath<(TeamId, PersonId)>,
) -> Result<StatusCode, ApiError> {
    state.store().team(caller.org, team_id).await?;
    caller.require_team_manage(&state, team_id).await?;
    let current = state.store().team_members(caller.org, team_id).await?;
    if current
        .iter()
        .any(|m| m.person_id == person_id && m.role == kontor_proto::api::TeamRole::Lead)
    {
        caller.require_admin()?;
    }
    state
        .store()
        .remove_team_member(caller.org, team_id, person_id, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(StatusCode::NO_CONTENT)
}
