//! First start: the first organisation and its owner, made from the web app.

use crate::actions::logins::{hash_password, new_session, session_created};
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::ratelimit::login as limits;
use crate::state::AppState;
use crate::store::FirstStart;
use crate::{setup, validate};
use axum::extract::State;
use kontor_proto::api::{SessionCreated, SetupRequest};
use kontor_proto::{ErrorBody, ErrorCode};

/// Creates the first organisation and its owner, who is logged in at once. Only while the
/// server has none, and only with the setup code from the data directory.
#[utoipa::path(post, path = "/setup", tag = "server",
    request_body = SetupRequest,
    responses((status = 200, body = SessionCreated), (status = "4XX", body = ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<SetupRequest>,
) -> Result<ApiJson<SessionCreated>, ApiError> {
    let key = format!("setup-addr:{}", addr.key());
    // Counted before the code is checked (one step, so parallel guesses cannot overshoot);
    // taken back unless the code was wrong.
    state
        .limiter()
        .acquire(&key, limits::INVITATION_PER_ADDRESS, state.now())
        .map_err(ApiError::rate_limited)?;
    let checked = match state.store().has_orgs().await {
        Ok(false) => setup::check(&state.config().data_dir, &req.setup_code),
        Ok(true) => None,
        Err(e) => {
            state.limiter().release(&key);
            return Err(e.into());
        }
    };
    if checked != Some(false) {
        state.limiter().release(&key);
    }
    match checked {
        None => return Err(ApiError::new(ErrorCode::AlreadySetUp)),
        Some(false) => return Err(ApiError::field(ErrorCode::SetupCodeInvalid, "setup_code")),
        Some(true) => {}
    }
    let org_name = validate::line("org_name", &req.org_name, 2, 100)?;
    let email = validate::email("email", &req.email)?;
    let display_name = validate::display_name(&req.display_name)?;
    let slug = validate::slug_of(&org_name);
    let local = email.split('@').next().unwrap_or_default();
    validate::new_password("password", &req.password, &[local, &org_name, &slug])?;
    let (minted, new_session) = new_session(&state, &req.device)?;
    let password_hash = hash_password(&state, req.password).await?;
    let ids = state
        .store()
        .first_start(
            &FirstStart {
                org_name,
                slug,
                email,
                display_name,
                password_hash,
                new_session,
                address: addr.0.clone(),
            },
            state.now(),
        )
        .await?;
    setup::finish(&state.config().data_dir);
    effects::apply(&state, Effects::new().org_changed(ids.org)).await;
    tracing::info!(org = %ids.org, user = %ids.user, "first organisation set up");
    Ok(ApiJson(session_created(&state, ids, minted).await?))
}
