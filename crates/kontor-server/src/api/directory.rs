//! The company directory: search by name, team, competence, language and place.

use crate::access::Caller;
use crate::directory_index::{Query, Viewer};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::search;
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use kontor_proto::api::{DirectoryPage, DirectoryQuery, OrgRole, Person};
use kontor_proto::{ErrorBody, TeamId};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Searches the directory (an in-memory copy kept fresh by the event sequence; the search
/// itself is [`crate::directory_index::OrgIndex::search`]). Results are ranked: a term
/// matching a name ranks first, then a competence, a job title, then teams, languages and
/// places; ties by name.
#[utoipa::path(get, path = "/directory", tag = "directory", security(("session" = [])),
    params(DirectoryQuery),
    responses((status = 200, body = DirectoryPage), (status = "4XX", body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> Result<ApiJson<DirectoryPage>, ApiError> {
    let limit = validate::limit(q.limit, 50, 200)?;
    let offset = q.offset.unwrap_or(0);
    let include_inactive = q.include_inactive.unwrap_or(false);
    if include_inactive {
        caller.require_admin()?;
    }
    let text =
        q.q.as_deref()
            .map(|t| validate::line("q", t, 0, 200))
            .transpose()?;
    let terms = text.as_deref().map(search::query_terms).unwrap_or_default();
    let mut facets = Vec::new();
    for (kind, field, value) in [
        ("c", "competence", &q.competence),
        ("l", "language", &q.language),
        ("o", "location", &q.location),
    ] {
        if let Some(v) = value {
            let v = validate::line(field, v, 1, 100)?;
            facets.push(search::facet_pattern(kind, &v));
        }
    }
    let team_ids: Option<HashSet<TeamId>> = match q.team {
        Some(team) => {
            caller.require_team_visible(&state, team).await?;
            Some(
                with_descendants(&state, caller.org, team)
                    .await?
                    .into_iter()
                    .collect(),
            )
        }
        None => None,
    };
    let email = q
        .email
        .as_deref()
        .map(|e| validate::email("email", e))
        .transpose()?;
    let index = state
        .directory()
        .snapshot(state.store(), caller.org)
        .await?;
    // A guest sees only people who share a team with them, and of them only shared teams.
    let viewer = if caller.role == OrgRole::Guest {
        let teams: HashSet<TeamId> = index
            .people
            .get(&caller.user)
            .map(|me| me.person.teams.iter().map(|t| t.team_id).collect())
            .unwrap_or_default();
        Viewer::Guest(caller.user, teams)
    } else {
        Viewer::Colleague(caller.user)
    };
    let hits = index.search(&Query {
        terms,
        facets,
        role: q.role,
        email,
        teams: team_ids,
        include_inactive,
        viewer,
    });
    let total = hits.len() as u64;
    if u64::from(offset) > total {
        // Past the end of the results: say so rather than answer an empty page.
        return Err(ApiError::invalid("offset"));
    }
    let mut people: Vec<Person> = hits
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|e| e.person.clone())
        .collect();
    caller.redact(&state, &mut people).await?;
    let end = u64::from(offset) + people.len() as u64;
    Ok(ApiJson(DirectoryPage {
        people,
        total,
        next_offset: (end < total).then_some(end as u32),
    }))
}

/// A team and all teams below it.
async fn with_descendants(
    state: &AppState,
    org: kontor_proto::OrgId,
    root: TeamId,
) -> Result<Vec<TeamId>, ApiError> {
    let mut children: HashMap<TeamId, Vec<TeamId>> = HashMap::new();
    for (id, parent) in state.store().team_tree(org).await? {
        if let Some(p) = parent {
            children.entry(p).or_default().push(id);
        }
    }
    let mut out = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(t) = stack.pop() {
        if out.insert(t) {
            stack.extend(children.get(&t).into_iter().flatten().copied());
        }
    }
    Ok(out.into_iter().collect())
}
