//! Roles, suspension, deprovisioning, policies and the audit log.

use crate::common::*;
use kontor_proto::EventKind;
use kontor_proto::api::*;
use kontor_proto::event::{ServerFrame, close_code};
use reqwest::Method;
use std::time::Duration;

#[tokio::test]
async fn deprovisioning_ends_every_session_and_connection_within_a_second() {
    let w = World::new().await;
    let (anna, ben) = (&w.anna, &w.ben);
    let ben_phone = w.server.login(&ben.slug(), &ben.email()).await;
    let mut laptop_ws = connect_events(&w.server.url, ben.token.as_deref().unwrap(), 0).await;
    let mut phone_ws = connect_events(&w.server.url, ben_phone.token.as_deref().unwrap(), 0).await;
    for ws in [&mut laptop_ws, &mut phone_ws] {
        assert!(matches!(
            next_frame(ws, Duration::from_secs(5)).await,
            Next::Frame(ServerFrame::Ready { .. })
        ));
    }

    let person: Person = anna
        .ok(
            Method::POST,
            &format!("/people/{}/deprovision", ben.id()),
            &(),
        )
        .await;
    assert_eq!(person.status, PersonStatus::Deprovisioned);
    // The admin center says since when.
    assert!(person.status_since.is_some(), "when access ended is kept");
    for ws in [&mut laptop_ws, &mut phone_ws] {
        loop {
            // The server closes it when the deprovisioning commits (a bound, not a figure:
            // speed is measured in benchmarks).
            match next_frame(ws, Duration::from_secs(10)).await {
                Next::Frame(_) => continue,
                Next::Closed(code) => {
                    // It says why, so the open page can say it to Ben.
                    assert_eq!(code, Some(close_code::ACCESS_ENDED));
                    break;
                }
                Next::Timeout => panic!("connection still open"),
            }
        }
    }
    for token in [&ben.token, &ben_phone.token] {
        Actor::new(&w.server.url, token.clone())
            .fails::<()>(Method::GET, "/me", None, "unauthenticated")
            .await;
    }
    // No new login, no reconnect; the refusal says the organisation ended the access (not
    // "suspended").
    let login = ben.login_request();
    w.server
        .anonymous()
        .fails(Method::POST, "/auth/login", Some(&login), "access_ended")
        .await;
    let devices: Vec<Device> = {
        // Devices are all revoked: seen through the store, since Ben cannot ask anymore.
        w.server
            .state()
            .store()
            .devices(ben.org(), ben.id())
            .await
            .unwrap()
    };
    assert!(devices.iter().all(|d| d.revoked));
    // Deprovisioned people stay in the directory for admins only.
    let page: DirectoryPage = anna.get("/directory?q=ben").await;
    assert!(page.people.is_empty());
    let page: DirectoryPage = anna.get("/directory?q=ben&include_inactive=true").await;
    assert_eq!(page.people[0].status, PersonStatus::Deprovisioned);
    // It is final.
    anna.fails(
        Method::POST,
        &format!("/people/{}/reactivate", ben.id()),
        Some(&()),
        "conflict",
    )
    .await;
    w.server.stop().await;
}

#[tokio::test]
async fn suspension_is_reversible_and_guarded() {
    let w = World::new().await;
    let (anna, ben, chris) = (&w.anna, &w.ben, &w.chris);
    // Members cannot suspend; nobody suspends themselves; admins cannot touch owners.
    ben.fails(
        Method::POST,
        &format!("/people/{}/suspend", chris.id()),
        Some(&()),
        "forbidden",
    )
    .await;
    anna.fails(
        Method::POST,
        &format!("/people/{}/suspend", anna.id()),
        Some(&()),
        "forbidden",
    )
    .await;
    let _: Person = anna
        .ok(
            Method::PUT,
            &format!("/people/{}/role", ben.id()),
            &SetRoleRequest {
                role: OrgRole::Admin,
            },
        )
        .await;
    ben.fails(
        Method::POST,
        &format!("/people/{}/suspend", anna.id()),
        Some(&()),
        "forbidden",
    )
    .await;
    ben.fails(
        Method::PUT,
        &format!("/people/{}/role", chris.id()),
        Some(&SetRoleRequest {
            role: OrgRole::Owner,
        }),
        "forbidden",
    )
    .await;
    // Ben, now admin, suspends Chris: his session dies; reactivated, he logs in again.
    let _: Person = ben
        .ok(
            Method::POST,
            &format!("/people/{}/suspend", chris.id()),
            &(),
        )
        .await;
    chris
        .fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;
    let login = chris.login_request();
    w.server
        .anonymous()
        .fails(
            Method::POST,
            "/auth/login",
            Some(&login),
            "account_disabled",
        )
        .await;
    let _: Person = ben
        .ok(
            Method::POST,
            &format!("/people/{}/reactivate", chris.id()),
            &(),
        )
        .await;
    let chris_again = w.server.login(&chris.slug(), &chris.email()).await;
    let _: Me = chris_again.get("/me").await;
    // The old session stays dead.
    chris
        .fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;

    // The last owner stays: Anna cannot be demoted by herself, and with a second owner she can.
    anna.fails(
        Method::PUT,
        &format!("/people/{}/role", anna.id()),
        Some(&SetRoleRequest {
            role: OrgRole::Member,
        }),
        "forbidden",
    )
    .await;
    let _: Person = anna
        .ok(
            Method::PUT,
            &format!("/people/{}/role", ben.id()),
            &SetRoleRequest {
                role: OrgRole::Owner,
            },
        )
        .await;
    let p: Person = ben
        .ok(
            Method::PUT,
            &format!("/people/{}/role", anna.id()),
            &SetRoleRequest {
                role: OrgRole::Member,
            },
        )
        .await;
    assert_eq!(p.role, OrgRole::Member);
    let last_owner = w
        .server
        .state()
        .store()
        .set_role(ben.org(), ben.id(), OrgRole::Member, &Default::default())
        .await;
    assert!(matches!(
        last_owner,
        Err(kontor_server::store::StoreError::Refused(
            kontor_proto::ErrorCode::LastOwner,
            _
        ))
    ));
    w.server.stop().await;
}

#[tokio::test]
async fn policies_are_stored_served_and_announced() {
    let w = World::new().await;
    let (anna, ben, chris) = (&w.anna, &w.ben, &w.chris);
    let before = ben.events_after(0).await.last_seq;
    let patch = PoliciesPatch {
        presence: Some(PresenceMode::Hidden),
        read_receipts: Some(false),
        retention_days: Some(90),
        max_upload_bytes: Some(25 * 1024 * 1024),
        guest_access: Some(true),
        self_registration_domains: Some(vec![
            "Sonnenschein.example".into(),
            "sonnenschein.example".into(),
        ]),
        storage_quota_mib: Some(5 * 1024),
        channel_creators: Some(ChannelCreators::Members),
        org_admins_manage: Some(false),
    };
    let p: Policies = anna.ok(Method::PATCH, "/org/policies", &patch).await;
    assert_eq!(p.self_registration_domains, vec!["sonnenschein.example"]);
    assert_eq!(p.channel_creators, ChannelCreators::Members);
    assert!(!p.org_admins_manage);
    assert_eq!(p.storage_quota_mib, 5 * 1024);
    let served: Policies = chris.get("/org/policies").await;
    assert_eq!(served, p);
    assert_eq!(served.retention_days, Some(90));
    let events = ben.events_after(before).await;
    assert!(
        events
            .events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::PoliciesChanged { policies } if *policies == p))
    );
    ben.fails(
        Method::PATCH,
        "/org/policies",
        Some(&PoliciesPatch::default()),
        "forbidden",
    )
    .await;
    anna.fails(
        Method::PATCH,
        "/org/policies",
        Some(&PoliciesPatch {
            max_upload_bytes: Some(1),
            ..Default::default()
        }),
        "invalid_input",
    )
    .await;
    anna.fails(
        Method::PATCH,
        "/org/policies",
        Some(&PoliciesPatch {
            self_registration_domains: Some(vec!["not a domain".into()]),
            ..Default::default()
        }),
        "invalid_input",
    )
    .await;
    // Retention 0 means keep forever.
    let p: Policies = anna
        .ok(
            Method::PATCH,
            "/org/policies",
            &PoliciesPatch {
                retention_days: Some(0),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(p.retention_days, None);
    // Guest access off: guests cannot be invited or log in.
    let _: Policies = anna
        .ok(
            Method::PATCH,
            "/org/policies",
            &PoliciesPatch {
                guest_access: Some(false),
                ..Default::default()
            },
        )
        .await;
    anna.fails(
        Method::POST,
        "/invitations",
        Some(&CreateInvitationRequest {
            email: "g@x.example".into(),
            role: OrgRole::Guest,
            display_name: None,
            team_ids: vec![],
            profile: None,
        }),
        "forbidden",
    )
    .await;
    // The refusal says why: no guests now (not "suspended").
    let login = chris.login_request();
    w.server
        .anonymous()
        .fails(
            Method::POST,
            "/auth/login",
            Some(&login),
            "guest_access_off",
        )
        .await;
    w.server.stop().await;
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_from_where_and_never_a_secret() {
    let w = World::new().await;
    let (anna, ben) = (&w.anna, &w.ben);
    let inv = anna
        .invite("eva@sonnenschein.example", OrgRole::Member)
        .await;
    let team: Team = anna
        .ok(
            Method::POST,
            "/teams",
            &CreateTeamRequest {
                name: "Verwaltung".into(),
                kind: TeamKind::Department,
                parent_id: None,
                description: String::new(),
            },
        )
        .await;
    let _: Person = anna
        .ok(
            Method::PUT,
            &format!("/people/{}/role", ben.id()),
            &SetRoleRequest {
                role: OrgRole::Admin,
            },
        )
        .await;
    let _: Person = ben
        .ok(
            Method::POST,
            &format!("/people/{}/suspend", w.chris.id()),
            &(),
        )
        .await;

    let page: AuditPage = anna.get("/audit").await;
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "org.create",
        "invitation.create",
        "invitation.accept",
        "team.create",
        "person.role",
        "person.suspend",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let suspend = page
        .entries
        .iter()
        .find(|e| e.action == "person.suspend")
        .unwrap();
    assert_eq!(suspend.actor, Some(ben.id()));
    assert_eq!(suspend.actor_name.as_deref(), Some("Ben Becker"));
    assert_eq!(suspend.target_id, Some(w.chris.id().to_string()));
    assert_eq!(suspend.address.as_deref(), Some("127.0.0.1"));
    assert!(
        page.entries.windows(2).all(|p| p[0].id > p[1].id),
        "newest first"
    );

    // Filters: by actor, by action prefix, by target, by time; paging.
    let by_ben: AuditPage = anna.get(&format!("/audit?actor={}", ben.id())).await;
    assert!(by_ben.entries.iter().all(|e| e.actor == Some(ben.id())) && !by_ben.entries.is_empty());
    let people: AuditPage = anna.get("/audit?action=person.").await;
    assert!(
        people
            .entries
            .iter()
            .all(|e| e.action.starts_with("person."))
            && people.entries.len() == 2
    );
    let on_team: AuditPage = anna.get(&format!("/audit?target_id={}", team.id)).await;
    assert_eq!(on_team.entries.len(), 1);
    let future: AuditPage = anna.get("/audit?since=2999-01-01T00:00:00Z").await;
    assert!(future.entries.is_empty());
    let first: AuditPage = anna.get("/audit?limit=2").await;
    let next: AuditPage = anna
        .get(&format!(
            "/audit?limit=2&before={}",
            first.next_before.unwrap()
        ))
        .await;
    assert!(next.entries.iter().all(|e| e.id < first.entries[1].id));
    anna.fails::<()>(Method::GET, "/audit?since=yesterday", None, "invalid_input")
        .await;
    w.chris
        .fails::<()>(Method::GET, "/audit", None, "unauthenticated")
        .await;
    let (status, _) = w
        .server
        .login(&w.anna.slug(), "ben@sonnenschein.example")
        .await
        .call::<()>(Method::GET, "/audit", None)
        .await;
    assert!(status.is_success(), "Ben is an admin now");

    // No secret anywhere in the log: not the invitation code, no password, no token.
    let all = serde_json::to_string(&anna.get::<AuditPage>("/audit?limit=500").await).unwrap();
    for secret in [
        inv.code.as_str(),
        PASSWORD,
        anna.token.as_deref().unwrap(),
        ben.token.as_deref().unwrap(),
    ] {
        assert!(!all.contains(secret), "the audit log carries a secret");
    }
    // Dora next door sees only her own organisation's log.
    let dora: AuditPage = w.dora.get("/audit").await;
    assert!(
        dora.entries
            .iter()
            .all(|e| e.actor.is_none() || e.actor == Some(w.dora.id()))
    );
    assert!(
        !serde_json::to_string(&dora)
            .unwrap()
            .contains("Sonnenschein")
    );
    w.server.stop().await;
}

#[tokio::test]
async fn turning_guest_access_off_ends_guests_sessions_for_good() {
    let w = World::new().await;
    let (anna, chris, ben) = (&w.anna, &w.chris, &w.ben);
    let set = |on: bool| PoliciesPatch {
        guest_access: Some(on),
        ..Default::default()
    };
    let _: Policies = anna.ok(Method::PATCH, "/org/policies", &set(false)).await;
    chris
        .fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;
    // Turning it on again does not bring the old sessions back: guests log in anew.
    let _: Policies = anna.ok(Method::PATCH, "/org/policies", &set(true)).await;
    chris
        .fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;
    let again = w.server.login(&chris.slug(), &chris.email()).await;
    let _: Me = again.get("/me").await;
    // Members were not touched.
    let _: Me = ben.get("/me").await;
    w.server.stop().await;
}
