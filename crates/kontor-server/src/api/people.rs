//! People: profiles, roles, suspension and deprovisioning, avatars.

use crate::access::Caller;
use crate::actions::people;
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::validate;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kontor_proto::api::{Person, PersonStatus, ProfilePatch, SetRoleRequest};
use kontor_proto::{ErrorBody, PersonId};

/// A person in the caller's organisation (guests: only people they share a team with).
#[utoipa::path(get, path = "/people/{person_id}", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn get_person(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
) -> Result<ApiJson<Person>, ApiError> {
    caller.require_visible(&state, user).await?;
    let mut person = [state.store().person(caller.org, user).await?];
    caller.redact(&state, &mut person).await?;
    let [person] = person;
    Ok(ApiJson(person))
}

/// Edits a profile: one's own, or anybody's as an admin.
#[utoipa::path(patch, path = "/people/{person_id}", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)), request_body = ProfilePatch,
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn patch_person(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<ApiJson<Person>, ApiError> {
    caller.require_visible(&state, user).await?;
    let target = state.store().person(caller.org, user).await?;
    caller.require_profile_edit(user, target.role)?;
    let patch = validate::profile(&patch)?;
    let person = state
        .store()
        .update_profile(caller.org, user, &patch, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(person))
}

/// Changes a person's role (admins; only owners make or unmake owners).
#[utoipa::path(put, path = "/people/{person_id}/role", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)), request_body = SetRoleRequest,
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
    ApiJson(req): ApiJson<SetRoleRequest>,
) -> Result<ApiJson<Person>, ApiError> {
    caller.require_admin()?;
    let target = state.store().person(caller.org, user).await?;
    caller.require_role_change(user, target.role, req.role)?;
    let (person, fx) = people::set_role(
        &state,
        caller.org,
        user,
        target.role,
        req.role,
        &caller.audit(&state),
    )
    .await?;
    effects::apply(&state, fx).await;
    Ok(ApiJson(person))
}

async fn change_status(
    state: &AppState,
    caller: &Caller,
    user: PersonId,
    status: PersonStatus,
) -> Result<ApiJson<Person>, ApiError> {
    caller.require_admin()?;
    let target = state.store().person(caller.org, user).await?;
    caller.require_status_change(user, target.role)?;
    let (person, fx) =
        people::set_status(state, caller.org, user, status, &caller.audit(state)).await?;
    effects::apply(state, fx).await;
    Ok(ApiJson(person))
}

/// Suspends a person: every session ends at once; the account can be reactivated.
#[utoipa::path(post, path = "/people/{person_id}/suspend", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
) -> Result<ApiJson<Person>, ApiError> {
    change_status(&state, &caller, user, PersonStatus::Suspended).await
}

/// Reactivates a suspended person.
#[utoipa::path(post, path = "/people/{person_id}/reactivate", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn reactivate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
) -> Result<ApiJson<Person>, ApiError> {
    change_status(&state, &caller, user, PersonStatus::Active).await
}

/// Deprovisions a person for good: every device and session is revoked at once and their
/// open connections close.
#[utoipa::path(post, path = "/people/{person_id}/deprovision", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn deprovision(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
) -> Result<ApiJson<Person>, ApiError> {
    change_status(&state, &caller, user, PersonStatus::Deprovisioned).await
}

/// The largest avatar image.
pub const AVATAR_MAX_BYTES: usize = 512 * 1024;

/// Sets an avatar: PNG, JPEG or WebP, at most 512 KiB and 4096 pixels a side, checked by its
/// bytes (SVG refused).
#[utoipa::path(put, path = "/people/{person_id}/avatar", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Person), (status = "4XX", body = ErrorBody)))]
pub async fn put_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
    body: Bytes,
) -> Result<ApiJson<Person>, ApiError> {
    caller.require_visible(&state, user).await?;
    let target = state.store().person(caller.org, user).await?;
    caller.require_profile_edit(user, target.role)?;
    let content_type = kontor_intake::images::check(&body, AVATAR_MAX_BYTES)?;
    let person = state
        .store()
        .set_avatar(caller.org, user, content_type, &body, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(person))
}

/// A person's avatar image.
#[utoipa::path(get, path = "/people/{person_id}/avatar", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    responses((status = 200, content_type = "image/*", body = Vec<u8>), (status = "4XX", body = ErrorBody)))]
pub async fn get_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
) -> Result<Response, ApiError> {
    caller.require_visible(&state, user).await?;
    let (content_type, bytes) = state.store().avatar(caller.org, user).await?;
    crate::web::image_response(&content_type, bytes, "private, max-age=300")
}

/// Removes an avatar.
#[utoipa::path(delete, path = "/people/{person_id}/avatar", tag = "people", security(("session" = [])),
    params(("person_id" = PersonId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user): ApiPath<PersonId>,
) -> Result<StatusCode, ApiError> {
    caller.require_visible(&state, user).await?;
    let target = state.store().person(caller.org, user).await?;
    caller.require_profile_edit(user, target.role)?;
    state
        .store()
        .delete_avatar(caller.org, user, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(StatusCode::NO_CONTENT)
}
