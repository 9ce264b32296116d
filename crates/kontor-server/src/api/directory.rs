//! The company directory: search by name, team, competence, language and place.

use crate::access::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::search::{self, Searchable};
use crate::state::AppState;
use crate::store::CandidateFilter;
use crate::validate;
use axum::extract::State;
use kontor_proto::api::{DirectoryPage, DirectoryQuery, Role};
use kontor_proto::{ErrorBody, TeamId};
use std::collections::{BTreeSet, HashMap};

/// Searches the directory. Results are ranked: a term matching a name ranks first, then a
/// competence, a job title, then teams, languages and places; ties by name.
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
    let team_ids = match q.team {
        Some(team) => {
            caller.require_team_visible(&state, team).await?;
            Some(with_descendants(&state, caller.org, team).await?)
        }
        None => None,
    };
    let filter = CandidateFilter {
        terms: terms.clone(),
        team_ids,
        facets,
        role: q.role,
        email: q
            .email
            .as_deref()
            .map(|e| validate::email("email", e))
            .transpose()?,
        include_inactive,
        sharing_team_with: (caller.role == Role::Guest).then_some(caller.user),
    };
    let mut candidates = state
        .store()
        .directory_candidates(caller.org, &filter)
        .await?;
    if caller.role == Role::Guest && !terms.is_empty() {
        // Guests match only on what they can see (not on teams they are not in).
        let ids: Vec<_> = candidates.iter().map(|c| c.id).collect();
        let mut visible = state.store().people(caller.org, &ids).await?;
        caller.redact(&state, &mut visible).await?;
        let keep: Vec<_> = visible
            .iter()
            .filter(|p| {
                let teams: Vec<String> = p.teams.iter().map(|t| t.name.clone()).collect();
                let text = Searchable {
                    display_name: &p.display_name,
                    email: &p.email,
                    job_title: &p.job_title,
                    competences: &p.competences,
                    languages: &p.languages,
                    location: &p.location,
                    phone_extension: &p.phone_extension,
                    team_names: &teams,
                }
                .search_text();
                terms.iter().all(|t| text.contains(t.as_str()))
            })
            .map(|p| p.id)
            .collect();
        candidates.retain(|c| keep.contains(&c.id));
    }
    let total = candidates.len() as u64;
    let mut ranked: Vec<(u32, String, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let score = if terms.is_empty() {
                0
            } else {
                search::score(
                    &terms,
                    &Searchable {
                        display_name: &c.display_name,
                        job_title: &c.job_title,
                        competences: &c.competences,
                        languages: &c.languages,
                        location: &c.location,
                        ..Default::default()
                    },
                )
            };
            (score, search::fold(&c.display_name), i)
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    let page: Vec<_> = ranked
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(_, _, i)| candidates[*i].id)
        .collect();
    let mut people = state.store().people(caller.org, &page).await?;
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
    let teams = state.store().teams(org).await?;
    let mut children: HashMap<TeamId, Vec<TeamId>> = HashMap::new();
    for t in &teams {
        if let Some(p) = t.parent_id {
            children.entry(p).or_default().push(t.id);
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
