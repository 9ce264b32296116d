//! Bad input and abuse: rate limits, size limits, malformed requests, and a fuzzer over every
//! endpoint of the OpenAPI document. Never a panic, never a 500.

mod common;

use common::*;
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
