//! Bad input and abuse: rate limits, size limits, malformed requests, and a fuzzer over every
//! endpoint of the OpenAPI document. Never a panic, never a 500.

use crate::common::*;
use kontor_proto::api::*;
use kontor_server::clock::SystemClock;
use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

async fn login_from(
    server: &TestServer,
    address: &str,
    org: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    login_as(server, address, org, email, password, None).await
}

async fn login_as(
    server: &TestServer,
    address: &str,
    org: &str,
    email: &str,
    password: &str,
    known_device: Option<KnownDevice>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.url))
        .header("x-forwarded-for", address)
        .json(&LoginRequest {
            org: org.into(),
            email: email.into(),
            password: password.into(),
            device: NewDevice {
                name: "d".into(),
                platform: "web".into(),
            },
            known_device,
        })
        .send()
        .await
        .unwrap()
}

/// A server that takes the client address from X-Forwarded-For, with Anna in her office.
async fn office() -> (TestServer, Actor) {
    let server =
        TestServer::start_custom(Arc::new(SystemClock), |c| c.trust_forwarded_for = true).await;
    let org = server.create_org("Rathaus", "anna@rathaus.example").await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    (server, anna)
}

const ANNA: &str = "anna@rathaus.example";
const GUESS: &str = "guess-guess-guess";

#[tokio::test]
async fn five_wrong_passwords_from_a_shared_address_do_not_block_a_known_device() {
    let (server, anna) = office().await;
    let slug = anna.slug();
    // Everyone in the office is behind one address; a colleague guesses Anna's password.
    let office_nat = "198.51.100.7";
    for _ in 0..5 {
        let res = login_from(&server, office_nat, &slug, ANNA, GUESS).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // An unknown device at that address now waits, even with the right password …
    let res = login_from(&server, office_nat, &slug, ANNA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["retry_after_secs"], retry);
    // … and a made-up credential changes nothing.
    let forged = KnownDevice {
        device_id: anna.known_device().device_id,
        secret: "kdc_forged".into(),
    };
    let res = login_as(&server, office_nat, &slug, ANNA, PASSWORD, Some(forged)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Anna's own laptop, which logged in before, gets in at once.
    let res = login_as(
        &server,
        office_nat,
        &slug,
        ANNA,
        PASSWORD,
        Some(anna.known_device()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: SessionCreated = res.json().await.unwrap();
    // The credential moves to the new device: the old one is spent.
    let res = login_as(
        &server,
        office_nat,
        &slug,
        ANNA,
        PASSWORD,
        Some(anna.known_device()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let next = KnownDevice {
        device_id: again.device.id,
        secret: again.device_secret.clone(),
    };
    let res = login_as(
        &server,
        office_nat,
        &slug,
        ANNA,
        PASSWORD,
        Some(next.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_hundred_wrong_passwords_from_twenty_addresses_do_not_block_a_known_device() {
    let (server, anna) = office().await;
    let slug = anna.slug();
    for i in 0..105 {
        let _ = login_from(
            &server,
            &format!("203.0.113.{}", i % 21 + 1),
            &slug,
            ANNA,
            GUESS,
        )
        .await;
    }
    // An unknown device at a new address waits for the hour …
    let res = login_from(&server, "192.0.2.200", &slug, ANNA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // … Anna's laptop, travelling, does not.
    let res = login_as(
        &server,
        "192.0.2.201",
        &slug,
        ANNA,
        PASSWORD,
        Some(anna.known_device()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // One address spraying many accounts is stopped too.
    let sprayer = "192.0.2.99";
    let mut limited = false;
    for i in 0..40 {
        let res = login_from(
            &server,
            sprayer,
            &slug,
            &format!("user{i}@rathaus.example"),
            "Passwort-Passwort",
        )
        .await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited);
    server.stop().await;
}

#[tokio::test]
async fn failures_and_known_addresses_survive_a_restart() {
    let (mut server, anna) = office().await;
    let slug = anna.slug();
    let home = "198.51.100.20";
    assert_eq!(
        login_from(&server, home, &slug, ANNA, PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let attacker = "203.0.113.66";
    for _ in 0..5 {
        let _ = login_from(&server, attacker, &slug, ANNA, GUESS).await;
    }
    for i in 0..105 {
        let _ = login_from(
            &server,
            &format!("203.0.114.{}", i % 21 + 1),
            &slug,
            ANNA,
            GUESS,
        )
        .await;
    }
    server
        .restart_custom(|c| c.trust_forwarded_for = true)
        .await;
    // The attacker's failures are remembered …
    let res = login_from(&server, attacker, &slug, ANNA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = login_from(&server, "192.0.2.77", &slug, ANNA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // … and so is the address Anna logs in from.
    let res = login_from(&server, home, &slug, ANNA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn parallel_wrong_passwords_cannot_overshoot_the_limit() {
    let (server, anna) = office().await;
    let slug = anna.slug();
    let attempts = (0..20).map(|_| login_from(&server, "203.0.113.9", &slug, ANNA, GUESS));
    let answers = futures_util::future::join_all(attempts).await;
    let checked = answers
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    let limited = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (checked, limited),
        (5, 15),
        "exactly five guesses were checked"
    );
    // Parallel wrong invitation codes from one address stop at their limit too.
    let codes = (0..30).map(|i| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/invitations/preview", server.url))
            .header("x-forwarded-for", "203.0.113.10")
            .json(&json!({ "code": format!("AAAA-BBBB-CCCC-{i:04}") }))
            .send()
    });
    let answers = futures_util::future::join_all(codes).await;
    let wrong = answers
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::GONE)
        .count();
    assert_eq!(wrong, 20, "exactly twenty codes were looked at");
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_device_is_not_a_known_device_any_more() {
    let (server, anna) = office().await;
    let slug = anna.slug();
    let laptop = anna.known_device();
    let phone = login_as(&server, "198.51.100.1", &slug, ANNA, PASSWORD, None).await;
    let phone: SessionCreated = phone.json().await.unwrap();
    let phone = Actor::from_session(&server.url, phone);
    phone
        .call::<()>(
            Method::DELETE,
            &format!("/me/devices/{}", laptop.device_id),
            None,
        )
        .await;
    for _ in 0..5 {
        let _ = login_from(&server, "198.51.100.2", &slug, ANNA, GUESS).await;
    }
    let res = login_as(&server, "198.51.100.2", &slug, ANNA, PASSWORD, Some(laptop)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    server.stop().await;
}

#[tokio::test]
async fn oversized_and_malformed_requests_get_clear_errors() {
    let w = World::new().await;
    let anna = &w.anna;
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{}/api/v1{p}", w.server.url);
    let token = anna.token.clone().unwrap();

    // 413 for a JSON body over 64 KiB.
    let huge = json!({ "display_name": "x".repeat(70 * 1024) });
    let res = client
        .patch(url(&format!("/people/{}", anna.id())))
        .bearer_auth(&token)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "payload_too_large"
    );
    // 413 for a CSV import over 1 MiB.
    let csv = format!("email\n{}", "a@b.example\n".repeat(100_000));
    let res = client
        .post(url("/invitations/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Not JSON, wrong types, missing fields: 400 with the field named where known.
    let res = client
        .post(url("/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "malformed_body"
    );
    let res = client
        .post(url("/teams"))
        .bearer_auth(&token)
        .json(&json!({ "name": "X", "kind": "spaceship" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_body");
    assert_eq!(body["error"]["field"], "kind", "{body}");
    let res = client
        .post(url("/auth/login"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Unknown paths, wrong methods, bad ids, bad tokens: all in the error shape.
    for (method, path, code) in [
        (Method::GET, "/nothing/here", "not_found"),
        (Method::DELETE, "/org", "method_not_allowed"),
        (Method::GET, "/people/not-a-uuid", "not_found"),
        (
            Method::GET,
            "/teams/00000000-0000-0000-0000-000000000000",
            "not_found",
        ),
    ] {
        let res = client
            .request(method, url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["code"],
            code,
            "{path}"
        );
    }
    let res = client
        .get(url("/me"))
        .bearer_auth("kst_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = client.get(url("/me")).send().await.unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "unauthenticated"
    );
    // Input validation names the field.
    let (status, body) = anna
        .call(
            Method::POST,
            "/invitations",
            Some(&json!({ "email": "not-an-address" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "email");
    let (_, body) = anna
        .call(
            Method::POST,
            "/teams",
            Some(&json!({ "name": "", "kind": "group" })),
        )
        .await;
    assert_eq!(body["error"]["field"], "name");
    let (_, body) = anna
        .call(
            Method::POST,
            "/teams",
            Some(&json!({ "name": "a\u{0007}b", "kind": "group" })),
        )
        .await;
    assert_eq!(body["error"]["field"], "name");
    w.server.stop().await;
}

/// Random JSON: the shapes a fuzzer should throw at every endpoint.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("00000000-0000-0000-0000-000000000000")),
        Just(json!("owner")),
        Just(json!("department")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("email".to_owned()),
                    Just("role".to_owned()),
                    Just("kind".to_owned()),
                    Just("code".to_owned()),
                    Just("password".to_owned()),
                    Just("display_name".to_owned()),
                    Just("competences".to_owned()),
                    Just("device".to_owned()),
                    Just("parent_id".to_owned()),
                    Just("org".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn no_endpoint_answers_500_to_anything() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (w, endpoints) = rt.block_on(async {
        let w = World::new().await;
        let doc: Value = w.anna.get("/openapi.json").await;
        let mut endpoints = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let path = path.trim_start_matches("/api/v1").to_owned();
                // Logging out or changing the password would only end the fuzzer's own session.
                if path == "/auth/logout" || path == "/me/password" || path == "/events" {
                    continue;
                }
                endpoints.push((method.to_uppercase(), path));
            }
        }
        (w, endpoints)
    });
    assert!(endpoints.len() >= 30, "{endpoints:?}");
    let ids = [
        w.ben.id().to_string(),
        w.dora.id().to_string(),
        "not-a-uuid".to_owned(),
        "00000000-0000-0000-0000-000000000000".to_owned(),
    ];
    let tried = std::cell::Cell::new(0u32);
    let succeeded = std::cell::Cell::new(0u32);
    let config = ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(pick in 0..endpoints.len(), id in 0..ids.len(), body in any_json(), query in "[a-z_=&0-9%]{0,30}", as_admin in any::<bool>())| {
        let (method, path) = &endpoints[pick];
        let mut path = path.clone();
        while let (Some(start), Some(end)) = (path.find('{'), path.find('}')) {
            path.replace_range(start..=end, &ids[id]);
        }
        let actor = if as_admin { &w.anna } else { &w.chris };
        let (status, value) = rt.block_on(async {
            let rb = actor.raw(Method::from_bytes(method.as_bytes()).unwrap(), &format!("{path}?{query}")).await;
            let res = rb.json(&body).send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        });
        tried.set(tried.get() + 1);
        if status.is_success() {
            succeeded.set(succeeded.get() + 1);
        }
        prop_assert!(status.as_u16() < 500, "{method} {path} {body} answered {status}: {value}");
        if !status.is_success() {
            prop_assert!(value["error"]["code"].is_string(), "{method} {path} answered {status} without the error shape: {value}");
        }
    });
    assert!(tried.get() >= 200, "{} cases ran", tried.get());
    assert!(
        succeeded.get() > 0,
        "some requests must get through for the fuzzer to reach handlers"
    );
    rt.block_on(w.server.stop());
}

#[tokio::test]
async fn unknown_fields_and_arrays_for_objects_are_refused_naming_the_field() {
    let w = World::new().await;
    let anna = &w.anna;
    async fn refused(anna: &Actor, body: Value) -> Value {
        let (status, value) = anna.call(Method::POST, "/teams", Some(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(value["error"]["code"], "malformed_body", "{value}");
        value["error"]["field"].clone()
    }
    assert_eq!(
        refused(
            anna,
            json!({ "name": "Pflege", "kind": "group", "colour": "red" })
        )
        .await,
        "colour"
    );
    assert_eq!(
        refused(anna, json!(["Pflege", "group", null, ""])).await,
        Value::Null
    );
    // Nested: the device of a login, as an array and with a field too many.
    let login = |device: Value| json!({ "org": anna.slug(), "email": anna.email(), "password": PASSWORD, "device": device });
    for (device, field) in [
        (json!(["laptop", "web"]), "device"),
        (
            json!({ "name": "laptop", "platform": "web", "trusted": true }),
            "device.trusted",
        ),
    ] {
        let (status, value) = w
            .server
            .anonymous()
            .call(Method::POST, "/auth/login", Some(&login(device)))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(value["error"]["field"], field, "{value}");
    }
    // A profile change with a field the API does not have changes nothing.
    let (status, value) = anna
        .call(
            Method::PATCH,
            &format!("/people/{}", anna.id()),
            Some(&json!({ "display_name": "Anna S.", "role": "owner" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(value["error"]["field"], "role");
    let me: Person = anna.get(&format!("/people/{}", anna.id())).await;
    assert_eq!(me.display_name, "Anna Schmidt");
    // The right shape still works.
    let (status, _) = anna
        .call(
            Method::POST,
            "/teams",
            Some(&json!({ "name": "Pflege", "kind": "group" })),
        )
        .await;
    assert!(status.is_success());
    w.server.stop().await;
}

#[tokio::test]
async fn offsets_and_cursors_beyond_their_range_are_refused_naming_the_field() {
    let w = World::new().await;
    async fn field_of_in(anna: &Actor, path: String) -> String {
        let (status, value) = anna.call::<()>(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {value}");
        assert_eq!(value["error"]["code"], "invalid_input", "{path}: {value}");
        value["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    let field_of = |path: String| field_of_in(&w.anna, path);
    assert_eq!(
        field_of("/directory?offset=99999999999".into()).await,
        "offset"
    );
    assert_eq!(field_of("/directory?offset=-1".into()).await, "offset");
    assert_eq!(field_of("/directory?offset=500".into()).await, "offset");
    assert_eq!(field_of("/directory?limit=1000".into()).await, "limit");
    assert_eq!(
        field_of("/events/poll?after=18446744073709551615".into()).await,
        "after"
    );
    assert_eq!(field_of("/events/poll?after=-5".into()).await, "after");
    let page: EventPage = w.anna.get("/events/poll?after=0").await;
    assert_eq!(
        field_of(format!("/events/poll?after={}", page.last_seq + 1)).await,
        "after"
    );
    // A conversation's log: past its newest message is out of range too.
    let mut device = ChatDevice::of(&w.server.url, &w.anna).await;
    let conv = device
        .s
        .create(
            kontor_proto::conversation::ConversationKind::Group,
            None,
            &[],
        )
        .await
        .unwrap();
    let _: Value = w
        .anna
        .get(&format!("/conversations/{conv}/messages?after=0"))
        .await;
    assert_eq!(
        field_of(format!("/conversations/{conv}/messages?after=5")).await,
        "after"
    );
    // The end of the directory is still a page.
    let all: DirectoryPage = w.anna.get("/directory").await;
    let end: DirectoryPage = w
        .anna
        .get(&format!("/directory?offset={}", all.total))
        .await;
    assert!(end.people.is_empty());
    w.server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Slow, idle and piled-up connections; draining key packages; unlimited sends.

/// A server with one limit changed, and Anna, the owner of its organisation "Werk".
async fn werk(change: impl FnOnce(&mut kontor_server::config::Config)) -> (TestServer, Actor) {
    let server = TestServer::start_custom(Arc::new(SystemClock), change).await;
    let org = server.create_org("Werk", "anna@werk.example").await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    (server, anna)
}

/// A raw TCP connection to the server from a chosen loopback address.
async fn tcp_from(server: &TestServer, from: [u8; 4]) -> tokio::net::TcpStream {
    let to: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from((from, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether the server closes the connection within `wait` (reading whatever it says first).
async fn closed_within(conn: &mut tokio::net::TcpStream, wait: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

async fn healthy_from(server: &TestServer, from: [u8; 4]) -> bool {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Waits until the server counts this many open TCP connections besides the one that asks
/// (it counts itself while it asks).
async fn open_connections(server: &TestServer, n: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while metric(server, "kontor_tcp_connections").await != n + 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server never counted {n} connections"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn metric(server: &TestServer, name: &str) -> u64 {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", server.url))
        .bearer_auth("metrics-token-for-tests")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

#[tokio::test]
async fn idle_and_trickling_connections_are_closed_and_everyone_else_is_served() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_custom(Arc::new(SystemClock), |c| {
        c.limits.header_timeout = std::time::Duration::from_secs(1);
        c.limits.body_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let wait = std::time::Duration::from_secs(5);
    // Connected and silent: closed after the header deadline.
    let mut idle = tcp_from(&server, [127, 0, 0, 1]).await;
    assert!(
        closed_within(&mut idle, wait).await,
        "an idle connection is closed"
    );
    // Headers trickling in a byte at a time: the deadline is for all of them.
    let mut slow = tcp_from(&server, [127, 0, 0, 1]).await;
    let trickle = async {
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(wait, trickle).await;
    assert!(
        closed_within(&mut slow, std::time::Duration::from_millis(500)).await,
        "headers that trickle in are cut off"
    );
    // A body trickling in: the request is refused and the connection does not stay.
    let mut body = tcp_from(&server, [127, 0, 0, 1]).await;
    body.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{",
    )
    .await
    .unwrap();
    let trickle = async {
        loop {
            if body.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), trickle).await;
    assert!(
        closed_within(&mut body, wait).await,
        "a body that trickles in is cut off"
    );
    // A keep-alive connection that went quiet after a request is closed too.
    let mut kept = tcp_from(&server, [127, 0, 0, 1]).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut kept, wait).await,
        "an idle keep-alive is closed"
    );
    assert!(healthy_from(&server, [127, 0, 0, 1]).await);
    server.stop().await;
}

#[tokio::test]
async fn one_address_cannot_take_every_connection_and_a_full_server_says_so() {
    let server = TestServer::start_custom(Arc::new(SystemClock), |c| {
        c.limits.connections_per_address = 20;
        c.limits.connections_total = 40;
        c.metrics_token = Some("metrics-token-for-tests".into());
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(tcp_from(&server, [127, 0, 0, 2]).await);
    }
    let quick = std::time::Duration::from_secs(3);
    // The 21st from the same address is closed at once; another address is served.
    let mut over = tcp_from(&server, [127, 0, 0, 2]).await;
    assert!(closed_within(&mut over, quick).await);
    assert!(healthy_from(&server, [127, 0, 0, 3]).await);
    assert!(!healthy_from(&server, [127, 0, 0, 2]).await);
    // The ones held are still open: the cap refuses new ones, it does not drop old ones.
    assert!(!closed_within(&mut held[0], std::time::Duration::from_millis(200)).await);
    // Up to the total from many addresses; past it nobody new gets in, until some go.
    for i in 0..19 {
        held.push(tcp_from(&server, [127, 0, 1, i]).await);
    }
    // Counted (the count's own request is the 40th); the last one is accepted before the
    // late one, in the order they connected.
    open_connections(&server, 39).await;
    held.push(tcp_from(&server, [127, 0, 1, 19]).await);
    let mut late = tcp_from(&server, [127, 0, 0, 5]).await;
    assert!(closed_within(&mut late, quick).await, "past the total cap");
    held.clear();
    open_connections(&server, 0).await;
    assert!(healthy_from(&server, [127, 0, 0, 5]).await, "room again");
    assert!(
        metric(
            &server,
            "kontor_connections_refused_total{cap=\"per_address\"}"
        )
        .await
            >= 2
    );
    assert!(metric(&server, "kontor_connections_refused_total{cap=\"total\"}").await >= 1);
    drop(held);
    server.stop().await;
}

#[tokio::test]
async fn nobody_can_empty_a_colleagues_key_packages_and_a_claimer_is_limited() {
    use kontor_proto::Bytes;
    use kontor_proto::identity::*;
    let (server, anna) = werk(|c| c.limits.key_package_claims_per_hour = 50).await;
    let inv = anna.invite("ben@werk.example", OrgRole::Member).await;
    let ben = server.join(&inv.code, "Ben").await;
    let inv = anna.invite("mallory@werk.example", OrgRole::Member).await;
    let mallory = server.join(&inv.code, "Mallory").await;
    let stock: KeyPackageStock = ben
        .ok(
            Method::POST,
            "/key-packages",
            &UploadKeyPackages {
                key_packages: (1..=48u8).map(|i| Bytes(vec![i; 64])).collect(),
                last_resort: Some(Bytes(vec![0; 64])),
            },
        )
        .await;
    assert_eq!(stock.one_time, 48);
    let claim = ClaimKeyPackages {
        people: vec![ben.id()],
    };
    // One request may name many people, but Ben only once: and again and again.
    let mut refused = None;
    for _ in 0..60 {
        let (status, body) = mallory
            .call(Method::POST, "/key-packages/claim", Some(&claim))
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(body);
            break;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["key_packages"].as_array().unwrap().len(), 1);
    }
    let refused = refused.expect("a claimer is limited");
    assert_eq!(refused["error"]["code"], "rate_limited");
    assert!(refused["error"]["retry_after_secs"].as_u64().unwrap() > 0);
    let stock: KeyPackageStock = ben.get("/key-packages/stock").await;
    assert_eq!(
        stock.one_time, 45,
        "Mallory got only her share of one-time packages"
    );
    // Anna adding Ben still gets a one-time package.
    let got: ClaimedKeyPackages = anna.ok(Method::POST, "/key-packages/claim", &claim).await;
    assert_eq!(got.key_packages[0].key_package.0[0], 4);
    server.stop().await;
}

#[tokio::test]
async fn a_device_that_sends_too_fast_is_told_to_wait_and_nothing_is_lost() {
    let (server, anna) = werk(|c| c.limits.messages_per_minute = 5).await;
    let mut device = ChatDevice::of(&server.url, &anna).await;
    let notes = device
        .s
        .create(
            kontor_proto::conversation::ConversationKind::Group,
            Some("Notizen"),
            &[],
        )
        .await
        .unwrap();
    // Naming the group was a message too: count until the server says wait.
    let mut refused = None;
    for i in 0..10 {
        let text = kontor_proto::payload::Payload::Text {
            text: format!("Nachricht {i}"),
            mentions: vec![],
            reply_to: None,
            forwarded: false,
        };
        if let Err(e) = device.s.send(notes, &text).await {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("a sixth message in a minute waits");
    let stored: kontor_proto::conversation::Conversation =
        anna.get(&format!("/conversations/{notes}")).await;
    assert_eq!(stored.last_seq, 5, "five got through in the minute");
    assert_eq!(refused.code(), Some(kontor_proto::ErrorCode::RateLimited));
    assert!(
        device.s.core.outbox().any(|e| e.conversation_id == notes),
        "the refused message waits in the outbox to go out later"
    );
    // The organisation's storage quota cannot be set above what the operator allows.
    let too_much = serde_json::json!({ "storage_quota_mib": 10u64 << 40 });
    let status = anna
        .fails(
            Method::PATCH,
            "/org/policies",
            Some(&too_much),
            "invalid_input",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let ok: Policies = anna
        .ok(
            Method::PATCH,
            "/org/policies",
            &serde_json::json!({ "storage_quota_mib": 2048 }),
        )
        .await;
    assert_eq!(ok.storage_quota_mib, 2048);
    server.stop().await;
}

/// A client holds a whole IPv6 /64 (2^64 addresses): the cap per address must count the
/// network, as the login limits do, or one client opens connections from fresh addresses
/// until the total cap refuses everybody.
#[test]
fn one_ipv6_network_holds_only_its_share_of_connections() {
    use kontor_server::listener::Gate;
    let limits = kontor_server::config::Limits {
        connections_per_address: 2,
        ..Default::default()
    };
    let gate = Arc::new(Gate::new(&limits, false));
    let mut held = Vec::new();
    for i in 1..=10u16 {
        let ip: std::net::IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
        if let Ok(ticket) = gate.admit(ip) {
            held.push(ticket);
        }
    }
    assert_eq!(
        held.len(),
        2,
        "one /64 held {} connections with a cap of 2 per address",
        held.len()
    );
}

#[tokio::test]
async fn a_retry_of_a_stored_message_is_answered_even_past_the_send_limit() {
    let (server, anna) = werk(|c| c.limits.messages_per_minute = 3).await;
    let mut device = ChatDevice::of(&server.url, &anna).await;
    let notes = device
        .s
        .create(
            kontor_proto::conversation::ConversationKind::Group,
            None,
            &[],
        )
        .await
        .unwrap();
    let body = device
        .s
        .core
        .encrypt(
            notes,
            &kontor_proto::payload::Payload::Text {
                text: "Antwort verloren".into(),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
            kontor_cli::chat::now_ms(),
        )
        .unwrap();
    // The answer to the first try is lost; the device tries again and again.
    let mut answers = Vec::new();
    for _ in 0..6 {
        let sent: kontor_proto::conversation::Sent = anna
            .ok(
                Method::POST,
                &format!("/conversations/{notes}/messages"),
                &body,
            )
            .await;
        answers.push((sent.seq, sent.duplicate));
    }
    assert!(!answers[0].1);
    assert!(
        answers[1..].iter().all(|a| *a == (answers[0].0, true)),
        "every retry hears where it was stored: {answers:?}"
    );
    server.stop().await;
}
