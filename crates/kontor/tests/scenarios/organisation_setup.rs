//! Anna sets up her organisation: invitations, accounts, devices and sessions.

use crate::common::*;
use kontor_proto::api::*;
use kontor_server::clock::ManualClock;
use reqwest::Method;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn anna_creates_her_organisation_and_logs_in_on_two_devices() {
    let server = TestServer::start().await;
    let info: ServerInfo = server.anonymous().get("/server").await;
    assert!(!info.has_orgs);

    let org = server
        .create_org("Pflegedienst Sonnenschein", "anna@sonnenschein.example")
        .await;
    assert_eq!(org.org.slug, "pflegedienst-sonnenschein");
    assert_eq!(org.invitation.invitation.role, OrgRole::Owner);
    assert!(
        org.invitation.link.contains(&org.invitation.code),
        "the link carries the code"
    );

    // The invitation shows what it is for, before accepting.
    let preview: InvitationPreview = server
        .anonymous()
        .ok(
            Method::POST,
            "/invitations/preview",
            &InvitationCodeRequest {
                code: org.invitation.code.to_lowercase(),
            },
        )
        .await;
    assert_eq!(preview.email, "anna@sonnenschein.example");
    assert_eq!(preview.org.name, "Pflegedienst Sonnenschein");

    let anna = server.join(&org.invitation.code, "Anna Schmidt").await;
    let me: Me = anna.get("/me").await;
    assert_eq!(me.person.display_name, "Anna Schmidt");
    assert_eq!(me.person.role, OrgRole::Owner);
    assert!(me.device.current && me.session.current);
    assert_eq!(me.policies, Policies::default());

    // A code works once.
    let again = server
        .anonymous()
        .fails(
            Method::POST,
            "/invitations/accept",
            Some(&AcceptInvitationRequest {
                code: org.invitation.code.clone(),
                display_name: "Mallory".into(),
                password: PASSWORD.into(),
                device: NewDevice {
                    name: "x".into(),
                    platform: "web".into(),
                },
            }),
            "invitation_invalid",
        )
        .await;
    assert_eq!(again.as_u16(), 410);

    // A second device by password.
    let phone = server
        .login(&anna.slug(), "Anna@Sonnenschein.example")
        .await;
    let devices: Vec<Device> = phone.get("/me/devices").await;
    assert_eq!(devices.len(), 2);
    let sessions: Vec<SessionInfo> = anna.get("/me/sessions").await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);

    // Revoking the phone from the laptop ends the phone's session at once.
    let phone_device = phone.session.as_ref().unwrap().device.id;
    let (status, _) = anna
        .call::<()>(Method::DELETE, &format!("/me/devices/{phone_device}"), None)
        .await;
    assert_eq!(status.as_u16(), 204);
    phone
        .fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;
    let devices: Vec<Device> = anna.get("/me/devices").await;
    assert!(devices.iter().any(|d| d.id == phone_device && d.revoked));

    // Log out: the token is dead; logging in again works.
    let (status, _) = anna.call::<()>(Method::POST, "/auth/logout", None).await;
    assert_eq!(status.as_u16(), 204);
    anna.fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;
    let anna = server
        .login("pflegedienst-sonnenschein", "anna@sonnenschein.example")
        .await;
    let _: Me = anna.get("/me").await;

    // Wrong password: one answer for wrong password and unknown account.
    let wrong = LoginRequest {
        org: "pflegedienst-sonnenschein".into(),
        email: "anna@sonnenschein.example".into(),
        password: "not her password".into(),
        device: NewDevice {
            name: "x".into(),
            platform: "web".into(),
        },
        known_device: None,
    };
    server
        .anonymous()
        .fails(
            Method::POST,
            "/auth/login",
            Some(&wrong),
            "invalid_credentials",
        )
        .await;
    let unknown = LoginRequest {
        email: "nobody@sonnenschein.example".into(),
        ..wrong.clone()
    };
    server
        .anonymous()
        .fails(
            Method::POST,
            "/auth/login",
            Some(&unknown),
            "invalid_credentials",
        )
        .await;
    let info: ServerInfo = server.anonymous().get("/server").await;
    assert!(info.has_orgs);
    server.stop().await;
}

#[tokio::test]
async fn passwords_must_be_long_and_uncommon_and_errors_speak_german() {
    let server = TestServer::start().await;
    let org = server
        .create_org("Praxis Dr. Weiß", "anna@praxis.example")
        .await;
    let accept = |password: &str| AcceptInvitationRequest {
        code: org.invitation.code.clone(),
        display_name: "Anna".into(),
        password: password.into(),
        device: NewDevice {
            name: "Laptop".into(),
            platform: "web".into(),
        },
    };
    let anon = server.anonymous();
    anon.fails(
        Method::POST,
        "/invitations/accept",
        Some(&accept("kurz")),
        "password_too_short",
    )
    .await;
    anon.fails(
        Method::POST,
        "/invitations/accept",
        Some(&accept("passwort123")),
        "password_too_common",
    )
    .await;
    anon.fails(
        Method::POST,
        "/invitations/accept",
        Some(&accept("Sommer2025!")),
        "password_too_common",
    )
    .await;
    anon.fails(
        Method::POST,
        "/invitations/accept",
        Some(&accept("anna-anna-2025")),
        "password_too_common",
    )
    .await;

    // The same error in German and English.
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/invitations/accept", server.url))
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
        .json(&accept("qwertzuiop"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(res.headers()["content-language"], "de");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password_too_common");
    assert_eq!(body["error"]["field"], "password");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Passwort"),
        "{body}"
    );

    // The invitation is still good after the refusals.
    server.join(&org.invitation.code, "Anna").await;
    server.stop().await;
}

#[tokio::test]
async fn invitations_expire_after_seven_days_and_sessions_expire() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let server = TestServer::start_with_clock(clock.clone()).await;
    let org = server
        .create_org("Stadtwerke", "anna@stadtwerke.example")
        .await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    let ben = anna.invite("ben@stadtwerke.example", OrgRole::Member).await;
    clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    let status = server
        .anonymous()
        .fails(
            Method::POST,
            "/invitations/preview",
            Some(&InvitationCodeRequest {
                code: ben.code.clone(),
            }),
            "invitation_expired",
        )
        .await;
    assert_eq!(status.as_u16(), 410);
    // Sessions last 30 days (tests' configuration) and then stop working.
    let _: Me = anna.get("/me").await;
    clock.advance(Duration::from_secs(30 * 24 * 3600));
    anna.fails::<()>(Method::GET, "/me", None, "unauthenticated")
        .await;
    server.stop().await;
}

#[tokio::test]
async fn one_server_holds_many_organisations_with_the_same_addresses() {
    let server = TestServer::start().await;
    let a = server.create_org("Verein Eins", "kim@example.org").await;
    let b = server.create_org("Verein Eins", "kim@example.org").await;
    assert_ne!(a.org.slug, b.org.slug, "slugs stay unique");
    let kim_a = server.join(&a.invitation.code, "Kim A").await;
    let kim_b = server.join(&b.invitation.code, "Kim B").await;
    assert_ne!(kim_a.id(), kim_b.id());
    // Each sees only their own organisation.
    let org_a: Org = kim_a.get("/org").await;
    let org_b: Org = kim_b.get("/org").await;
    assert_ne!(org_a.id, org_b.id);
    kim_a
        .fails::<()>(
            Method::GET,
            &format!("/people/{}", kim_b.id()),
            None,
            "not_found",
        )
        .await;
    server.stop().await;
}

/// The database as a dump would show it: every row of `org_keys`.
async fn org_key_rows(server: &TestServer) -> Vec<(String, Vec<u8>, Vec<u8>, i64)> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let url = server
        .database_url
        .clone()
        .unwrap_or_else(|| kontor_server::config::sqlite_url(server.dir.path()));
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let rows = sqlx::query("SELECT purpose, public_key, secret_key, sealed FROM org_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows.iter()
        .map(|r| {
            (
                r.get::<String, _>("purpose"),
                r.get::<Vec<u8>, _>("public_key"),
                r.get::<Vec<u8>, _>("secret_key"),
                r.get::<i64, _>("sealed"),
            )
        })
        .collect()
}

/// Whether any 32 bytes of `dump` are the secret half of `public`.
fn holds_secret_of(dump: &[u8], public: &[u8]) -> bool {
    dump.windows(32).any(|w| {
        let secret: [u8; 32] = w.try_into().unwrap();
        ed25519_dalek::SigningKey::from_bytes(&secret)
            .verifying_key()
            .as_bytes()
            == public
    })
}

#[tokio::test]
async fn an_organisations_signing_keys_are_not_in_a_database_dump() {
    let server = TestServer::start().await;
    let org = server.create_org("Rathaus", "anna@rathaus.example").await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    let key: kontor_proto::identity::OrgKey = anna.get("/identity/org-key").await;
    let rows = org_key_rows(&server).await;
    assert_eq!(rows.len(), 2, "membership and external sender");
    for (purpose, public, secret, sealed) in &rows {
        assert_eq!(*sealed, 1, "{purpose}");
        assert!(!holds_secret_of(secret, public), "{purpose} in plain text");
        assert!(!holds_secret_of(secret, key.signing_key.as_slice()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(server.dir.path().join("org-keys.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    server.stop().await;
}

#[tokio::test]
async fn signing_keys_an_older_version_kept_in_plain_text_are_sealed_at_start_and_keep_working() {
    let mut server = TestServer::start().await;
    let org = server.create_org("Rathaus", "anna@rathaus.example").await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    // What a database of the version before looks like: the secret in plain text.
    let old = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    {
        sqlx::any::install_default_drivers();
        let url = server
            .database_url
            .clone()
            .unwrap_or_else(|| kontor_server::config::sqlite_url(server.dir.path()));
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO org_keys (org_id, purpose, public_key, secret_key, created_at) VALUES ($1, 'membership', $2, $3, 0)",
        )
        .bind(anna.org().to_string())
        .bind(old.verifying_key().as_bytes().to_vec())
        .bind(old.to_bytes().to_vec())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    server.restart().await;
    let rows = org_key_rows(&server).await;
    let (_, _, secret, sealed) = rows.iter().find(|r| r.0 == "membership").unwrap();
    assert_eq!(*sealed, 1);
    assert!(!holds_secret_of(secret, old.verifying_key().as_bytes()));
    // The same key still signs: clients pinned it.
    let key: kontor_proto::identity::OrgKey = anna.get("/identity/org-key").await;
    assert_eq!(key.signing_key.as_slice(), old.verifying_key().as_bytes());
    server.stop().await;
}

#[tokio::test]
async fn a_csv_line_with_an_unterminated_quote_is_reported_and_the_import_goes_on() {
    let w = World::new().await;
    let mut csv = String::from("email,display_name,job_title\n");
    csv.push_str("p1@sonnenschein.example,Person Eins,Pflege\n");
    csv.push_str("p2@sonnenschein.example,\"Person Zwei, Pflege\n");
    for i in 3..12 {
        csv.push_str(&format!(
            "p{i}@sonnenschein.example,Person {i},\"Pflege, Nacht\"\n"
        ));
    }
    let res = w
        .anna
        .raw(Method::POST, "/invitations/import")
        .await
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let report: ImportReport = res.json().await.unwrap();
    assert_eq!((report.imported, report.skipped), (10, 1), "{report:?}");
    let bad = report.lines.iter().find(|l| !l.imported).unwrap();
    assert_eq!(bad.line, 3);
    let error = bad.error.as_ref().unwrap();
    assert_eq!(error.code, kontor_proto::ErrorCode::MalformedBody);
    assert_eq!(error.field.as_deref(), Some("line"));
    let lines: Vec<usize> = report.lines.iter().map(|l| l.line).collect();
    assert_eq!(lines, (2..=12).collect::<Vec<_>>());
    w.server.stop().await;
}
