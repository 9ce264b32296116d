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

use crate::search::{Searchable, fold};
use crate::store::{Store, StoreResult};
use kontor_proto::api::Person;
use kontor_proto::{EventKind, OrgId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One person as the directory searches them.
#[derive(Debug)]
pub struct Entry {
    pub person: Person,
    /// Every searchable field in both foldings (see [`crate::search`]).
    pub text: String,
    /// `|c:…|l:…|o:…|` for the exact filters.
    pub facets: String,
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
    pub people: HashMap<UserId, Arc<Entry>>,
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
