//! First start from the web app (setup code from the data directory), an organisation's
//! branding (colours, logo, the installable app's manifest), and how the built app is served.

use crate::common::*;
use kontor_proto::api::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;

fn setup_request(code: &str) -> SetupRequest {
    SetupRequest {
        setup_code: code.into(),
        org_name: "Pflegedienst Sonnenschein".into(),
        email: "anna@sonnenschein.example".into(),
        display_name: "Anna Schmidt".into(),
        password: PASSWORD.into(),
        device: NewDevice {
            name: "Firefox".into(),
            platform: "web".into(),
        },
    }
}

#[tokio::test]
async fn the_first_organisation_is_made_once_with_the_setup_code() {
    let server = TestServer::start().await;
    let anyone = server.anonymous();
    let info: ServerInfo = anyone.get("/server").await;
    assert!(!info.has_orgs);
    let path = kontor_server::setup::code_path(server.dir.path());
    let code = std::fs::read_to_string(&path).expect("the setup code waits in the data dir");

    // A visitor without the code gets nowhere.
    let status = anyone
        .fails(
            Method::POST,
            "/setup",
            Some(&setup_request("AAAA-BBBB-CCCC-DDDD")),
            "setup_code_invalid",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A weak password is refused before anything is made.
    let mut weak = setup_request(code.trim());
    weak.password = "kurz".into();
    anyone
        .fails(Method::POST, "/setup", Some(&weak), "password_too_short")
        .await;
    assert!(!anyone.get::<ServerInfo>("/server").await.has_orgs);

    let created: SessionCreated = anyone
        .ok(Method::POST, "/setup", &setup_request(code.trim()))
        .await;
    assert_eq!(created.person.role, OrgRole::Owner);
    assert_eq!(created.org.name, "Pflegedienst Sonnenschein");
    assert_eq!(created.org.slug, "pflegedienst-sonnenschein");
    let anna = Actor::from_session(&server.url, created);
    let me: Me = anna.get("/me").await;
    assert_eq!(me.person.display_name, "Anna Schmidt");
    let audit: AuditPage = anna.get("/audit?action=org.create").await;
    assert_eq!(audit.entries.len(), 1);

    // Done for good: the code is gone and a second setup is refused.
    assert!(!path.exists());
    let status = anyone
        .fails(
            Method::POST,
            "/setup",
            Some(&setup_request(code.trim())),
            "already_set_up",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(anyone.get::<ServerInfo>("/server").await.has_orgs);
}

#[tokio::test]
async fn a_server_set_up_by_the_operator_offers_no_setup() {
    let mut server = TestServer::start().await;
    let code = std::fs::read_to_string(kontor_server::setup::code_path(server.dir.path())).unwrap();
    server
        .create_org("Stadtwerke", "it@stadtwerke.example")
        .await;
    server
        .anonymous()
        .fails(
            Method::POST,
            "/setup",
            Some(&setup_request(code.trim())),
            "already_set_up",
        )
        .await;
    server.restart().await;
    assert!(!kontor_server::setup::code_path(server.dir.path()).exists());
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    p.extend_from_slice(&width.to_be_bytes());
    p.extend_from_slice(&height.to_be_bytes());
    p.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    p
}

#[tokio::test]
async fn admins_brand_the_organisation_and_everybody_sees_it() {
    let w = World::new().await;
    let slug = w.anna.slug();
    let before = w.ben.events_after(0).await.last_seq;

    let org: Org = w
        .anna
        .ok(
            Method::PATCH,
            "/org",
            &json!({ "accent_color": "#0A7CFF", "secondary_color": "#123456" }),
        )
        .await;
    assert_eq!(org.accent_color.as_deref(), Some("#0a7cff"));
    assert_eq!(org.secondary_color.as_deref(), Some("#123456"));
    w.anna
        .fails(
            Method::PATCH,
            "/org",
            Some(&json!({ "accent_color": "red" })),
            "invalid_input",
        )
        .await;
    w.ben
        .fails(
            Method::PATCH,
            "/org",
            Some(&json!({ "accent_color": "#000000" })),
            "forbidden",
        )
        .await;

    // Logos are checked by their bytes; SVG never passes.
    let res = w
        .anna
        .raw(Method::PUT, "/org/logo")
        .await
        .body(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = w
        .anna
        .raw(Method::PUT, "/org/logo")
        .await
        .body(png(512, 512))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let org: Org = res.json().await.unwrap();
    assert!(org.has_logo);

    // Members hear of it as an event carrying the new state.
    let events = w.ben.events_after(before).await;
    let changed: Vec<&Org> = events
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            kontor_proto::EventKind::OrgChanged { org } => Some(org),
            _ => None,
        })
        .collect();
    assert_eq!(changed.len(), 2, "colours, then logo");
    assert!(changed[1].has_logo && changed[1].accent_color.as_deref() == Some("#0a7cff"));

    // Public before login: the login screen and the installed app show it.
    let anyone = w.server.anonymous();
    let b: Branding = anyone.get(&format!("/branding?org={slug}")).await;
    assert_eq!(b.name, "Pflegedienst Sonnenschein");
    assert_eq!(b.accent_color.as_deref(), Some("#0a7cff"));
    assert!(b.has_logo);
    let logo = reqwest::get(format!("{}/api/v1/branding/logo?org={slug}", w.server.url))
        .await
        .unwrap();
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.headers()["x-content-type-options"], "nosniff");
    anyone
        .fails::<()>(Method::GET, "/branding?org=nobody", None, "not_found")
        .await;
    // Two organisations on this server: which one must be said.
    anyone
        .fails::<()>(Method::GET, "/branding", None, "not_found")
        .await;

    let manifest: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/manifest.webmanifest?org={slug}", w.server.url))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(manifest["name"], "Pflegedienst Sonnenschein");
    assert_eq!(manifest["theme_color"], "#123456");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["lang"], "de");
    let icons = manifest["icons"].as_array().unwrap();
    assert_eq!(icons[0]["sizes"], "512x512", "the logo, with its real size");
    assert!(icons.iter().any(|i| i["src"] == "/icons/kontor-512.png"));

    let org: Org = w
        .anna
        .ok(Method::PATCH, "/org", &json!({ "accent_color": "" }))
        .await;
    assert_eq!(org.accent_color, None, "back to Kontor's colour");
}

/// The installed app's manifest, as a phone reads it.
async fn manifest(server: &TestServer, slug: &str) -> serde_json::Value {
    reqwest::get(format!("{}/manifest.webmanifest?org={slug}", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_home_screen_name_is_the_short_name_the_admin_chooses() {
    let w = World::new().await;
    let slug = w.anna.slug();
    // Until one is chosen, the name cut to 12 characters.
    assert_eq!(
        manifest(&w.server, &slug).await["short_name"],
        "Pflegedienst"
    );

    let org: serde_json::Value = w
        .anna
        .ok(
            Method::PATCH,
            "/org",
            &json!({ "app_name": "  Sonnenschein " }),
        )
        .await;
    assert_eq!(
        org["app_name"], "Sonnenschein",
        "trimmed, 12 characters fit"
    );
    assert_eq!(org["name"], "Pflegedienst Sonnenschein", "the name stays");
    let m = manifest(&w.server, &slug).await;
    assert_eq!(m["short_name"], "Sonnenschein");
    assert_eq!(m["name"], "Pflegedienst Sonnenschein");
    let b: serde_json::Value = w
        .server
        .anonymous()
        .get(&format!("/branding?org={slug}"))
        .await;
    assert_eq!(b["app_name"], "Sonnenschein", "public like the name");

    // Twelve visible characters at most (a decomposed umlaut is one), and a name has a letter.
    let decomposed = "Pflegedu\u{0308}nste"; // "Pflegedünste", 12 once composed
    let org: serde_json::Value = w
        .anna
        .ok(Method::PATCH, "/org", &json!({ "app_name": decomposed }))
        .await;
    assert_eq!(org["app_name"], "Pflegedünste");
    for bad in ["Sonnenschein!", "123", "Sonne\u{200B}", "…"] {
        let (status, body) = w
            .anna
            .call(Method::PATCH, "/org", Some(&json!({ "app_name": bad })))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{bad:?}");
        assert_eq!(body["error"]["field"], "app_name", "{bad:?}");
    }
    w.ben
        .fails(
            Method::PATCH,
            "/org",
            Some(&json!({ "app_name": "Ben" })),
            "forbidden",
        )
        .await;
    assert_eq!(
        manifest(&w.server, &slug).await["short_name"],
        "Pflegedünste"
    );

    // Members hear of it with the organisation's new state.
    let events = w.ben.events_after(0).await;
    assert!(events.events.iter().any(|e| matches!(&e.kind,
        kontor_proto::EventKind::OrgChanged { org } if serde_json::to_value(org).unwrap()["app_name"] == "Pflegedünste")));

    // Empty is the default again.
    let org: serde_json::Value = w
        .anna
        .ok(Method::PATCH, "/org", &json!({ "app_name": "" }))
        .await;
    assert_eq!(org["app_name"], serde_json::Value::Null);
    assert_eq!(
        manifest(&w.server, &slug).await["short_name"],
        "Pflegedienst"
    );

    // Each change is in the audit log, from and to.
    let audit: AuditPage = w.anna.get("/audit?action=org.branding").await;
    let changes: Vec<(&serde_json::Value, &serde_json::Value)> = audit
        .entries
        .iter()
        .map(|e| (&e.details["from"]["app_name"], &e.details["to"]["app_name"]))
        .collect();
    assert_eq!(
        changes,
        [
            (&json!("Pflegedünste"), &serde_json::Value::Null),
            (&json!("Sonnenschein"), &json!("Pflegedünste")),
            (&serde_json::Value::Null, &json!("Sonnenschein")),
        ],
        "newest first"
    );
}

#[tokio::test]
async fn the_built_app_is_served_with_its_shell_caching_and_policy() {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(web.path().join("assets")).unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>Kontor</title>",
    )
    .unwrap();
    std::fs::write(web.path().join("assets/app-abc123.js"), "console.log(1)").unwrap();
    std::fs::write(web.path().join("assets/app-abc123.js.br"), "BROTLI").unwrap();
    std::fs::write(web.path().join("sw.js"), "self.x = 1").unwrap();
    std::fs::write(web.path().join(".env"), "SECRET=1").unwrap();
    let dir = web.path().to_owned();
    let server = TestServer::start_custom(Arc::new(kontor_server::clock::SystemClock), |c| {
        c.web_dir = dir
    })
    .await;
    let http = reqwest::Client::builder()
        .no_brotli()
        .no_gzip()
        .build()
        .unwrap();

    // Page paths of the app get its shell, with the content security policy.
    for path in ["/", "/join", "/c/0192f0e0-0000-7000-8000-000000000000"] {
        let res = http
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(res.headers()["cache-control"], "no-cache");
        assert!(res.text().await.unwrap().contains("<title>Kontor</title>"));
    }

    // Hashed assets: a year in the cache, compressed when the browser accepts it.
    let res = http
        .get(format!("{}/assets/app-abc123.js", server.url))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let etag = res.headers()["etag"].clone();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"BROTLI");
    let plain = http
        .get(format!("{}/assets/app-abc123.js", server.url))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"console.log(1)");
    let again = http
        .get(format!("{}/assets/app-abc123.js", server.url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // Hidden files are never served.
    let res = http
        .get(format!("{}/.env", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Missing files and unknown API paths are errors, not the shell.
    let res = http
        .get(format!("{}/assets/missing.js", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = http
        .get(format!("{}/api/v1/nothing-here", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let res = http
        .post(format!("{}/join", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_data_directory_is_never_inside_the_served_web_directory() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html>").unwrap();
    let mut config =
        kontor_server::config::Config::for_tests(&web.path().join("kontor-data"), None);
    config.web_dir = web.path().to_owned();
    let refused = kontor_server::server::start(config, Arc::new(kontor_server::clock::SystemClock))
        .await
        .expect_err("refused to start");
    assert!(
        refused.to_string().contains("inside the web directory"),
        "{refused}"
    );
}

#[tokio::test]
async fn nobody_guesses_organisations_through_their_branding() {
    let w = World::new().await;
    let anyone = w.server.anonymous();
    for n in 0..20 {
        anyone
            .fails::<()>(
                Method::GET,
                &format!("/branding?org=guess-{n}"),
                None,
                "not_found",
            )
            .await;
    }
    let status = anyone
        .fails::<()>(
            Method::GET,
            &format!("/branding?org={}", w.anna.slug()),
            None,
            "rate_limited",
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn api_answers_are_neither_cached_nor_sniffed_and_https_gets_hsts() {
    let server = TestServer::start_custom(Arc::new(kontor_server::clock::SystemClock), |c| {
        c.public_url = "https://chat.example.org".into()
    })
    .await;
    let org = server.create_org("Rathaus", "anna@rathaus.example").await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    let http = reqwest::Client::new();
    for (path, token) in [
        ("/api/v1/me", anna.token.clone()),
        ("/api/v1/server", None),
        ("/api/v1/nothing-here", None),
        ("/api/v1/me", None),
    ] {
        let mut rb = http.get(format!("{}{path}", server.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let res = rb.send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{path}");
    }
    // Without https in the public address, no HSTS (it would break plain-HTTP setups).
    let plain = TestServer::start().await;
    let res = http
        .get(format!("{}/api/v1/server", plain.url))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
    assert_eq!(res.headers()["cache-control"], "no-store");
    plain.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn metrics_are_off_unless_a_token_is_set_and_then_need_it() {
    let http = reqwest::Client::new();
    let off = TestServer::start().await;
    let res = http
        .get(format!("{}/metrics", off.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    off.stop().await;
    let token = "metrics-token-for-the-prometheus-scraper";
    let on = TestServer::start_custom(Arc::new(kontor_server::clock::SystemClock), |c| {
        c.metrics_token = Some(token.into())
    })
    .await;
    let url = format!("{}/metrics", on.url);
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("# TYPE kontor_http_responses_total counter")
    );
    on.stop().await;
}
