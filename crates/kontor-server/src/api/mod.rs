//! The HTTP API: one file per concept, thin handlers that parse, authorise (through
//! [`crate::access`]) and call the store or an action, then wake the event hub.

mod audit;
mod auth;
pub(crate) mod conversations;
mod directory;
mod events;
mod health;
pub(crate) mod identity;
mod invitations;
mod key_packages;
pub(crate) mod orgs;
mod people;
mod setup;
mod teams;

use crate::state::AppState;
use crate::{error, metrics};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;
/// The largest upload (avatar image, CSV import) accepted.
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kontor API",
        description = "Self-hosted, end-to-end encrypted messenger for organisations. Every error has the shape `ErrorBody` with a stable `code`; messages follow `Accept-Language` (de, en).",
        version = "1"
    ),
    modifiers(&BearerAuth),
    components(schemas(
        kontor_proto::ErrorBody,
        kontor_proto::Event,
        kontor_proto::event::ServerFrame,
        kontor_proto::event::ClientFrame
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "session",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
            components.add_security_scheme(
                "operator",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(invitations::import))
        .routes(routes!(orgs::put_logo, orgs::delete_logo))
        .routes(routes!(
            people::put_avatar,
            people::get_avatar,
            people::delete_avatar
        ))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    let mls = OpenApiRouter::new()
        .routes(routes!(conversations::send, conversations::messages))
        .routes(routes!(identity::publish))
        .routes(routes!(identity::approve_link_request))
        .layer(DefaultBodyLimit::max(conversations::MESSAGE_LIMIT));
    let api = OpenApiRouter::new()
        .routes(routes!(health::server_info))
        .routes(routes!(orgs::create_org))
        .routes(routes!(setup::setup))
        .routes(routes!(orgs::branding))
        .routes(routes!(orgs::logo))
        .routes(routes!(orgs::get_org, orgs::patch_org))
        .routes(routes!(orgs::get_policies, orgs::patch_policies))
        .routes(routes!(invitations::create, invitations::list))
        .routes(routes!(invitations::revoke))
        .routes(routes!(invitations::preview))
        .routes(routes!(invitations::accept))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::devices))
        .routes(routes!(auth::revoke_device))
        .routes(routes!(auth::sessions))
        .routes(routes!(auth::revoke_session))
        .routes(routes!(people::get_person, people::patch_person))
        .routes(routes!(people::set_role))
        .routes(routes!(people::suspend))
        .routes(routes!(people::reactivate))
        .routes(routes!(people::deprovision))
        .routes(routes!(directory::search))
        .routes(routes!(directory::competences))
        .routes(routes!(teams::list, teams::create))
        .routes(routes!(teams::get, teams::patch, teams::delete))
        .routes(routes!(teams::set_member, teams::remove_member))
        .routes(routes!(audit::list))
        .routes(routes!(events::socket))
        .routes(routes!(events::poll))
        .routes(routes!(identity::get_org_key))
        .routes(routes!(identity::bundles))
        .routes(routes!(identity::recovery_backup))
        .routes(routes!(
            identity::create_link_request,
            identity::list_link_requests
        ))
        .routes(routes!(key_packages::upload))
        .routes(routes!(key_packages::stock))
        .routes(routes!(key_packages::claim))
        .routes(routes!(conversations::create, conversations::list))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::welcomes))
        .routes(routes!(conversations::ack_welcome))
        .routes(routes!(conversations::set_role))
        .routes(routes!(conversations::rejoin))
        .routes(routes!(conversations::void))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(uploads)
        .merge(mls);
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(kontor_proto::API_PREFIX, api)
}

/// The OpenAPI document, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The whole application: API, health, metrics, with the error shape and limits applied.
pub fn app(state: AppState) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let doc = Arc::new(doc);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/manifest.webmanifest", get(crate::web::manifest))
        .merge(api)
        .fallback(crate::web::serve)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                axum::response::IntoResponse::into_response(error::ApiError::internal())
            },
        ))
        .layer(axum::middleware::from_fn(error::shape_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::transport_headers,
        ))
        .layer(axum::middleware::from_fn(error::localize))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}
