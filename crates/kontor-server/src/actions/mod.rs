//! Named actions: what the HTTP API and the commands that work on the data directory do,
//! after `extract` has read the request and `access` has said who may. An action runs one
//! transaction and returns, beside its answer, the [`crate::effects::Effects`] that the
//! caller applies once it committed.

pub mod branding;
pub mod delivery;
pub mod import;
pub mod logins;
pub mod people;
pub mod policies;

use crate::config::Config;
use crate::error::ApiError;
use crate::store::{AuditCtx, NewInvitation, Store, StoreError};
use crate::{clock, tokens, validate};
use kontor_proto::api::{CreateInvitationRequest, CreateOrgResponse, InvitationCreated, OrgRole};
use kontor_proto::{ErrorCode, OrgId};

/// How long an invitation stays valid.
pub const INVITATION_TTL_MS: i64 = 7 * clock::DAY_MS;

/// The link that opens an invitation. The code sits in the fragment, which browsers never
/// send to the server, so it stays out of access logs.
pub fn invitation_link(config: &Config, code: &str) -> String {
    format!("{}/join#code={code}", config.public_url)
}

/// Creates an organisation and invites its owner.
pub async fn create_org(
    store: &Store,
    config: &Config,
    name: &str,
    owner_email: &str,
    ctx: &AuditCtx,
) -> Result<CreateOrgResponse, ApiError> {
    let name = validate::line("name", name, 2, 100)?;
    let email = validate::email("owner_email", owner_email)?;
    let base = validate::slug_of(&name);
    let code = tokens::new_invitation_code();
    let owner = NewInvitation {
        email,
        role: OrgRole::Owner,
        display_name: None,
        team_ids: Vec::new(),
        profile: Default::default(),
        code_hash: hash_code(&code)?,
        expires_at: ctx.now + INVITATION_TTL_MS,
    };
    for n in 1..=50 {
        let slug = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        match store.create_org(&name, &slug, &owner, ctx).await {
            Ok((org, invitation)) => {
                // Set up now: the web app's first-start screen closes.
                crate::setup::finish(&config.data_dir);
                let link = invitation_link(config, &code);
                return Ok(CreateOrgResponse {
                    org,
                    invitation: InvitationCreated {
                        invitation,
                        code,
                        link,
                    },
                });
            }
            Err(StoreError::Refused(ErrorCode::AlreadyExists, Some("name"))) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::field(ErrorCode::AlreadyExists, "name"))
}

fn hash_code(code: &str) -> Result<String, ApiError> {
    let norm = tokens::normalize_invitation_code(code).ok_or(ApiError::internal())?;
    Ok(tokens::hash(tokens::label::INVITATION, &norm))
}

/// Hashes a code typed by a person; `InvitationInvalid` if it cannot be a code.
pub fn hash_typed_code(code: &str) -> Result<String, ApiError> {
    let norm = tokens::normalize_invitation_code(code)
        .ok_or(ApiError::new(ErrorCode::InvitationInvalid))?;
    Ok(tokens::hash(tokens::label::INVITATION, &norm))
}

/// Invites one person into `org`.
pub async fn invite(
    store: &Store,
    config: &Config,
    org: OrgId,
    req: &CreateInvitationRequest,
    ctx: &AuditCtx,
) -> Result<InvitationCreated, ApiError> {
    let email = validate::email("email", &req.email)?;
    let display_name = req
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(validate::display_name)
        .transpose()?;
    if req.role == OrgRole::Guest && !store.policies(org).await?.guest_access {
        return Err(ApiError::field(ErrorCode::Forbidden, "role"));
    }
    let code = tokens::new_invitation_code();
    let new = NewInvitation {
        email,
        role: req.role,
        display_name,
        team_ids: req.team_ids.clone(),
        profile: match &req.profile {
            Some(p) => {
                let mut p = validate::profile(p)?;
                p.display_name = None;
                p
            }
            None => Default::default(),
        },
        code_hash: hash_code(&code)?,
        expires_at: ctx.now + INVITATION_TTL_MS,
    };
    let invitation = store.create_invitation(org, &new, ctx).await?;
    Ok(InvitationCreated {
        invitation,
        link: invitation_link(config, &code),
        code,
    })
}
