//! The `kontor` binary as an admin types it: create an organisation on the data directory,
//! serve, join, invite, import, search, and read exit codes and JSON.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kontor");
const PASSWORD: &str = "Lindenblüte-Kaffeetasse-7";
const METRICS_TOKEN: &str = "scraper-token-0123456789abcdef";

fn kontor(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("KONTOR_HOME", home)
        .env("KONTOR_PASSWORD", PASSWORD)
        .env("LANG", "en_US.UTF-8")
        .env_remove("KONTOR_SERVER")
        .output()
        .expect("kontor runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

/// A plain HTTP/1.1 GET over loopback: status line and body.
fn http_get(port: u16, path: &str) -> (String, String) {
    http_get_with(port, path, "")
}

/// Like [`http_get`], with extra header lines.
fn http_get_with(port: u16, path: &str, headers: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// A plain HTTP/1.1 POST of JSON over loopback: the status line.
fn http_post(port: u16, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.lines().next().unwrap_or_default().to_owned()
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &Path, port: u16) -> Serve {
    let child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().unwrap()])
        .env("KONTOR_LISTEN", format!("127.0.0.1:{port}"))
        .env("KONTOR_METRICS_TOKEN", METRICS_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve(child)
}

#[test]
fn an_admin_runs_kontor_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let anna_home = dir.path().join("anna");
    let ben_home = dir.path().join("ben");
    let d = data.to_str().unwrap();

    // Before the first start: create the organisation on the data directory.
    let out = kontor(
        &anna_home,
        &[
            "org",
            "create",
            "Pflegedienst Sonnenschein",
            "--owner",
            "anna@sonnenschein.example",
            "--data",
            d,
        ],
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("pflegedienst-sonnenschein") && text.contains("Code: "),
        "{text}"
    );
    let code = text
        .lines()
        .find_map(|l| l.strip_prefix("Code: "))
        .unwrap()
        .trim()
        .to_owned();

    let port = free_port();
    let mut server = serve(&data, port);
    let url = format!("http://127.0.0.1:{port}");
    // It says where it serves, and answers health and readiness.
    let mut first_line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.0.stdout.take().unwrap()),
        &mut first_line,
    )
    .unwrap();
    assert!(first_line.contains(&url), "{first_line}");
    assert_eq!(
        http_get(port, "/healthz"),
        ("HTTP/1.1 200 OK".to_owned(), "ok".to_owned())
    );
    assert_eq!(http_get(port, "/readyz").0, "HTTP/1.1 200 OK");

    // Against the running server, with the operator token from the data directory.
    let out = kontor(
        &anna_home,
        &[
            "org",
            "create",
            "Zweiter Verein",
            "--owner",
            "z@zweiter.example",
            "--server",
            &url,
            "--data",
            d,
            "--json",
        ],
    );
    assert_eq!(json(&out)["org"]["slug"], "zweiter-verein");
    // Without the token: exit code 3 (not authenticated).
    let out = kontor(
        &anna_home,
        &[
            "org",
            "create",
            "Dritter",
            "--owner",
            "x@y.example",
            "--server",
            &url,
            "--operator-token",
            "kop_wrong",
        ],
    );
    assert_eq!(out.status.code(), Some(3));

    // Anna joins with the code and becomes the owner.
    let out = kontor(
        &anna_home,
        &[
            "join",
            &code,
            "--server",
            &url,
            "--name",
            "Anna Schmidt",
            "--json",
        ],
    );
    let session = json(&out);
    assert_eq!(session["person"]["role"], "owner");
    assert!(
        session.get("token").is_none(),
        "the token stays in the session file"
    );
    let who = json(&kontor(&anna_home, &["whoami", "--json"]));
    assert_eq!(who["person"]["display_name"], "Anna Schmidt");
    let modes = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(modes(&anna_home), 0o700);
    assert_eq!(modes(&anna_home.join("session.json")), 0o600);
    assert_eq!(modes(&anna_home.join("known-devices.json")), 0o600);

    // Someone at the same address guesses Anna's password five times: a new device now waits,
    // but Anna, logging in again from the home that logged in before, gets in.
    assert!(kontor(&anna_home, &["logout"]).status.success());
    let guess = r#"{"org":"pflegedienst-sonnenschein","email":"anna@sonnenschein.example","password":"guess-guess-guess","device":{"name":"x","platform":"web"}}"#;
    for _ in 0..5 {
        assert!(http_post(port, "/api/v1/auth/login", guess).contains("401"));
    }
    let login = [
        "login",
        "--server",
        &url,
        "--org",
        "pflegedienst-sonnenschein",
        "--email",
        "anna@sonnenschein.example",
    ];
    let stranger = dir.path().join("stranger");
    assert_eq!(
        kontor(&stranger, &login).status.code(),
        Some(8),
        "rate limited"
    );
    let out = kontor(&anna_home, &login);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Teams, an invitation and a CSV import with a report line per input line.
    assert!(
        kontor(
            &anna_home,
            &["admin", "team", "create", "Pflege", "--kind", "department"]
        )
        .status
        .success()
    );
    let inv = json(&kontor(
        &anna_home,
        &[
            "admin",
            "invite",
            "ben@sonnenschein.example",
            "--team",
            "Pflege",
            "--json",
        ],
    ));
    let ben_code = inv["code"].as_str().unwrap().to_owned();
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "email;display_name;role;teams;competences\nclara@sonnenschein.example;Clara Krause;member;Pflege;Wundversorgung\nnot-an-address;X;;;\ndora@sonnenschein.example;Dora;boss;;\n").unwrap();
    let report = json(&kontor(
        &anna_home,
        &["admin", "import", csv.to_str().unwrap(), "--json"],
    ));
    assert_eq!(
        (report["imported"].as_u64(), report["skipped"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(report["lines"][1]["error"]["field"], "email");
    assert_eq!(report["lines"][2]["error"]["field"], "role");
    let human = stdout(&kontor(
        &anna_home,
        &["admin", "import", csv.to_str().unwrap()],
    ));
    assert!(
        human.contains("line    3  skipped") && human.contains("(email)"),
        "{human}"
    );

    // The name under the installed app's icon: the admin's choice, checked, served.
    let org = json(&kontor(
        &anna_home,
        &["admin", "rename", "--app-name", "Sonnenschein", "--json"],
    ));
    assert_eq!(
        (&org["name"], &org["app_name"]),
        (&"Pflegedienst Sonnenschein".into(), &"Sonnenschein".into())
    );
    let (_, manifest) = http_get(port, "/manifest.webmanifest?org=pflegedienst-sonnenschein");
    assert!(
        manifest.contains(r#""short_name":"Sonnenschein""#),
        "{manifest}"
    );
    let refused = kontor(
        &anna_home,
        &["admin", "rename", "--app-name", "Sonnenschein 2"],
    );
    assert_eq!(refused.status.code(), Some(6), "input refused");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("app_name"),
        "names the field"
    );

    // Ben joins, edits nothing, searches; members cannot administer (exit code 4).
    let out = kontor(
        &ben_home,
        &[
            "join",
            &format!("{url}/join#code={ben_code}"),
            "--name",
            "Ben Becker",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kontor(&ben_home, &["admin", "invite", "eve@evil.example"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("forbidden"));
    let found = json(&kontor(&ben_home, &["directory", "Pflege", "--json"]));
    assert_eq!(found["total"], 1, "Clara has not joined yet: {found}");

    // Anna edits Ben's profile, makes him admin, then suspends and deprovisions him.
    let p = json(&kontor(
        &anna_home,
        &[
            "admin",
            "person",
            "ben@sonnenschein.example",
            "edit",
            "--job-title",
            "Pflegefachkraft",
            "--competence",
            "Wundversorgung",
            "--competence",
            "Palliativ",
            "--json",
        ],
    ));
    assert_eq!(
        p["competences"],
        serde_json::json!(["Wundversorgung", "Palliativ"])
    );
    let p = json(&kontor(
        &anna_home,
        &[
            "admin",
            "person",
            "ben@sonnenschein.example",
            "role",
            "admin",
            "--json",
        ],
    ));
    assert_eq!(p["role"], "admin");
    let out = kontor(
        &anna_home,
        &["admin", "person", "nobody@sonnenschein.example", "show"],
    );
    assert_eq!(out.status.code(), Some(5));
    let p = json(&kontor(
        &anna_home,
        &[
            "admin",
            "person",
            "ben@sonnenschein.example",
            "deprovision",
            "--json",
        ],
    ));
    assert_eq!(p["status"], "deprovisioned");
    let out = kontor(&ben_home, &["whoami"]);
    assert_eq!(out.status.code(), Some(3), "Ben's session is dead");

    // Policies and the audit log.
    let pol = json(&kontor(
        &anna_home,
        &[
            "admin",
            "policies",
            "set",
            "--presence",
            "hidden",
            "--read-receipts",
            "off",
            "--json",
        ],
    ));
    assert_eq!(pol["presence"], "hidden");
    let audit = json(&kontor(
        &anna_home,
        &["admin", "audit", "--action", "person.", "--json"],
    ));
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"person.deprovision") && actions.contains(&"person.role"),
        "{actions:?}"
    );
    let people = stdout(&kontor(&anna_home, &["admin", "people", "--inactive"]));
    assert!(people.contains("deprovisioned"), "{people}");

    // Metrics only for the scraper that has the token.
    assert_eq!(http_get(port, "/metrics").0, "HTTP/1.1 401 Unauthorized");
    let (status, metrics) = http_get_with(
        port,
        "/metrics",
        &format!("Authorization: Bearer {METRICS_TOKEN}\r\n"),
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        metrics.contains("# TYPE kontor_http_responses_total counter"),
        "{metrics}"
    );
    assert!(metrics.contains("kontor_logins_total{result=\"ok\"}"));

    // Logged out, commands say so with exit code 3.
    assert!(kontor(&anna_home, &["logout"]).status.success());
    assert_eq!(kontor(&anna_home, &["whoami"]).status.code(), Some(3));
    // Usage errors are exit code 2; an unreachable server 9.
    assert_eq!(
        kontor(&anna_home, &["admin", "frobnicate"]).status.code(),
        Some(2)
    );
    let closed = free_port();
    let out = kontor(
        &anna_home,
        &[
            "login",
            "--server",
            &format!("http://127.0.0.1:{closed}"),
            "--org",
            "x",
            "--email",
            "a@b.example",
        ],
    );
    assert_eq!(out.status.code(), Some(9));

    // Ctrl-C: a graceful stop with exit code 0.
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn config_example_and_openapi_come_from_the_code() {
    let home = tempfile::tempdir().unwrap();
    let example = stdout(&kontor(home.path(), &["config", "example"]));
    assert!(
        example.contains("listen = \"127.0.0.1:8080\"") && example.contains("argon2_memory_kib"),
        "{example}"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&kontor(home.path(), &["openapi"]).stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/directory",
        "/api/v1/events",
        "/api/v1/invitations/import",
        "/api/v1/audit",
        "/api/v1/org/policies",
        "/api/v1/teams/{team_id}/members/{person_id}",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorCode"].is_object());
}
