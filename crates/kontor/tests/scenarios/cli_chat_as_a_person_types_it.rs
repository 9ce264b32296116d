//! End-to-end encrypted chat with the `kontor` binary, as people type it: join (the recovery
//! key is shown once), start a group, send, read, tail, members, link a second device by
//! approval and another with the recovery key, remove, leave — with `--json` and exit codes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::binary::{BIN, METRICS_TOKEN, free_port, serve};
const PASSWORD: &str = "Lindenblüte-Kaffeetasse-7";

fn cmd(home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("KONTOR_HOME", home)
        .env("KONTOR_PASSWORD", PASSWORD)
        .env("LANG", "en_US.UTF-8")
        .env_remove("KONTOR_SERVER")
        .env_remove("KONTOR_RECOVERY_KEY");
    c
}

fn kontor(home: &Path, args: &[&str]) -> Output {
    cmd(home, args).output().expect("kontor runs")
}

fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

fn texts(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["payload"]["kind"] == "text")
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every file of the CLI is 0600 in 0700 folders, and the recovery key, shown once, is in none
/// of them any more: not in the store's pages, its free pages or its WAL.
fn device_files_are_private_and_keep_no_recovery_key(home: &Path, recovery_key: &str) {
    let mut stack = vec![home.to_owned()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            files += 1;
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes
                    .windows(recovery_key.len())
                    .any(|w| w == recovery_key.as_bytes()),
                "the recovery key is still in {}",
                p.display()
            );
        }
    }
    assert!(files >= 3, "session, known devices and the device store");
}

/// The server's database and its WAL are 0600 in a 0700 data directory.
fn server_files_are_private(data: &Path) {
    assert_eq!(mode(data), 0o700);
    for name in [
        "kontor.db",
        "kontor.db-wal",
        "kontor.db-shm",
        "operator-token",
    ] {
        let p = data.join(name);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{name}");
        }
    }
    assert!(data.join("kontor.db").exists());
}

#[test]
fn people_chat_end_to_end_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let [anna, anna2, ben, ben2] = ["anna", "anna2", "ben", "ben2"].map(|h| dir.path().join(h));
    let out = json(&kontor(
        &anna,
        &[
            "org",
            "create",
            "Pflegedienst Sonnenschein",
            "--owner",
            "anna@sonnenschein.example",
            "--data",
            data.to_str().unwrap(),
            "--json",
        ],
    ));
    let code = out["invitation"]["code"].as_str().unwrap().to_owned();
    let server = serve(&data, free_port(), None);
    let url = server.url();

    // Joining makes the identity and shows the recovery key once.
    let joined = json(&kontor(
        &anna,
        &[
            "join",
            &code,
            "--server",
            &url,
            "--name",
            "Anna Schmidt",
            "--json",
        ],
    ));
    let anna_recovery = joined["e2ee"]["recovery_key"].as_str().unwrap().to_owned();
    assert!(anna_recovery.len() > 50);
    device_files_are_private_and_keep_no_recovery_key(&anna, &anna_recovery);
    server_files_are_private(&data);
    let inv = json(&kontor(
        &anna,
        &["admin", "invite", "ben@sonnenschein.example", "--json"],
    ));
    let ben_code = inv["code"].as_str().unwrap().to_owned();
    let joined = json(&kontor(
        &ben,
        &[
            "join",
            &ben_code,
            "--server",
            &url,
            "--name",
            "Ben Becker",
            "--json",
        ],
    ));
    let ben_recovery = joined["e2ee"]["recovery_key"].as_str().unwrap().to_owned();

    // A group, a message, reading it on the other side.
    let created = json(&kontor(
        &anna,
        &[
            "chat",
            "new",
            "--group",
            "Station 3",
            "ben@sonnenschein.example",
            "--json",
        ],
    ));
    assert_eq!(created["kind"], "group");
    let sent = json(&kontor(
        &anna,
        &[
            "chat",
            "send",
            "Station 3",
            "Übergabe um **14 Uhr**",
            "--json",
        ],
    ));
    assert!(sent["seq"].as_u64().unwrap() >= 2);
    let read = json(&kontor(&ben, &["chat", "read", "Station 3", "--json"]));
    assert_eq!(texts(&read), vec!["Übergabe um **14 Uhr**"]);
    assert_eq!(read[0]["verified"], true);
    let list = json(&kontor(&ben, &["chat", "list", "--json"]));
    assert_eq!(list[0]["name"], "Station 3");

    // Ben follows live while Anna writes.
    let mut tail = cmd(
        &ben,
        &[
            "chat",
            "tail",
            "Station 3",
            "--count",
            "1",
            "--timeout",
            "30",
            "--json",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_for_sockets(&url, 1);
    json(&kontor(
        &anna,
        &["chat", "send", "Station 3", "Bin unterwegs", "--json"],
    ));
    let mut line = String::new();
    BufReader::new(tail.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(tail.wait().unwrap().success());
    let pushed: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(pushed["text"], "Bin unterwegs");

    // Anna's second device, linked by approval: both show the same code.
    kontor(
        &anna2,
        &[
            "login",
            "--server",
            &url,
            "--org",
            "pflegedienst-sonnenschein",
            "--email",
            "anna@sonnenschein.example",
            "--json",
        ],
    );
    let mut link = cmd(&anna2, &["device", "link", "--wait", "60", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(link.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&first).unwrap();
    let link_code = shown["code"].as_str().unwrap().to_owned();
    let wrong = kontor(&anna, &["device", "approve", "0000-0000"]);
    assert_eq!(wrong.status.code(), Some(5), "no request with that code");
    json(&kontor(&anna, &["device", "approve", &link_code, "--json"]));
    assert!(link.wait().unwrap().success());
    let read = json(&kontor(&anna2, &["chat", "read", "Station 3", "--json"]));
    assert_eq!(
        texts(&read),
        vec!["Übergabe um **14 Uhr**", "Bin unterwegs"],
        "history came along"
    );
    json(&kontor(
        &anna2,
        &["chat", "send", "Station 3", "vom Tablet", "--json"],
    ));

    // Ben's second device, with the recovery key.
    kontor(
        &ben2,
        &[
            "login",
            "--server",
            &url,
            "--org",
            "pflegedienst-sonnenschein",
            "--email",
            "ben@sonnenschein.example",
        ],
    );
    let unlinked = kontor(&ben2, &["chat", "send", "Station 3", "x"]);
    assert_eq!(unlinked.status.code(), Some(2), "not linked yet");
    json(&kontor(
        &ben2,
        &["device", "link", "--recovery-key", &ben_recovery, "--json"],
    ));
    json(&kontor(&ben, &["chat", "sync", "--json"]));
    json(&kontor(&anna, &["chat", "sync", "--json"]));
    json(&kontor(
        &anna,
        &["chat", "send", "Station 3", "für alle Geräte", "--json"],
    ));
    let read = json(&kontor(&ben2, &["chat", "read", "Station 3", "--json"]));
    assert!(
        texts(&read).contains(&"für alle Geräte".to_owned()),
        "{read}"
    );

    let members = json(&kontor(&anna, &["chat", "members", "Station 3", "--json"]));
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["devices"] == 2)
    );
    let numbers: Vec<String> = [
        (&anna, "ben@sonnenschein.example"),
        (&ben, "anna@sonnenschein.example"),
    ]
    .iter()
    .map(|(h, who)| {
        json(&kontor(h, &["safety-number", who, "--json"]))["safety_number"]
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect();
    assert_eq!(numbers[0], numbers[1]);

    // Anna removes Ben: his devices read nothing more.
    json(&kontor(
        &anna,
        &[
            "chat",
            "remove",
            "Station 3",
            "ben@sonnenschein.example",
            "--json",
        ],
    ));
    json(&kontor(
        &anna,
        &["chat", "send", "Station 3", "ohne Ben", "--json"],
    ));
    let read = kontor(&ben, &["chat", "read", "Station 3", "--json"]);
    let seen = String::from_utf8_lossy(&read.stdout);
    assert!(!seen.contains("ohne Ben"));
    // A direct chat, then leaving it.
    json(&kontor(
        &ben,
        &[
            "chat",
            "new",
            "--direct",
            "anna@sonnenschein.example",
            "--json",
        ],
    ));
    let list = json(&kontor(&ben, &["chat", "list", "--json"]));
    let direct = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "direct")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json(&kontor(
        &ben,
        &["chat", "send", &direct, "Tschüss", "--json"],
    ));
    assert!(kontor(&ben, &["chat", "leave", &direct]).status.success());
    let after = kontor(&ben, &["chat", "send", &direct, "noch da?"]);
    assert_eq!(
        after.status.code(),
        Some(5),
        "left: the conversation is gone for Ben"
    );
}

/// Waits until the server has this many live WebSocket connections (a `tail` is listening).
fn wait_for_sockets(url: &str, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    loop {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {METRICS_TOKEN}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        if text.contains(&format!("kontor_websocket_connections {n}\n")) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "no live connection");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ben links a laptop and approves it while Anna follows their chat live (`kontor chat tail`)
/// and Chris is away: neither's chat stops, Anna's tail shows what Ben writes from the laptop,
/// and Chris reads it later.
#[test]
fn a_colleague_linking_a_device_breaks_nobody_s_chat() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let [anna, ben, ben2, chris] = ["anna", "ben", "ben2", "chris"].map(|h| dir.path().join(h));
    let out = json(&kontor(
        &anna,
        &[
            "org",
            "create",
            "Pflegedienst Sonnenschein",
            "--owner",
            "anna@sonnenschein.example",
            "--data",
            data.to_str().unwrap(),
            "--json",
        ],
    ));
    let code = out["invitation"]["code"].as_str().unwrap().to_owned();
    let server = serve(&data, free_port(), None);
    let url = server.url();
    json(&kontor(
        &anna,
        &[
            "join",
            &code,
            "--server",
            &url,
            "--name",
            "Anna Schmidt",
            "--json",
        ],
    ));
    for (home, email, name) in [
        (&ben, "ben@sonnenschein.example", "Ben Becker"),
        (&chris, "chris@sonnenschein.example", "Chris Conrad"),
    ] {
        let inv = json(&kontor(&anna, &["admin", "invite", email, "--json"]));
        let c = inv["code"].as_str().unwrap().to_owned();
        json(&kontor(
            home,
            &["join", &c, "--server", &url, "--name", name, "--json"],
        ));
    }
    json(&kontor(
        &anna,
        &[
            "chat",
            "new",
            "--group",
            "Station 3",
            "ben@sonnenschein.example",
            "chris@sonnenschein.example",
            "--json",
        ],
    ));
    json(&kontor(
        &anna,
        &["chat", "send", "Station 3", "Hallo zusammen", "--json"],
    ));
    for home in [&ben, &chris] {
        let read = json(&kontor(home, &["chat", "read", "Station 3", "--json"]));
        assert_eq!(texts(&read), vec!["Hallo zusammen"]);
    }

    // Anna follows live; Chris is away.
    let mut tail = cmd(
        &anna,
        &[
            "chat",
            "tail",
            "Station 3",
            "--count",
            "1",
            "--timeout",
            "60",
            "--json",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for_sockets(&url, 1);

    // Ben logs in on his laptop and approves it on his phone.
    kontor(
        &ben2,
        &[
            "login",
            "--server",
            &url,
            "--org",
            "pflegedienst-sonnenschein",
            "--email",
            "ben@sonnenschein.example",
            "--json",
        ],
    );
    let mut link = cmd(&ben2, &["device", "link", "--wait", "60", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(link.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&first).unwrap();
    json(&kontor(
        &ben,
        &[
            "device",
            "approve",
            shown["code"].as_str().unwrap(),
            "--json",
        ],
    ));
    assert!(link.wait().unwrap().success());
    json(&kontor(
        &ben2,
        &["chat", "send", "Station 3", "vom Laptop", "--json"],
    ));

    // Anna's live chat got it, and did not stop.
    let mut line = String::new();
    BufReader::new(tail.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let out = tail.wait_with_output().unwrap();
    assert!(out.status.success());
    let pushed: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(pushed["text"], "vom Laptop");
    assert_eq!(pushed["verified"], true);
    for home in [&anna, &chris] {
        let read = kontor(home, &["chat", "read", "Station 3", "--json"]);
        let stderr = String::from_utf8_lossy(&read.stderr).into_owned();
        assert!(!stderr.contains('⚠'), "stopped: {stderr}");
        assert_eq!(texts(&json(&read)), vec!["Hallo zusammen", "vom Laptop"]);
        let list = json(&kontor(home, &["chat", "list", "--json"]));
        assert_eq!(list[0]["stopped"], serde_json::Value::Null);
    }
    json(&kontor(
        &anna,
        &["chat", "send", "Station 3", "Willkommen, Laptop", "--json"],
    ));
    let read = json(&kontor(&ben2, &["chat", "read", "Station 3", "--json"]));
    assert!(texts(&read).contains(&"Willkommen, Laptop".to_owned()));
}
