//! An in-memory copy of each organisation's directory, for fast search.
//!
//! The copy is derived from the store and kept fresh through the organisation's event
//! sequence: every change to a person is committed together with a `person_changed` event
//! that carries the new state, so before each search the index reads the events after the
//! sequence number it has seen and applies them (usually none; one cheap query). If the
//! events it needs were pruned, it rebuilds from the store. Each server node keeps its own
//! copy, and all of them follow the same events, so scale-out needs nothing more.
//!
//! Searches run on an immutable snapshot (`Arc<OrgIndex>`); a refresh makes a new one.

use crate::search::{FacetFilter, Facets, Searchable, fold, starts_a_word};
use crate::store::{Store, StoreResult};
use kontor_proto::api::{Competence, OrgRole, Person, PersonStatus};
use kontor_proto::{EventKind, OrgId, PersonId, TeamId};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// One person as the directory searches them.
#[derive(Debug)]
pub struct Entry {
    pub person: Person,
    /// Every searchable field in both foldings (see [`crate::search`]).
    pub text: String,
    /// Competences, languages and place, folded, for the filters.
    pub facets: Facets,
    /// The folded display name, for ordering.
    pub sort_key: String,
    /// The fields ranking looks at, folded.
    pub ranked: crate::search::Ranked,
}

impl Entry {
    pub fn new(person: Person) -> Entry {
        let team_names: Vec<String> = person.teams.iter().map(|t| t.name.clone()).collect();
        let s = searchable(&person, &team_names);
        let (text, facets) = (s.search_text(), s.facets());
        let ranked = crate::search::Ranked::new(&s);
        let sort_key = fold(&person.display_name);
        Entry {
            person,
            text,
            facets,
            sort_key,
            ranked,
        }
    }
}

/// The searchable view of a person with the given team names.
pub fn searchable<'a>(p: &'a Person, team_names: &'a [String]) -> Searchable<'a> {
    Searchable {
        display_name: &p.display_name,
        email: &p.email,
        job_title: &p.job_title,
        competences: &p.competences,
        languages: &p.languages,
        location: &p.location,
        phone_extension: &p.phone_extension,
        team_names,
    }
}

/// One organisation's directory as of event `seq`.
#[derive(Debug, Default)]
pub struct OrgIndex {
    pub seq: u64,
    pub people: HashMap<PersonId, Arc<Entry>>,
}

/// Who searches the directory. There is no default: every search says whether a guest
/// asks, so that forgetting it cannot show a guest the whole organisation.
#[derive(Debug)]
pub enum Viewer {
    /// A colleague (member, admin, owner): finds everybody by everything.
    Colleague(PersonId),
    /// A guest with their teams: finds only people who share one, and finds them only by
    /// what they may see (the shared teams' names, not the others').
    Guest(PersonId, HashSet<TeamId>),
}

/// What a directory search asks for, validated and folded already.
#[derive(Debug)]
pub struct Query {
    /// Folded terms; every one must be found.
    pub terms: Vec<String>,
    /// Competence (by prefix), language and place (exactly); every one must match.
    pub facets: Vec<FacetFilter>,
    pub role: Option<OrgRole>,
    pub email: Option<String>,
    /// Only members of these teams (a team with its sub-teams).
    pub teams: Option<HashSet<TeamId>>,
    pub include_inactive: bool,
    pub viewer: Viewer,
}

impl Query {
    /// Everybody active the viewer may find, in no particular filter.
    pub fn new(viewer: Viewer) -> Query {
        Query {
            terms: Vec::new(),
            facets: Vec::new(),
            role: None,
            email: None,
            teams: None,
            include_inactive: false,
            viewer,
        }
    }
}

impl OrgIndex {
    /// Everybody who matches, best first: a term matching a name ranks first, then a
    /// competence, a job title, then teams, languages and places; ties by name, then id.
    pub fn search(&self, q: &Query) -> Vec<&Entry> {
        let mut hits: Vec<(u32, &Entry)> = Vec::new();
        for entry in self.people.values() {
            let p = &entry.person;
            if (!q.include_inactive && p.status != PersonStatus::Active)
                || q.role.is_some_and(|r| r != p.role)
                || q.email.as_ref().is_some_and(|e| *e != p.email)
                || !q.facets.iter().all(|f| f.matches(&entry.facets))
                || q.teams
                    .as_ref()
                    .is_some_and(|set| !p.teams.iter().any(|t| set.contains(&t.team_id)))
            {
                continue;
            }
            if !q.viewer.may_find(p) {
                continue;
            }
            let text = match &q.viewer {
                Viewer::Guest(me, mine) if p.id != *me => {
                    let shared: Vec<String> = p
                        .teams
                        .iter()
                        .filter(|t| mine.contains(&t.team_id))
                        .map(|t| t.name.clone())
                        .collect();
                    Cow::Owned(searchable(p, &shared).search_text())
                }
                _ => Cow::Borrowed(entry.text.as_str()),
            };
            if !q.terms.iter().all(|t| text.contains(t.as_str())) {
                continue;
            }
            let score = if q.terms.is_empty() {
                0
            } else {
                entry.ranked.score(&q.terms)
            };
            hits.push((score, entry));
        }
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.sort_key.cmp(&b.1.sort_key))
                .then_with(|| a.1.person.id.cmp(&b.1.person.id))
        });
        hits.into_iter().map(|(_, e)| e).collect()
    }
}

impl Viewer {
    /// May this viewer find this person at all? A guest only themselves and the people who
    /// share a team with them.
    fn may_find(&self, p: &Person) -> bool {
        match self {
            Viewer::Colleague(_) => true,
            Viewer::Guest(me, mine) => {
                p.id == *me || p.teams.iter().any(|t| mine.contains(&t.team_id))
            }
        }
    }
}

impl OrgIndex {
    /// The distinct competences of the active people the viewer may find, alphabetically
    /// (by their folded form), at most `limit`; with a `prefix`, only those that start with
    /// it or have a word that does, as the competence filter finds them. Spellings that
    /// differ only in case or umlauts are one competence, shown in its most used spelling.
    pub fn competences(&self, viewer: &Viewer, prefix: &str, limit: usize) -> Vec<Competence> {
        let prefix = fold(prefix);
        // Folded form → (people with it, how often each spelling is used).
        let mut found: BTreeMap<&str, (u32, BTreeMap<&str, u32>)> = BTreeMap::new();
        for entry in self.people.values() {
            let p = &entry.person;
            if p.status != PersonStatus::Active || !viewer.may_find(p) {
                continue;
            }
            let mut counted: HashSet<&str> = HashSet::new();
            for (name, folded) in p.competences.iter().zip(&entry.facets.competences) {
                let matches = prefix.is_empty() || folded.iter().any(|f| starts_a_word(f, &prefix));
                if !matches || folded[0].is_empty() {
                    continue;
                }
                let slot = found.entry(folded[0].as_str()).or_default();
                if counted.insert(folded[0].as_str()) {
                    slot.0 += 1;
                }
                *slot.1.entry(name.as_str()).or_default() += 1;
            }
        }
        found
            .into_values()
            .take(limit)
            .map(|(people, spellings)| {
                // The most used spelling; of equally used ones the first in order.
                let name = spellings
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map(|(s, _)| (*s).to_owned())
                    .unwrap_or_default();
                Competence { name, people }
            })
            .collect()
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Arc<OrgIndex>>>>;

/// The indexes of all organisations this node has served searches for.
#[derive(Debug, Default)]
pub struct DirectoryIndex {
    orgs: Mutex<HashMap<OrgId, Slot>>,
}

/// How many events one refresh reads at a time.
const BATCH: u32 = 2000;

impl DirectoryIndex {
    /// A snapshot of the organisation's directory that includes every committed change.
    pub async fn snapshot(&self, store: &Store, org: OrgId) -> StoreResult<Arc<OrgIndex>> {
        let slot = self
            .orgs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(org)
            .or_default()
            .clone();
        let mut current = slot.lock().await;
        let (last, oldest) = store.event_bounds(org).await?;
        let next = match current.as_ref() {
            Some(idx) if idx.seq == last => return Ok(idx.clone()),
            Some(idx) if idx.seq + 1 >= oldest && idx.seq < last => {
                Self::apply(store, org, idx, last).await?
            }
            _ => Self::build(store, org, last).await?,
        };
        let next = Arc::new(next);
        *current = Some(next.clone());
        Ok(next)
    }

    /// Loads the whole directory (first search, or events pruned).
    async fn build(store: &Store, org: OrgId, seq: u64) -> StoreResult<OrgIndex> {
        let ids = store.person_ids(org).await?;
        let people = store.people(org, &ids).await?;
        Ok(OrgIndex {
            seq,
            people: people
                .into_iter()
                .map(|p| (p.id, Arc::new(Entry::new(p))))
                .collect(),
        })
    }

    /// Applies the events after `idx.seq` to a copy of `idx`.
    async fn apply(store: &Store, org: OrgId, idx: &OrgIndex, last: u64) -> StoreResult<OrgIndex> {
        let mut people = idx.people.clone();
        let mut seq = idx.seq;
        loop {
            let events = store.org_events_after(org, seq, BATCH).await?;
            let full = events.len() as u32 == BATCH;
            for event in events {
                seq = event.seq;
                if let EventKind::PersonChanged { person } = event.kind {
                    people.insert(person.id, Arc::new(Entry::new(person)));
                }
            }
            if !full {
                break;
            }
        }
        Ok(OrgIndex {
            seq: seq.max(last),
            people,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{FacetKind, query_terms};
    use kontor_proto::api::{TeamKind, TeamMembership, TeamRole};

    fn person(name: &str, job: &str, teams: &[(TeamId, &str)]) -> Person {
        Person {
            id: PersonId::new(),
            display_name: name.into(),
            email: format!("{}@example.org", name.to_lowercase()),
            role: OrgRole::Member,
            status: PersonStatus::Active,
            job_title: job.into(),
            competences: vec![],
            languages: vec![],
            location: String::new(),
            phone_extension: String::new(),
            has_avatar: false,
            teams: teams
                .iter()
                .map(|(id, name)| TeamMembership {
                    team_id: *id,
                    name: (*name).into(),
                    kind: TeamKind::Group,
                    role: TeamRole::Member,
                })
                .collect(),
            created_at: String::new(),
            status_since: None,
            disambiguator: None,
        }
    }

    fn with(mut p: Person, competences: &[&str], languages: &[&str], location: &str) -> Person {
        p.competences = competences.iter().map(|c| (*c).to_owned()).collect();
        p.languages = languages.iter().map(|l| (*l).to_owned()).collect();
        p.location = location.into();
        p
    }

    fn index(people: Vec<Person>) -> OrgIndex {
        OrgIndex {
            seq: 0,
            people: people
                .into_iter()
                .map(|p| (p.id, Arc::new(Entry::new(p))))
                .collect(),
        }
    }

    fn names(hits: &[&Entry]) -> Vec<String> {
        hits.iter().map(|e| e.person.display_name.clone()).collect()
    }

    #[test]
    fn a_name_ranks_above_a_job_title_and_ties_go_by_name() {
        let idx = index(vec![
            person("Zora", "Pflege", &[]),
            person("Pflegmann", "Koch", &[]),
            person("Anton", "Pflege", &[]),
        ]);
        let q = Query {
            terms: query_terms("pfleg"),
            ..Query::new(Viewer::Colleague(PersonId::new()))
        };
        assert_eq!(names(&idx.search(&q)), ["Pflegmann", "Anton", "Zora"]);
    }

    #[test]
    fn a_guest_finds_only_people_of_shared_teams_and_only_by_those_teams() {
        let (shared, other) = (TeamId::new(), TeamId::new());
        let guest = person("Gast", "", &[(shared, "Station 3")]);
        let viewer = guest.id;
        let idx = index(vec![
            guest,
            person("Ben", "", &[(shared, "Station 3"), (other, "Vorstand")]),
            person("Dora", "", &[(other, "Vorstand")]),
        ]);
        let q = |text: &str| Query {
            terms: query_terms(text),
            ..Query::new(Viewer::Guest(viewer, HashSet::from([shared])))
        };
        assert_eq!(names(&idx.search(&q(""))), ["Ben", "Gast"]);
        assert!(
            idx.search(&q("vorstand")).is_empty(),
            "a team the guest is not in is not searchable for them"
        );
    }

    fn filtered(idx: &OrgIndex, kind: FacetKind, value: &str) -> Vec<String> {
        let q = Query {
            facets: vec![FacetFilter::new(kind, value)],
            ..Query::new(Viewer::Colleague(PersonId::new()))
        };
        names(&idx.search(&q))
    }

    #[test]
    fn the_competence_filter_finds_by_prefix_in_any_case_and_umlaut_spelling() {
        let idx = index(vec![
            with(person("Clara", "", &[]), &["Wundversorgung"], &[], ""),
            with(person("Jürgen", "", &[]), &["Überleitungspflege"], &[], ""),
            with(person("Paula", "", &[]), &["Palliative Care"], &[], ""),
            with(person("Dora", "", &[]), &["Diabetes"], &[], ""),
        ]);
        for typed in ["Wund", "wund", "WUNDV", "Wundversorgung"] {
            assert_eq!(
                filtered(&idx, FacetKind::Competence, typed),
                ["Clara"],
                "{typed}"
            );
        }
        for typed in ["Über", "über", "ueber", "Uber", "uberleitung"] {
            assert_eq!(
                filtered(&idx, FacetKind::Competence, typed),
                ["Jürgen"],
                "{typed}"
            );
        }
        // A word of the competence counts as its start; the middle of a word does not.
        assert_eq!(filtered(&idx, FacetKind::Competence, "care"), ["Paula"]);
        assert!(filtered(&idx, FacetKind::Competence, "versorgung").is_empty());
        assert!(filtered(&idx, FacetKind::Competence, "Wundx").is_empty());
        assert!(
            filtered(&idx, FacetKind::Competence, "--").is_empty(),
            "nothing to fold finds nobody"
        );
    }

    #[test]
    fn language_and_place_filters_stay_exact_but_ignore_case_and_umlauts() {
        let idx = index(vec![
            with(person("Jürgen", "", &[]), &[], &["Türkisch"], "Köln"),
            with(
                person("Clara", "", &[]),
                &[],
                &["Deutsch"],
                "Köln-Ehrenfeld",
            ),
        ]);
        for typed in ["türkisch", "TUERKISCH", "Turkisch"] {
            assert_eq!(
                filtered(&idx, FacetKind::Language, typed),
                ["Jürgen"],
                "{typed}"
            );
        }
        assert!(filtered(&idx, FacetKind::Language, "Tür").is_empty());
        for typed in ["köln", "KOELN", "Koln"] {
            assert_eq!(
                filtered(&idx, FacetKind::Place, typed),
                ["Jürgen"],
                "{typed}"
            );
        }
    }

    #[test]
    fn the_competences_are_distinct_sorted_limited_and_counted_per_person() {
        let idx = index(vec![
            with(
                person("Clara", "", &[]),
                &["Wundversorgung", "Diabetes"],
                &[],
                "",
            ),
            with(
                person("Jürgen", "", &[]),
                &["wundversorgung", "Wundversorgung", "Ärztliche Assistenz"],
                &[],
                "",
            ),
            with(person("Renée", "", &[]), &["Wundversorgung"], &[], ""),
        ]);
        let colleague = Viewer::Colleague(PersonId::new());
        let all = idx.competences(&colleague, "", 10);
        assert_eq!(
            all,
            [
                Competence {
                    name: "Ärztliche Assistenz".into(),
                    people: 1
                },
                Competence {
                    name: "Diabetes".into(),
                    people: 1
                },
                Competence {
                    name: "Wundversorgung".into(),
                    people: 3
                },
            ],
            "by their folded form (ä as ae), one per spelling that differs in case only"
        );
        let first = idx.competences(&colleague, "", 2);
        assert_eq!(first.len(), 2);
        let wund = idx.competences(&colleague, "Wund", 10);
        assert_eq!(wund.len(), 1);
        assert_eq!(wund[0].name, "Wundversorgung");
        assert_eq!(idx.competences(&colleague, "arzt", 10)[0].people, 1);
        assert_eq!(idx.competences(&colleague, "assist", 10).len(), 1);
        assert!(idx.competences(&colleague, "versorgung", 10).is_empty());
    }

    #[test]
    fn a_guest_is_offered_only_the_competences_of_people_they_may_see() {
        let (shared, other) = (TeamId::new(), TeamId::new());
        let guest = with(
            person("Gast", "", &[(shared, "Station 3")]),
            &["Logistik"],
            &[],
            "",
        );
        let viewer = Viewer::Guest(guest.id, HashSet::from([shared]));
        let mut gone = with(
            person("Egon", "", &[(shared, "Station 3")]),
            &["Buchhaltung"],
            &[],
            "",
        );
        gone.status = PersonStatus::Deprovisioned;
        let idx = index(vec![
            guest,
            gone,
            with(
                person("Ben", "", &[(shared, "Station 3")]),
                &["Wundversorgung"],
                &[],
                "",
            ),
            with(
                person("Dora", "", &[(other, "Vorstand")]),
                &["Wundexpertin", "Finanzen"],
                &[],
                "",
            ),
        ]);
        let names: Vec<String> = idx
            .competences(&viewer, "", 10)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["Logistik", "Wundversorgung"]);
        assert_eq!(idx.competences(&viewer, "wund", 10).len(), 1);
    }
}
