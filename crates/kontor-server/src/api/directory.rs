//! The company directory: search by name, team, competence, language and place, and the
//! competences to suggest while a person types one.

use crate::access::Caller;
use crate::directory_index::Query;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::search::{self, FacetFilter, FacetKind};
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use kontor_proto::api::{Competences, CompetencesQuery, DirectoryPage, DirectoryQuery, Person};
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
        (FacetKind::Competence, "competence", &q.competence),
        (FacetKind::Language, "language", &q.language),
        (FacetKind::Place, "location", &q.location),
    ] {
        if let Some(v) = value {
            let v = validate::line(field, v, 1, 100)?;
            facets.push(FacetFilter::new(kind, &v));
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
    let viewer = caller.directory_viewer(&index);
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

/// The distinct competences of the people the caller may find, alphabetically, for
/// suggesting them as a person types a competence filter: with `prefix`, those that the
/// filter would find by it (the competence or one of its words starts with it, whatever the
/// case or umlauts). A guest is offered only the competences of people they may see.
#[utoipa::path(get, path = "/directory/competences", tag = "directory", security(("session" = [])),
    params(CompetencesQuery),
    responses((status = 200, body = Competences), (status = "4XX", body = ErrorBody)))]
pub async fn competences(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CompetencesQuery>,
) -> Result<ApiJson<Competences>, ApiError> {
    let limit = validate::limit(q.limit, 20, 100)?;
    let prefix = q
        .prefix
        .as_deref()
        .map(|p| validate::line("prefix", p, 0, 100))
        .transpose()?
        .unwrap_or_default();
    let index = state
        .directory()
        .snapshot(state.store(), caller.org)
        .await?;
    let viewer = caller.directory_viewer(&index);
    Ok(ApiJson(Competences {
        competences: index.competences(&viewer, &prefix, limit as usize),
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
