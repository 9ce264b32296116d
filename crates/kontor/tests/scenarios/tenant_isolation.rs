//! Nobody ever sees another organisation's data: a property over random organisations,
//! people, teams and queries.

use crate::common::*;
use kontor_proto::api::*;
use proptest::prelude::*;
use reqwest::Method;
use std::collections::{HashMap, HashSet};

/// Names, competences and team names come from small sets, so that queries match people in
/// several organisations at once.
const NAMES: &[&str] = &[
    "Anna Müller",
    "Ben Özdemir",
    "Clara Weiß",
    "Jürgen Krause",
    "Eva Schmidt",
    "Anna Schmitt",
];
const SKILLS: &[&str] = &[
    "Wundversorgung",
    "Palliativpflege",
    "Buchhaltung",
    "Diabetes",
];
const TEAMS: &[&str] = &["Pflege", "Verwaltung", "Köln", "Projekt Alpha"];
const QUERIES: &[&str] = &[
    "anna",
    "müller",
    "mueller",
    "wundversorgung",
    "pflege",
    "a",
    "köln",
    "schmi",
    "",
];

#[derive(Clone, Debug)]
struct OrgPlan {
    people: Vec<(usize, usize, Option<usize>, bool)>, // name, skill, team, guest
}

fn org_plan() -> impl Strategy<Value = OrgPlan> {
    prop::collection::vec(
        (
            0..NAMES.len(),
            0..SKILLS.len(),
            prop::option::of(0..TEAMS.len()),
            prop::bool::weighted(0.25),
        ),
        1..5,
    )
    .prop_map(|people| OrgPlan { people })
}

#[test]
fn organisations_never_see_each_other() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(TestServer::start());
    let config = ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let counter = std::cell::Cell::new(0u32);
    proptest!(config, |(plans in prop::collection::vec(org_plan(), 2..4), queries in prop::collection::vec(0..QUERIES.len(), 1..4))| {
        counter.set(counter.get() + 1);
        let round = counter.get();
        rt.block_on(async {
            // Build the organisations.
            let mut members: Vec<Vec<Actor>> = Vec::new();
            let mut team_ids: Vec<HashSet<kontor_proto::TeamId>> = Vec::new();
            for (o, plan) in plans.iter().enumerate() {
                let org = server.create_org(&format!("Org {round}-{o}"), &format!("owner{o}@org{round}.example")).await;
                let owner = server.join(&org.invitation.code, "Owner").await;
                let mut teams = HashMap::new();
                let mut people = vec![owner.clone()];
                for (i, (name, skill, team, guest)) in plan.people.iter().enumerate() {
                    let role = if *guest { OrgRole::Guest } else { OrgRole::Member };
                    let inv = owner.invite(&format!("p{i}@org{round}-{o}.example"), role).await;
                    let p = server.join(&inv.code, NAMES[*name]).await;
                    let _: Person = owner.ok(Method::PATCH, &format!("/people/{}", p.id()), &ProfilePatch { competences: Some(vec![SKILLS[*skill].into()]), ..Default::default() }).await;
                    if let Some(t) = team {
                        let id = match teams.get(t) {
                            Some(id) => *id,
                            None => {
                                let team: Team = owner.ok(Method::POST, "/teams", &CreateTeamRequest { name: TEAMS[*t].into(), kind: TeamKind::Group, parent_id: None, description: String::new() }).await;
                                teams.insert(*t, team.id);
                                team.id
                            }
                        };
                        let (status, _) = owner.call(Method::PUT, &format!("/teams/{id}/members/{}", p.id()), Some(&SetTeamMemberRequest { role: TeamRole::Member })).await;
                        assert_eq!(status.as_u16(), 204);
                    }
                    people.push(p);
                }
                members.push(people);
                team_ids.push(teams.values().copied().collect());
            }
            // Check every actor against every other organisation.
            for (o, people) in members.iter().enumerate() {
                let own_ids: HashSet<_> = people.iter().map(|p| p.id()).collect();
                for actor in people {
                    for q in &queries {
                        let page: DirectoryPage = actor.get(&format!("/directory?q={}", QUERIES[*q])).await;
                        for p in &page.people {
                            assert!(own_ids.contains(&p.id), "{} found {} of another organisation", actor.email(), p.email);
                        }
                    }
                    let teams: Vec<Team> = actor.get("/teams").await;
                    assert!(teams.iter().all(|t| team_ids[o].contains(&t.id)));
                    let events = actor.events_after(0).await;
                    let text = serde_json::to_string(&events).unwrap();
                    for (other, others) in members.iter().enumerate() {
                        if other == o {
                            continue;
                        }
                        for stranger in others {
                            assert!(!text.contains(&stranger.id().to_string()), "an event leaked a stranger");
                            let path = format!("/people/{}", stranger.id());
                            actor.fails::<()>(Method::GET, &path, None, "not_found").await;
                            actor.fails(Method::PATCH, &path, Some(&ProfilePatch { job_title: Some("x".into()), ..Default::default() }), "not_found").await;
                        }
                        for team in &team_ids[other] {
                            actor.fails::<()>(Method::GET, &format!("/teams/{team}"), None, "not_found").await;
                            actor.fails::<()>(Method::GET, &format!("/directory?team={team}"), None, "not_found").await;
                        }
                    }
                }
                // The owner cannot act on strangers either.
                let owner = &people[0];
                for (other, others) in members.iter().enumerate() {
                    if other != o {
                        let s = &others[others.len() - 1];
                        owner.fails(Method::POST, &format!("/people/{}/suspend", s.id()), Some(&()), "not_found").await;
                        owner.fails(Method::PUT, &format!("/people/{}/role", s.id()), Some(&SetRoleRequest { role: OrgRole::Admin }), "not_found").await;
                        if let Some(team) = team_ids[other].iter().next() {
                            owner.fails(Method::PUT, &format!("/teams/{team}/members/{}", owner.id()), Some(&SetTeamMemberRequest { role: TeamRole::Member }), "not_found").await;
                            owner.fails::<()>(Method::DELETE, &format!("/teams/{team}"), None, "not_found").await;
                        }
                        let audit: AuditPage = owner.get("/audit?limit=500").await;
                        assert!(!serde_json::to_string(&audit).unwrap().contains(&s.id().to_string()));
                    }
                }
            }
        });
    });
    assert_eq!(counter.get(), 12, "every case ran");
    rt.block_on(server.stop());
}

#[tokio::test]
async fn another_organisations_conversation_id_answers_like_any_new_id() {
    use kontor_proto::conversation::{ConversationKind, CreateConversation};
    let w = World::new().await;
    let url = w.server.url.clone();
    let create = |actor: &Actor, body: CreateConversation| {
        let actor = actor.clone();
        async move {
            actor
                .call(Method::POST, "/conversations", Some(&body))
                .await
        }
    };
    // Anna's conversation exists.
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let annas = anna
        .s
        .core
        .create_conversation(ConversationKind::Group)
        .unwrap();
    let (status, _) = create(&w.anna, annas.clone()).await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let (again, _) = create(&w.anna, annas.clone()).await;
    assert_eq!(
        again,
        reqwest::StatusCode::CREATED,
        "creating twice is idempotent"
    );
    // Dora next door, and Ben in Anna's organisation, try Anna's id and an id nobody has:
    // the answers are the same, so neither learns that Anna's exists.
    let never_used = kontor_proto::ConversationId(uuid::Uuid::from_bytes([9; 16]));
    for outsider in [&w.dora, &w.ben] {
        let mut device = ChatDevice::of(&url, outsider).await;
        let own = device
            .s
            .core
            .create_conversation(ConversationKind::Group)
            .unwrap();
        let taken = create(
            outsider,
            CreateConversation {
                id: annas.id,
                ..own.clone()
            },
        )
        .await;
        let fresh = create(
            outsider,
            CreateConversation {
                id: never_used,
                ..own.clone()
            },
        )
        .await;
        assert_eq!(taken, fresh);
        assert_eq!(taken.0, reqwest::StatusCode::BAD_REQUEST);
        assert_eq!(taken.1["error"]["field"], "id");
        // An id of their own works.
        assert_eq!(create(outsider, own).await.0, reqwest::StatusCode::CREATED);
    }
    w.server.stop().await;
}
