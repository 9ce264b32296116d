//! One conformance suite for the store, run on both backends: SQLite in a temporary data
//! directory and a fresh PostgreSQL database. Every behaviour the API relies on is pinned
//! here, so a backend that differs fails by name.

use crate::common::{drop_postgres_database, fresh_postgres_database};
use kontor_proto::api::*;
use kontor_proto::{ErrorCode, EventKind, OrgId, PersonId};
use kontor_server::store::*;
use kontor_server::tokens;
use std::future::Future;

/// A store on one backend, removed afterwards.
struct Backend {
    store: Store,
    url: String,
    _dir: tempfile::TempDir,
    pg: Option<String>,
}

async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let url = kontor_server::config::sqlite_url(dir.path());
    let store = Store::open(&url).await.unwrap();
    Backend {
        store,
        url,
        _dir: dir,
        pg: None,
    }
}

async fn postgres() -> Backend {
    let url = fresh_postgres_database().await;
    let store = Store::open(&url).await.unwrap();
    Backend {
        store,
        url: url.clone(),
        _dir: tempfile::tempdir().unwrap(),
        pg: Some(url),
    }
}

async fn with<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    test(backend.store.clone()).await;
    backend.store.close().await;
    // Opening again runs the migrations again: nothing changes, the data is still there.
    let reopened = Store::open(&backend.url)
        .await
        .expect("migrations are idempotent");
    assert!(reopened.has_orgs().await.unwrap());
    reopened.close().await;
    if let Some(url) = backend.pg {
        drop_postgres_database(&url).await;
    }
}

/// The schema as Kontor left it before migration 11 named people `users`: undoes 0011 on a
/// database written by today's code, so that 0011 is seen upgrading one that holds rows.
const BEFORE_MIGRATION_11: &str = "
DROP INDEX people_org_status;
DROP INDEX people_name_skeleton;
DROP INDEX devices_person;
DROP INDEX sessions_person;
DROP INDEX team_members_person;
DROP INDEX link_requests_person;
DROP INDEX conversation_members_person;
DROP INDEX device_credentials_person;
ALTER TABLE people RENAME TO users;
ALTER TABLE avatars RENAME COLUMN person_id TO user_id;
ALTER TABLE devices RENAME COLUMN person_id TO user_id;
ALTER TABLE sessions RENAME COLUMN person_id TO user_id;
ALTER TABLE invitations RENAME COLUMN accepted_person TO accepted_user;
ALTER TABLE team_members RENAME COLUMN person_id TO user_id;
ALTER TABLE events RENAME COLUMN audience_person TO audience_user;
ALTER TABLE identities RENAME COLUMN person_id TO user_id;
ALTER TABLE link_requests RENAME COLUMN person_id TO user_id;
ALTER TABLE conversation_members RENAME COLUMN person_id TO user_id;
ALTER TABLE conversation_devices RENAME COLUMN person_id TO user_id;
ALTER TABLE conversation_messages RENAME COLUMN sender_person TO sender_user;
ALTER TABLE login_known_addresses RENAME COLUMN person_id TO user_id;
ALTER TABLE device_credentials RENAME COLUMN person_id TO user_id;
ALTER TABLE group_checkpoints RENAME COLUMN person_id TO user_id;
CREATE INDEX users_org_status ON users (org_id, status);
CREATE INDEX users_name_skeleton ON users (org_id, name_skeleton);
CREATE INDEX devices_user ON devices (user_id);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX team_members_user ON team_members (user_id);
CREATE INDEX link_requests_user ON link_requests (user_id);
CREATE INDEX conversation_members_user ON conversation_members (user_id);
CREATE INDEX device_credentials_user ON device_credentials (user_id);
DELETE FROM schema_migrations WHERE version = 11
";

/// Migration 11 renames `users` to `people` on a database that holds people, devices and
/// sessions: after it, everybody is still there and still logged in.
async fn people_written_before_the_rename_to_people_are_all_still_there(backend: Backend) {
    use sqlx::Connection;
    let store = backend.store.clone();
    let (org, owner) = org_with_owner(&store, "Omega").await;
    let ben = add_person(&store, org, "ben@omega.example", "Ben", OrgRole::Member).await;
    store.close().await;
    let mut conn = sqlx::AnyConnection::connect(&backend.url).await.unwrap();
    for statement in BEFORE_MIGRATION_11.split(';') {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    let store = Store::open(&backend.url)
        .await
        .expect("migration 11 upgrades");
    assert_eq!(store.person(org, owner).await.unwrap().role, OrgRole::Owner);
    assert_eq!(
        store.person(org, ben.user).await.unwrap().display_name,
        "Ben"
    );
    let devices = store.devices(org, ben.user).await.unwrap();
    assert_eq!(
        devices.iter().map(|d| d.id).collect::<Vec<_>>(),
        [ben.device]
    );
    let sessions = store.sessions(org, ben.user, T0).await.unwrap();
    assert!(sessions.iter().any(|s| s.id == ben.session));
    let backend = Backend { store, ..backend };
    with(backend, |_| async {}).await;
}

#[tokio::test]
async fn people_written_before_the_rename_to_people_are_all_still_there_on_sqlite() {
    people_written_before_the_rename_to_people_are_all_still_there(sqlite().await).await;
}

#[tokio::test]
async fn people_written_before_the_rename_to_people_are_all_still_there_on_postgres() {
    people_written_before_the_rename_to_people_are_all_still_there(postgres().await).await;
}

/// Declares each conformance test once per backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { super::with(super::sqlite().await, super::$name).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() { super::with(super::postgres().await, super::$name).await; })*
        }
    };
}

conformance!(
    migrations_are_idempotent_and_orgs_round_trip,
    an_invitation_is_accepted_once_even_under_concurrency,
    event_sequence_is_gap_free_under_concurrent_writers,
    queries_never_cross_organisations,
    unique_and_domain_rules_are_enforced,
    audit_filters_and_order,
    binary_and_text_round_trip_exactly,
    suspension_ends_sessions_and_deprovisioning_revokes_devices,
    delivery_service_orders_by_epoch_numbers_gap_free_and_stores_once,
    key_packages_are_handed_out_once_and_identities_only_move_forward,
    first_start_happens_once_and_branding_round_trips,
    login_failures_are_counted_atomically_and_known_addresses_expire,
    device_credentials_sealed_org_keys_and_namesakes_round_trip,
    nobody_can_drain_a_colleagues_one_time_key_packages,
    a_full_storage_quota_refuses_chat_messages_but_never_a_removal,
);

const T0: i64 = 1_800_000_000_000;
/// The operator's storage cap per organisation in these tests: no limit to speak of.
const CAP: u64 = u64::MAX;
/// Claim limits in these tests: generous, but for the test that is about them.
const CLAIMS: ClaimLimits = ClaimLimits {
    per_claimer: 10_000,
    per_target: 1_000,
    per_pair: 1_000,
};

fn ctx(now: i64) -> AuditCtx {
    AuditCtx {
        actor: None,
        address: Some("192.0.2.1".into()),
        now,
    }
}

fn invitation(email: &str, role: OrgRole, code: &str) -> NewInvitation {
    NewInvitation {
        email: email.into(),
        role,
        display_name: None,
        team_ids: vec![],
        profile: Default::default(),
        code_hash: tokens::hash(tokens::label::INVITATION, code),
        expires_at: T0 + 7 * 86_400_000,
    }
}

fn acceptance(code: &str, name: &str) -> Acceptance {
    Acceptance {
        code_hash: tokens::hash(tokens::label::INVITATION, code),
        display_name: name.into(),
        password_hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        new_session: NewSession {
            device_name: "laptop".into(),
            platform: "test".into(),
            token_hash: tokens::hash(tokens::label::SESSION, &format!("token-{code}-{name}")),
            credential_hash: format!(
                "credential-{}",
                tokens::hash(tokens::label::SESSION, &format!("token-{code}-{name}"))
            ),
            expires_at: T0 + 30 * 86_400_000,
        },
        address: Some("192.0.2.2".into()),
    }
}

/// An organisation with its owner.
async fn org_with_owner(store: &Store, name: &str) -> (OrgId, PersonId) {
    let code = format!("{name}-owner");
    let (org, _) = store
        .create_org(
            name,
            &name.to_lowercase(),
            &invitation(
                &format!("owner@{}.example", name.to_lowercase()),
                OrgRole::Owner,
                &code,
            ),
            &ctx(T0),
        )
        .await
        .unwrap();
    let ids = store
        .accept_invitation(&acceptance(&code, "Owner"), T0)
        .await
        .unwrap();
    (org.id, ids.user)
}

async fn add_person(store: &Store, org: OrgId, email: &str, name: &str, role: OrgRole) -> LoginIds {
    let code = format!("code-{email}");
    store
        .create_invitation(org, &invitation(email, role, &code), &ctx(T0))
        .await
        .unwrap();
    store
        .accept_invitation(&acceptance(&code, name), T0)
        .await
        .unwrap()
}

async fn migrations_are_idempotent_and_orgs_round_trip(store: Store) {
    let (org, owner) = org_with_owner(&store, "Alpha").await;
    let got = store.org(org).await.unwrap();
    assert_eq!((got.name.as_str(), got.slug.as_str()), ("Alpha", "alpha"));
    assert_eq!(store.org_by_slug("alpha").await.unwrap().unwrap().id, org);
    assert!(store.org_by_slug("nope").await.unwrap().is_none());
    assert!(store.has_orgs().await.unwrap());
    assert_eq!(store.policies(org).await.unwrap(), Policies::default());
    let p = store.person(org, owner).await.unwrap();
    assert_eq!((p.role, p.status), (OrgRole::Owner, PersonStatus::Active));
    store.ping().await.unwrap();
}

async fn an_invitation_is_accepted_once_even_under_concurrency(store: Store) {
    let (org, _) = org_with_owner(&store, "Beta").await;
    store
        .create_invitation(
            org,
            &invitation("ben@beta.example", OrgRole::Member, "ben-code"),
            &ctx(T0),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .accept_invitation(&acceptance("ben-code", &format!("Ben {i}")), T0)
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Refused(ErrorCode::InvitationInvalid, _)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one acceptance wins");
    // Expired invitations say so.
    store
        .create_invitation(
            org,
            &invitation("late@beta.example", OrgRole::Member, "late-code"),
            &ctx(T0),
        )
        .await
        .unwrap();
    let late = store
        .accept_invitation(&acceptance("late-code", "Late"), T0 + 8 * 86_400_000)
        .await;
    assert!(matches!(
        late,
        Err(StoreError::Refused(ErrorCode::InvitationExpired, _))
    ));
    assert!(matches!(
        store.invitation_by_code("nothing", T0).await,
        Err(StoreError::Refused(ErrorCode::InvitationInvalid, _))
    ));
}

async fn event_sequence_is_gap_free_under_concurrent_writers(store: Store) {
    let (org, owner) = org_with_owner(&store, "Gamma").await;
    let (start, _) = store.event_bounds(org).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let patch = ProfilePatch {
                job_title: Some(format!("title {i}")),
                ..Default::default()
            };
            store
                .update_profile(org, owner, &patch, &ctx(T0))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let events = store
        .events_after(org, owner, false, start, 1000)
        .await
        .unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, ((start + 1)..=(start + 20)).collect::<Vec<_>>());
    let (last, oldest) = store.event_bounds(org).await.unwrap();
    assert_eq!(last, start + 20);
    assert_eq!(oldest, 1);
    // Pruning keeps what is newer.
    assert_eq!(store.prune_events(T0 - 1).await.unwrap(), 0);
    assert!(store.prune_events(T0 + 1).await.unwrap() >= 20);
    let (_, oldest) = store.event_bounds(org).await.unwrap();
    assert_eq!(oldest, last + 1, "empty: the oldest kept is the next one");
}

async fn queries_never_cross_organisations(store: Store) {
    let (a, a_owner) = org_with_owner(&store, "Delta").await;
    let (b, b_owner) = org_with_owner(&store, "Epsilon").await;
    let team = store
        .create_team(
            a,
            &NewTeam {
                name: "Pflege".into(),
                kind: TeamKind::Department,
                parent_id: None,
                description: String::new(),
            },
            &ctx(T0),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.person(b, a_owner).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.team(b, team.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_team_member(b, team.id, b_owner, TeamRole::Member, &ctx(T0))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_team_member(a, team.id, b_owner, TeamRole::Member, &ctx(T0))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.people(b, &[a_owner]).await.unwrap().is_empty());
    assert_eq!(store.person_ids(b).await.unwrap(), vec![b_owner]);
    assert!(
        store
            .events_after(b, b_owner, false, 0, 1000)
            .await
            .unwrap()
            .iter()
            .all(|e| !serde_json::to_string(e)
                .unwrap()
                .contains(&a_owner.to_string()))
    );
    assert!(
        store
            .audit_entries(
                b,
                &AuditFilter {
                    limit: 500,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .iter()
            .all(|e| e.target_id.as_deref() != Some(&a.to_string()))
    );
    assert!(matches!(
        store.avatar(b, a_owner).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.person_ids(b).await.unwrap(), vec![b_owner]);
    assert!(store.team_tree(b).await.unwrap().is_empty());
    assert_eq!(store.team_tree(a).await.unwrap(), vec![(team.id, None)]);
    let b_events = store.org_events_after(b, 0, 1000).await.unwrap();
    assert!(!b_events.is_empty());
    assert!(b_events.iter().all(|e| {
        !serde_json::to_string(e)
            .unwrap()
            .contains(&a_owner.to_string())
    }));
    assert!(store.devices(b, a_owner).await.unwrap().is_empty());
}

async fn unique_and_domain_rules_are_enforced(store: Store) {
    let (org, owner) = org_with_owner(&store, "Zeta").await;
    // The same address cannot be invited once it has an account.
    let dup = store
        .create_invitation(
            org,
            &invitation("owner@zeta.example", OrgRole::Member, "dup"),
            &ctx(T0),
        )
        .await;
    assert!(matches!(
        dup,
        Err(StoreError::Refused(ErrorCode::AlreadyExists, Some("email")))
    ));
    // An organisation slug is unique.
    let again = store
        .create_org(
            "Zeta",
            "zeta",
            &invitation("x@zeta.example", OrgRole::Owner, "z2"),
            &ctx(T0),
        )
        .await;
    assert!(matches!(
        again,
        Err(StoreError::Refused(ErrorCode::AlreadyExists, _))
    ));
    // Team names are unique; no cycles; no deleting a parent.
    let parent = store
        .create_team(
            org,
            &NewTeam {
                name: "Eltern".into(),
                kind: TeamKind::Site,
                parent_id: None,
                description: String::new(),
            },
            &ctx(T0),
        )
        .await
        .unwrap();
    let child = store
        .create_team(
            org,
            &NewTeam {
                name: "Kind".into(),
                kind: TeamKind::Project,
                parent_id: Some(parent.id),
                description: String::new(),
            },
            &ctx(T0),
        )
        .await
        .unwrap();
    let same = store
        .create_team(
            org,
            &NewTeam {
                name: "Eltern".into(),
                kind: TeamKind::Site,
                parent_id: None,
                description: String::new(),
            },
            &ctx(T0),
        )
        .await;
    assert!(matches!(
        same,
        Err(StoreError::Refused(ErrorCode::AlreadyExists, _))
    ));
    let cycle = store
        .update_team(
            org,
            parent.id,
            &TeamChange {
                parent_id: Some(Some(child.id)),
                ..Default::default()
            },
            &ctx(T0),
        )
        .await;
    assert!(matches!(
        cycle,
        Err(StoreError::Refused(ErrorCode::Conflict, _))
    ));
    assert!(matches!(
        store.delete_team(org, parent.id, &ctx(T0)).await,
        Err(StoreError::Refused(ErrorCode::TeamHasChildren, _))
    ));
    let moved = store
        .update_team(
            org,
            child.id,
            &TeamChange {
                parent_id: Some(None),
                ..Default::default()
            },
            &ctx(T0),
        )
        .await
        .unwrap();
    assert_eq!(moved.parent_id, None);
    store.delete_team(org, parent.id, &ctx(T0)).await.unwrap();
    // The last owner stays.
    assert!(matches!(
        store.set_role(org, owner, OrgRole::Admin, &ctx(T0)).await,
        Err(StoreError::Refused(ErrorCode::LastOwner, _))
    ));
    assert!(matches!(
        store
            .set_status(org, owner, PersonStatus::Suspended, &ctx(T0))
            .await,
        Err(StoreError::Refused(ErrorCode::LastOwner, _))
    ));
}

async fn audit_filters_and_order(store: Store) {
    let (org, owner) = org_with_owner(&store, "Eta").await;
    let by_owner = AuditCtx {
        actor: Some(owner),
        address: Some("192.0.2.9".into()),
        now: T0 + 1000,
    };
    store
        .create_team(
            org,
            &NewTeam {
                name: "A".into(),
                kind: TeamKind::Group,
                parent_id: None,
                description: String::new(),
            },
            &by_owner,
        )
        .await
        .unwrap();
    store
        .change_org(
            org,
            &OrgChange {
                name: Some("Eta GmbH".into()),
                ..Default::default()
            },
            &AuditCtx {
                now: T0 + 2000,
                ..by_owner.clone()
            },
        )
        .await
        .unwrap();
    let all = store
        .audit_entries(
            org,
            &AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(all[0].action, "org.rename");
    assert_eq!(all[0].actor_name.as_deref(), Some("Owner"));
    let teams = store
        .audit_entries(
            org,
            &AuditFilter {
                action: Some("team.".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(teams.len(), 1);
    let exact = store
        .audit_entries(
            org,
            &AuditFilter {
                action: Some("org.rename".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(exact.len(), 1);
    // `_` and `%` in a filter are literal.
    let none = store
        .audit_entries(
            org,
            &AuditFilter {
                action: Some("%.".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    let since = store
        .audit_entries(
            org,
            &AuditFilter {
                since: Some(T0 + 1500),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(since.len(), 1);
    let by = store
        .audit_entries(
            org,
            &AuditFilter {
                actor: Some(owner),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(by.iter().all(|e| e.actor == Some(owner)) && by.len() >= 2);
    let page = store
        .audit_entries(
            org,
            &AuditFilter {
                before: Some(all[0].id),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page[0].id, all[1].id);
}

async fn binary_and_text_round_trip_exactly(store: Store) {
    let (org, owner) = org_with_owner(&store, "Theta").await;
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    store
        .set_avatar(org, owner, "image/png", &bytes, &ctx(T0))
        .await
        .unwrap();
    assert_eq!(
        store.avatar(org, owner).await.unwrap(),
        ("image/png".to_owned(), bytes)
    );
    let patch = ProfilePatch {
        display_name: Some("Zoë Ñúñez-Weiß 🌻".into()),
        competences: Some(vec!["Wund\"versorgung".into(), "it's".into()]),
        languages: Some(vec!["Deutsch".into()]),
        location: Some("Köln".into()),
        ..Default::default()
    };
    let p = store
        .update_profile(org, owner, &patch, &ctx(T0))
        .await
        .unwrap();
    assert_eq!(p.display_name, "Zoë Ñúñez-Weiß 🌻");
    assert_eq!(p.competences, vec!["Wund\"versorgung", "it's"]);
    assert!(p.has_avatar);
}

async fn suspension_ends_sessions_and_deprovisioning_revokes_devices(store: Store) {
    let (org, _) = org_with_owner(&store, "Iota").await;
    let ben = add_person(&store, org, "ben@iota.example", "Ben", OrgRole::Member).await;
    let hash = tokens::hash(tokens::label::SESSION, "token-code-ben@iota.example-Ben");
    assert!(store.auth_by_token(&hash).await.unwrap().is_some());
    let (_, ended) = store
        .set_status(org, ben.user, PersonStatus::Suspended, &ctx(T0))
        .await
        .unwrap();
    assert_eq!(ended, vec![ben.session]);
    assert!(store.auth_by_token(&hash).await.unwrap().is_none());
    store
        .set_status(org, ben.user, PersonStatus::Active, &ctx(T0))
        .await
        .unwrap();
    let second = store
        .create_login(
            org,
            ben.user,
            &NewSession {
                device_name: "phone".into(),
                platform: "web".into(),
                token_hash: "h2".into(),
                credential_hash: "c2".into(),
                expires_at: T0 + 1000,
            },
            None,
            T0,
        )
        .await
        .unwrap();
    let (p, ended) = store
        .set_status(org, ben.user, PersonStatus::Deprovisioned, &ctx(T0))
        .await
        .unwrap();
    assert_eq!(p.status, PersonStatus::Deprovisioned);
    assert_eq!(ended, vec![second.session]);
    assert!(
        store
            .devices(org, ben.user)
            .await
            .unwrap()
            .iter()
            .all(|d| d.revoked)
    );
    assert!(matches!(
        store
            .create_login(
                org,
                ben.user,
                &NewSession {
                    device_name: "x".into(),
                    platform: "web".into(),
                    token_hash: "h3".into(),
                    credential_hash: "c3".into(),
                    expires_at: T0 + 1000
                },
                None,
                T0
            )
            .await,
        Err(StoreError::Refused(ErrorCode::AccountDisabled, _))
    ));
    let events = store
        .events_after(org, ben.user, false, 0, 1000)
        .await
        .unwrap();
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::AccountStatusChanged {
            status: PersonStatus::Deprovisioned
        }
    )));
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::DeviceRevoked { .. }))
    );
}

/// A person with a real client core, whose identity (signed device list) is published, so
/// the delivery service can judge the commits their device makes.
struct Member {
    ids: LoginIds,
    core: kontor_client::Client,
    bundle: kontor_proto::identity::IdentityBundle,
}

/// The organisation's keys as a client pins them, made up for the store's tests: certificates
/// come from `membership`, the delivery service's proposals from `external`.
struct OrgKeys {
    membership: ed25519_dalek::SigningKey,
    external: ed25519_dalek::SigningKey,
}

impl OrgKeys {
    fn new() -> Self {
        OrgKeys {
            membership: ed25519_dalek::SigningKey::from_bytes(&[21; 32]),
            external: ed25519_dalek::SigningKey::from_bytes(&[22; 32]),
        }
    }
}

async fn mls_member(store: &Store, keys: &OrgKeys, org: OrgId, email: &str, name: &str) -> Member {
    use ed25519_dalek::Signer;
    use kontor_proto::Bytes;
    use kontor_proto::identity::*;
    let ids = add_person(store, org, email, name, OrgRole::Member).await;
    let mut core = kontor_client::Client::new_device(org, ids.user, ids.device).unwrap();
    core.pin_org_key(&OrgKey {
        org_id: org,
        signing_key: Bytes(keys.membership.verifying_key().to_bytes().to_vec()),
        external_sender_key: Bytes(keys.external.verifying_key().to_bytes().to_vec()),
    })
    .unwrap();
    let (publish, _) = core.create_identity().unwrap();
    let list = &publish.device_list;
    store
        .publish_identity(
            org,
            ids.user,
            &NewDeviceList {
                identity_key: &list.list.identity_key.0,
                version: list.list.version,
                json: &serde_json::to_string(list).unwrap(),
                devices: &[ids.device],
                recovery_backup: None,
            },
            T0,
        )
        .await
        .unwrap();
    let membership = Membership {
        org_id: org,
        person_id: ids.user,
        identity_key: list.list.identity_key.clone(),
        display_name: name.into(),
        issued_at: 0,
    };
    let signature = Bytes(
        keys.membership
            .sign(&membership.signed_bytes())
            .to_bytes()
            .to_vec(),
    );
    let bundle = IdentityBundle {
        certificate: MembershipCertificate {
            membership,
            signature,
        },
        device_list: list.clone(),
        disambiguator: None,
    };
    Member { ids, core, bundle }
}

async fn delivery_service_orders_by_epoch_numbers_gap_free_and_stores_once(store: Store) {
    use kontor_proto::conversation::{ConversationKind, SendMessage};
    use kontor_proto::identity::{ClaimedKeyPackage, ClaimedKeyPackages};
    use kontor_server::delivery;
    let keys = OrgKeys::new();
    let (org, _) = org_with_owner(&store, "Gamma").await;
    let mut anna = mls_member(&store, &keys, org, "anna@gamma.example", "Anna").await;
    let mut ben = mls_member(&store, &keys, org, "ben@gamma.example", "Ben").await;
    let bundles = [anna.bundle.clone(), ben.bundle.clone()];
    anna.core.learn(&bundles).unwrap();
    ben.core.learn(&bundles).unwrap();
    let external = keys.external.verifying_key().to_bytes();
    let created = anna
        .core
        .create_conversation(ConversationKind::Group)
        .unwrap();
    let conv = created.id;
    let genesis = delivery::genesis(
        conv,
        created.group_info.as_slice(),
        (anna.ids.user, anna.ids.device),
        anna.core.device_keys().mls_signature_key.as_slice(),
        &external,
    )
    .unwrap();
    // A GroupInfo naming another device, or another external sender, is not a beginning.
    assert!(
        delivery::genesis(
            conv,
            created.group_info.as_slice(),
            (ben.ids.user, ben.ids.device),
            anna.core.device_keys().mls_signature_key.as_slice(),
            &external,
        )
        .is_err()
    );
    assert!(
        delivery::genesis(
            conv,
            created.group_info.as_slice(),
            (anna.ids.user, anna.ids.device),
            anna.core.device_keys().mls_signature_key.as_slice(),
            &[7; 32],
        )
        .is_err()
    );
    let create = |by: &Member| {
        store.create_conversation(
            org,
            conv,
            ConversationKind::Group,
            by.ids.user,
            by.ids.device,
            &genesis,
            T0,
        )
    };
    create(&anna).await.unwrap();
    // Creating again is a no-op; by someone else it is refused.
    create(&anna).await.unwrap();
    assert!(create(&ben).await.is_err());

    // Anna adds Ben at epoch 0; Ben's view starts there.
    let kp = ben
        .core
        .key_packages(1, false)
        .unwrap()
        .key_packages
        .remove(0);
    let claimed = ClaimedKeyPackages {
        key_packages: vec![ClaimedKeyPackage {
            person_id: ben.ids.user,
            device_id: ben.ids.device,
            key_package: kp,
        }],
    };
    let (add, _) = anna.core.add(conv, &[ben.ids.user], &claimed).unwrap();
    let add = add.unwrap();
    // What a commit declares must be what it does.
    let overstated = SendMessage {
        removed: vec![anna.ids.device],
        ..add.clone()
    };
    assert!(matches!(
        store
            .send_message(
                org,
                conv,
                anna.ids.user,
                anna.ids.device,
                &overstated,
                CAP,
                T0
            )
            .await,
        Err(StoreError::Refused(
            ErrorCode::InvalidInput,
            Some("removed")
        ))
    ));
    // Nobody posts a commit in another device's name.
    assert!(matches!(
        store
            .send_message(org, conv, ben.ids.user, ben.ids.device, &add, CAP, T0)
            .await,
        Err(StoreError::Refused(ErrorCode::NotAMember, _))
    ));
    let out = store
        .send_message(org, conv, anna.ids.user, anna.ids.device, &add, CAP, T0)
        .await
        .unwrap();
    assert_eq!(
        (out.sent.seq, out.sent.epoch, out.sent.duplicate),
        (1, 1, false)
    );
    anna.core
        .on_sent(conv, add.client_msg_id, Ok(&out.sent))
        .unwrap();
    assert_eq!(out.welcomed, vec![ben.ids.device]);
    let welcomes = store.pending_welcomes(org, ben.ids.device).await.unwrap();
    assert_eq!(welcomes.len(), 1);
    ben.core.join(&welcomes[0]).unwrap();

    // A second commit for epoch 0 loses; one for epoch 1 wins.
    let late = SendMessage {
        epoch: 0,
        ..ben.core.update_keys(conv).unwrap()
    };
    assert!(matches!(
        store
            .send_message(org, conv, ben.ids.user, ben.ids.device, &late, CAP, T0)
            .await,
        Err(StoreError::Refused(ErrorCode::StaleEpoch, _))
    ));
    ben.core
        .on_sent(conv, late.client_msg_id, Err(ErrorCode::StaleEpoch))
        .unwrap();
    // Application messages only in the current epoch, each client message id once.
    let msg = ben
        .core
        .encrypt(
            conv,
            &kontor_proto::payload::Payload::Text {
                text: "eins".into(),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
            T0,
        )
        .unwrap();
    let first = store
        .send_message(org, conv, ben.ids.user, ben.ids.device, &msg, CAP, T0)
        .await
        .unwrap();
    let again = store
        .send_message(org, conv, ben.ids.user, ben.ids.device, &msg, CAP, T0)
        .await
        .unwrap();
    assert_eq!(first.sent.seq, 2);
    assert_eq!((again.sent.seq, again.sent.duplicate), (2, true));
    assert_eq!(first.recipients, vec![anna.ids.device]);
    let old = SendMessage {
        client_msg_id: kontor_proto::ClientMsgId(uuid::Uuid::from_u128(4)),
        epoch: 0,
        ..msg.clone()
    };
    assert!(matches!(
        store
            .send_message(org, conv, ben.ids.user, ben.ids.device, &old, CAP, T0)
            .await,
        Err(StoreError::Refused(ErrorCode::StaleEpoch, _))
    ));
    let (page, last) = store
        .messages_after(org, conv, ben.ids.device, 0, 100)
        .await
        .unwrap();
    assert_eq!(last, 2);
    assert_eq!(
        page.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![2],
        "only since joining"
    );

    // Ben leaves: his device is pending removal and gets nothing; the delivery service
    // proposes his removal, and Anna's commit takes it up.
    let leave = ben.core.leave(conv, &[ben.ids.device]).unwrap();
    store
        .send_message(org, conv, ben.ids.user, ben.ids.device, &leave, CAP, T0)
        .await
        .unwrap();
    let (epoch, due) = store.removals_to_propose(org, conv).await.unwrap();
    assert_eq!((epoch, due.clone()), (1, vec![(ben.ids.device, 1)]));
    assert!(
        store
            .messages_after(org, conv, ben.ids.device, 0, 100)
            .await
            .is_err()
    );
    let proposal =
        kontor_server::external_sender::remove_proposal(&keys.external, conv, epoch, due[0].1)
            .unwrap();
    let (stored, _) = store
        .append_server_proposals(
            org,
            conv,
            epoch,
            &[(ben.ids.device, proposal, kontor_proto::ClientMsgId::new())],
            T0,
        )
        .await
        .unwrap();
    // Anna has not read Ben's messages yet: the proposal waits behind them.
    assert!(matches!(
        anna.core.receive(&stored[0]),
        Err(kontor_client::ClientError::Gap { .. })
    ));
    let (page, _) = store
        .messages_after(org, conv, anna.ids.device, 1, 100)
        .await
        .unwrap();
    for m in &page {
        anna.core.receive(m).unwrap();
    }
    let remove = anna.core.commit_proposals(conv).unwrap().unwrap();
    store
        .send_message(org, conv, anna.ids.user, anna.ids.device, &remove, CAP, T0)
        .await
        .unwrap();
    let c = store
        .conversation(org, conv, anna.ids.device)
        .await
        .unwrap();
    assert_eq!((c.epoch, c.last_seq, c.members.len()), (2, 5, 1));
    assert!(c.pending_removals.is_empty());
    // Another organisation sees none of it.
    let (other, _) = org_with_owner(&store, "Delta").await;
    assert!(
        store
            .conversation(other, conv, anna.ids.device)
            .await
            .is_err()
    );
    assert!(
        store
            .send_message(other, conv, anna.ids.user, anna.ids.device, &msg, CAP, T0)
            .await
            .is_err()
    );
}

fn list<'a>(
    key: &'a [u8],
    version: u64,
    devices: &'a [kontor_proto::DeviceId],
    backup: Option<&'a [u8]>,
) -> NewDeviceList<'a> {
    NewDeviceList {
        identity_key: key,
        version,
        json: "{}",
        devices,
        recovery_backup: backup,
    }
}

async fn key_packages_are_handed_out_once_and_identities_only_move_forward(store: Store) {
    let (org, _) = org_with_owner(&store, "Epsilon").await;
    let anna = add_person(&store, org, "anna@epsilon.example", "Anna", OrgRole::Member).await;
    let ben = add_person(&store, org, "ben@epsilon.example", "Ben", OrgRole::Member).await;
    let stock = store
        .add_key_packages(org, ben.device, &[vec![1], vec![2]], Some(&[9]), T0)
        .await
        .unwrap();
    assert_eq!(stock, 2);
    let mut got = Vec::new();
    for _ in 0..3 {
        let claimed = store
            .claim_key_packages(org, &[ben.user], anna.device, CLAIMS, T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.len(), 1);
        got.push(claimed[0].2.clone());
    }
    assert_eq!(
        got,
        vec![vec![1], vec![2], vec![9]],
        "one-time first, then the last resort"
    );
    assert_eq!(
        store.key_package_stock(ben.device).await.unwrap(),
        (0, true)
    );
    // Identity: the key is fixed by the first list, versions only go up.
    store
        .publish_identity(
            org,
            ben.user,
            &list(&[5; 32], 1, &[ben.device], Some(&[7])),
            T0,
        )
        .await
        .unwrap();
    for (key, version) in [([5u8; 32], 1u64), ([6; 32], 2)] {
        assert!(matches!(
            store
                .publish_identity(org, ben.user, &list(&key, version, &[ben.device], None), T0)
                .await,
            Err(StoreError::Refused(ErrorCode::DeviceListRejected, _))
        ));
    }
    // A device of somebody else cannot be listed.
    assert!(
        store
            .publish_identity(org, ben.user, &list(&[5; 32], 2, &[anna.device], None), T0)
            .await
            .is_err()
    );
    store
        .publish_identity(org, ben.user, &list(&[5; 32], 2, &[ben.device], None), T0)
        .await
        .unwrap();
    assert_eq!(store.recovery_backup(org, ben.user).await.unwrap(), vec![7]);
    assert_eq!(
        store.identities(org, &[ben.user]).await.unwrap()[0].version,
        2
    );
}

fn first_start(name: &str, token: &str) -> FirstStart {
    FirstStart {
        org_name: name.into(),
        slug: name.to_lowercase(),
        email: format!("owner@{}.example", name.to_lowercase()),
        display_name: "Owner".into(),
        password_hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        new_session: NewSession {
            device_name: "browser".into(),
            platform: "web".into(),
            token_hash: tokens::hash(tokens::label::SESSION, token),
            credential_hash: format!("credential-{}", tokens::hash(tokens::label::SESSION, token)),
            expires_at: T0 + 30 * 86_400_000,
        },
        address: None,
    }
}

async fn first_start_happens_once_and_branding_round_trips(store: Store) {
    // Two first starts racing: exactly one organisation comes of it.
    let (theta, iota) = (first_start("Theta", "t1"), first_start("Iota", "t2"));
    let (a, b) = tokio::join!(store.first_start(&theta, T0), store.first_start(&iota, T0),);
    let (ids, lost) = match (a, b) {
        (Ok(ids), Err(e)) | (Err(e), Ok(ids)) => (ids, e),
        other => panic!("exactly one first start wins: {other:?}"),
    };
    assert!(matches!(
        lost,
        StoreError::Refused(ErrorCode::AlreadySetUp, _)
    ));
    let owner = store.person(ids.org, ids.user).await.unwrap();
    assert_eq!(owner.role, OrgRole::Owner);
    let t1 = store
        .auth_by_token(&tokens::hash(tokens::label::SESSION, "t1"))
        .await
        .unwrap();
    let t2 = store
        .auth_by_token(&tokens::hash(tokens::label::SESSION, "t2"))
        .await
        .unwrap();
    assert_eq!(
        t1.or(t2).map(|a| a.user),
        Some(ids.user),
        "the owner is logged in"
    );
    assert!(matches!(
        store.first_start(&first_start("Kappa", "t3"), T0).await,
        Err(StoreError::Refused(ErrorCode::AlreadySetUp, _))
    ));

    let org = store
        .change_org(
            ids.org,
            &OrgChange {
                accent_color: Some(Some("#0a7cff".into())),
                secondary_color: Some(Some("#123456".into())),
                app_name: Some(Some("Kappa".into())),
                ..Default::default()
            },
            &ctx(T0 + 1),
        )
        .await
        .unwrap();
    assert_eq!(org.accent_color.as_deref(), Some("#0a7cff"));
    assert_eq!(org.app_name.as_deref(), Some("Kappa"));
    let logo = [0x89u8, b'P', b'N', b'G', 0, 255, 1, 2];
    let org = store
        .set_logo(ids.org, Some(("image/png", &logo)), &ctx(T0 + 2))
        .await
        .unwrap();
    assert!(org.has_logo);
    assert_eq!(
        store.logo(ids.org).await.unwrap(),
        ("image/png".to_owned(), logo.to_vec())
    );
    let again = store.org(ids.org).await.unwrap();
    assert_eq!(again, org);
    assert_eq!(store.only_org().await.unwrap(), Some(org.clone()));
    let cleared = store
        .change_org(
            ids.org,
            &OrgChange {
                accent_color: Some(None),
                ..Default::default()
            },
            &ctx(T0 + 3),
        )
        .await
        .unwrap();
    assert_eq!(cleared.accent_color, None);
    assert_eq!(cleared.secondary_color.as_deref(), Some("#123456"));
    assert_eq!(
        cleared.app_name.as_deref(),
        Some("Kappa"),
        "kept when not named"
    );
    let org = store.set_logo(ids.org, None, &ctx(T0 + 4)).await.unwrap();
    assert!(!org.has_logo);
    assert!(matches!(
        store.logo(ids.org).await,
        Err(StoreError::NotFound)
    ));
    let events = store.org_events_after(ids.org, 0, 100).await.unwrap();
    let changes = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::OrgChanged { .. }))
        .count();
    assert_eq!(changes, 4);
}

async fn login_failures_are_counted_atomically_and_known_addresses_expire(store: Store) {
    let (org, owner) = org_with_owner(&store, "Limits").await;
    let limit = FailureLimit {
        max: 5,
        window_ms: 1000,
    };
    let key = || vec![("k1".to_owned(), limit), ("k2".to_owned(), limit)];
    // Twenty parallel attempts: exactly five are let through.
    let attempts = (0..20).map(|_| {
        let store = store.clone();
        let keys = key();
        async move { store.count_attempt(&keys, T0).await.unwrap() }
    });
    let answers = futures_util::future::join_all(attempts).await;
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 5);
    assert!(answers.iter().filter_map(|a| a.err()).all(|w| w == 1));
    // A refused attempt counted nothing: taking one back lets exactly one more in.
    store
        .forgive_attempt(&["k1".to_owned(), "k2".to_owned()], &[])
        .await
        .unwrap();
    assert!(store.count_attempt(&key(), T0 + 1).await.unwrap().is_ok());
    assert!(store.count_attempt(&key(), T0 + 2).await.unwrap().is_err());
    // A new window starts over; a reset forgets the key.
    assert!(
        store
            .count_attempt(&key(), T0 + 1000)
            .await
            .unwrap()
            .is_ok()
    );
    store
        .forgive_attempt(&[], &["k1".to_owned()])
        .await
        .unwrap();
    // Known addresses, until they expire.
    assert!(!store.is_known_address(org, owner, "a", T0).await.unwrap());
    store
        .remember_address(org, owner, "a", T0 + 10)
        .await
        .unwrap();
    assert!(store.is_known_address(org, owner, "a", T0).await.unwrap());
    assert!(
        !store
            .is_known_address(org, owner, "a", T0 + 10)
            .await
            .unwrap()
    );
    let other = OrgId(uuid::Uuid::from_u128(5));
    assert!(!store.is_known_address(other, owner, "a", T0).await.unwrap());
    assert!(store.prune_login_limits(T0 + 5000, 1000).await.unwrap() >= 2);
    assert!(
        store
            .count_attempt(&key(), T0 + 5000)
            .await
            .unwrap()
            .is_ok()
    );
}

async fn device_credentials_sealed_org_keys_and_namesakes_round_trip(store: Store) {
    let (org, owner) = org_with_owner(&store, "Creds").await;
    assert_eq!(store.person(org, owner).await.unwrap().disambiguator, None);
    // Ben joins under the owner's name: both can now be told apart by their addresses.
    let ben = add_person(&store, org, "ben@creds.example", "0wner", OrgRole::Member).await;
    let p = store.person(org, owner).await.unwrap();
    assert_eq!(p.disambiguator.as_deref(), Some("owner@creds.example"));
    let b = store.person(org, ben.user).await.unwrap();
    assert_eq!(b.disambiguator.as_deref(), Some("ben@creds.example"));
    // The credential of Ben's device, only for Ben, only while the device lives.
    let token_hash = tokens::hash(tokens::label::SESSION, "token-code-ben@creds.example-0wner");
    let credential = format!("credential-{token_hash}");
    assert!(
        store
            .device_credential_valid(org, ben.user, ben.device, &credential)
            .await
            .unwrap()
    );
    assert!(
        !store
            .device_credential_valid(org, owner, ben.device, &credential)
            .await
            .unwrap()
    );
    assert!(
        !store
            .device_credential_valid(org, ben.user, ben.device, "credential-other")
            .await
            .unwrap()
    );
    store
        .revoke_device(org, ben.user, ben.device, T0 + 1)
        .await
        .unwrap();
    assert!(
        !store
            .device_credential_valid(org, ben.user, ben.device, &credential)
            .await
            .unwrap()
    );
    // Organisation keys are stored as given (sealed by the caller) and marked sealed.
    let (public, secret, sealed) = store
        .org_key_pair(org, "membership", || (vec![1; 32], vec![2; 60]), T0)
        .await
        .unwrap();
    assert_eq!((public, secret, sealed), (vec![1; 32], vec![2; 60], true));
    let again = store
        .org_key_pair(org, "membership", || panic!("made once"), T0)
        .await
        .unwrap();
    assert_eq!(again.1, vec![2; 60]);
    assert!(store.plain_org_keys().await.unwrap().is_empty());
}

async fn nobody_can_drain_a_colleagues_one_time_key_packages(store: Store) {
    let (org, _) = org_with_owner(&store, "Theta").await;
    let mallory = add_person(
        &store,
        org,
        "mallory@theta.example",
        "Mallory",
        OrgRole::Member,
    )
    .await;
    let anna = add_person(&store, org, "anna@theta.example", "Anna", OrgRole::Member).await;
    let ben = add_person(&store, org, "ben@theta.example", "Ben", OrgRole::Member).await;
    let packages: Vec<Vec<u8>> = (1..=48).map(|i| vec![i]).collect();
    store
        .add_key_packages(org, ben.device, &packages, Some(&[99]), T0)
        .await
        .unwrap();
    let limits = ClaimLimits {
        per_claimer: 100,
        per_target: 10,
        per_pair: 3,
    };
    // Mallory claims Ben's packages over and over: three one-time ones, then the last resort.
    let mut got = Vec::new();
    for i in 0..60 {
        match store
            .claim_key_packages(org, &[ben.user], mallory.device, limits, T0 + i)
            .await
            .unwrap()
        {
            Ok(claimed) => got.push(claimed[0].2.clone()),
            Err(wait) => {
                assert!(wait > 0 && wait <= 3600, "{wait}");
                break;
            }
        }
    }
    assert_eq!(
        got.len(),
        60,
        "claims within the claimer's total all get a package"
    );
    assert_eq!(&got[..3], &[vec![1], vec![2], vec![3]]);
    assert!(
        got[3..].iter().all(|kp| kp == &[99]),
        "then the last resort"
    );
    assert_eq!(
        store.key_package_stock(ben.device).await.unwrap(),
        (45, true)
    );
    // Anna adding Ben still gets a one-time package: Mallory used only her own share.
    let claimed = store
        .claim_key_packages(org, &[ben.user], anna.device, limits, T0 + 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed[0].2, vec![4]);
    // Past its hourly total the claimer is refused and told how long to wait; nothing is
    // handed out by the refused request.
    let mut refused = None;
    for i in 0..100 {
        if let Err(wait) = store
            .claim_key_packages(org, &[ben.user], mallory.device, limits, T0 + 200 + i)
            .await
            .unwrap()
        {
            refused = Some(wait);
            break;
        }
    }
    let wait = refused.expect("the claimer's total is limited");
    assert!((3000..=3600).contains(&wait), "{wait}");
    // Over the hour, everybody together gets at most `per_target` one-time packages.
    for n in 0..20 {
        let who = add_person(
            &store,
            org,
            &format!("p{n}@theta.example"),
            "P",
            OrgRole::Member,
        )
        .await;
        store
            .claim_key_packages(org, &[ben.user], who.device, limits, T0 + 400)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        store.key_package_stock(ben.device).await.unwrap(),
        (38, true)
    );
    // An hour later the windows are over and old claims can be forgotten.
    assert!(
        store
            .prune_key_package_claims(T0 + 3_700_000)
            .await
            .unwrap()
            > 0
    );
    let claimed = store
        .claim_key_packages(org, &[ben.user], mallory.device, limits, T0 + 3_700_000)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(claimed[0].2, vec![99]);
}

async fn a_full_storage_quota_refuses_chat_messages_but_never_a_removal(store: Store) {
    use kontor_proto::conversation::{ConversationKind, MessageKind, SendMessage};
    use kontor_proto::identity::{ClaimedKeyPackage, ClaimedKeyPackages};
    let keys = OrgKeys::new();
    let (org, _) = org_with_owner(&store, "Iota").await;
    let mut anna = mls_member(&store, &keys, org, "anna@iota.example", "Anna").await;
    let mut ben = mls_member(&store, &keys, org, "ben@iota.example", "Ben").await;
    let bundles = [anna.bundle.clone(), ben.bundle.clone()];
    anna.core.learn(&bundles).unwrap();
    let created = anna
        .core
        .create_conversation(ConversationKind::Group)
        .unwrap();
    let conv = created.id;
    let genesis = kontor_server::delivery::genesis(
        conv,
        created.group_info.as_slice(),
        (anna.ids.user, anna.ids.device),
        anna.core.device_keys().mls_signature_key.as_slice(),
        &keys.external.verifying_key().to_bytes(),
    )
    .unwrap();
    store
        .create_conversation(
            org,
            conv,
            ConversationKind::Group,
            anna.ids.user,
            anna.ids.device,
            &genesis,
            T0,
        )
        .await
        .unwrap();
    // The operator allows this organisation 8 KiB in these tests: 4 KiB for one person.
    let cap = 8192;
    let chat = |n: u8, len: usize| SendMessage {
        kind: MessageKind::Application,
        epoch: 0,
        client_msg_id: kontor_proto::ClientMsgId::new(),
        body: kontor_proto::Bytes(vec![n; len]),
        welcome: None,
        added: vec![],
        removed: vec![],
        proposed_removals: vec![],
    };
    for n in 0..3 {
        store
            .send_message(
                org,
                conv,
                anna.ids.user,
                anna.ids.device,
                &chat(n, 1200),
                cap,
                T0,
            )
            .await
            .unwrap();
    }
    // A fourth would give Anna more than half of the organisation's storage.
    assert!(matches!(
        store
            .send_message(
                org,
                conv,
                anna.ids.user,
                anna.ids.device,
                &chat(9, 1200),
                cap,
                T0
            )
            .await,
        Err(StoreError::Refused(ErrorCode::QuotaExceeded, None))
    ));
    // A Welcome that adds nobody is kept nowhere and refused, not counted.
    let stray = SendMessage {
        welcome: Some(kontor_proto::Bytes(vec![0; 8000])),
        ..chat(5, 10)
    };
    assert!(matches!(
        store
            .send_message(org, conv, anna.ids.user, anna.ids.device, &stray, CAP, T0)
            .await,
        Err(StoreError::Refused(
            ErrorCode::InvalidInput,
            Some("welcome")
        ))
    ));
    // A smaller message still fits; nothing of the refused one was counted.
    store
        .send_message(
            org,
            conv,
            anna.ids.user,
            anna.ids.device,
            &chat(4, 400),
            cap,
            T0,
        )
        .await
        .unwrap();
    // Membership changes always go through, however full the organisation is.
    let kp = ben
        .core
        .key_packages(1, false)
        .unwrap()
        .key_packages
        .remove(0);
    let claimed = ClaimedKeyPackages {
        key_packages: vec![ClaimedKeyPackage {
            person_id: ben.ids.user,
            device_id: ben.ids.device,
            key_package: kp,
        }],
    };
    let (add, _) = anna.core.add(conv, &[ben.ids.user], &claimed).unwrap();
    let out = store
        .send_message(
            org,
            conv,
            anna.ids.user,
            anna.ids.device,
            &add.unwrap(),
            cap,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(out.sent.epoch, 1);
    // Ben, well within his share, fills what is left of the organisation's storage.
    let mut ben_sent = 0;
    let refused = loop {
        let msg = SendMessage {
            epoch: 1,
            ..chat(6, 1000)
        };
        match store
            .send_message(org, conv, ben.ids.user, ben.ids.device, &msg, cap, T0)
            .await
        {
            Ok(_) => ben_sent += 1000,
            Err(e) => break e,
        }
        assert!(ben_sent < 8192, "the organisation's quota never filled");
    };
    assert!(matches!(
        refused,
        StoreError::Refused(ErrorCode::QuotaExceeded, None)
    ));
    assert!(
        2 * ben_sent < 8192,
        "refused for the organisation, not Ben's share"
    );
    // The organisation's own quota (a policy) counts too, below the operator's cap.
    let mut policies = store.policies(org).await.unwrap();
    assert_eq!(policies.storage_quota_mib, 10 * 1024, "the default");
    policies.storage_quota_mib = 1;
    store.set_policies(org, &policies, &ctx(T0)).await.unwrap();
    let big = SendMessage {
        epoch: 1,
        ..chat(7, 1024 * 1024)
    };
    assert!(matches!(
        store
            .send_message(org, conv, anna.ids.user, anna.ids.device, &big, CAP, T0)
            .await,
        Err(StoreError::Refused(ErrorCode::QuotaExceeded, None))
    ));
}
