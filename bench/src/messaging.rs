//! Messaging benchmark (not a test): the `kontor` server as its own process on loopback, one
//! WebSocket per device, real MLS ciphertext from the client core, in conversations of 2, 10
//! and 1,000 devices; then Synapse on the same machine with `../shared/bench/matrix_load.py`,
//! and the ratios.
//!
//!   cargo build --release -p kontor-server -p kontor-bench
//!   target/release/messaging-bench [--sequential N] [--pairs N] [--groups N] [--big N]
//!       [--per-sender N] [--big-messages N] [--synapse DIR | --no-synapse]
//!       [--peer-scripts ../shared/bench]
//!
//! What is measured where: senders encrypt with the real client core (one MLS group per
//! conversation; adds, Welcomes and commits go through the delivery service as in the app).
//! Receivers are WebSocket connections that time each pushed message from the moment its
//! send began; one receiver per conversation also joins and decrypts everything, to show that
//! the traffic is real MLS. Server CPU comes from `/proc/<pid>/stat`, memory from `VmRSS`.

use futures_util::{SinkExt, StreamExt};
use kontor_client::Client as Core;
use kontor_proto::api::OrgRole;
use kontor_proto::conversation::{
    ConversationKind, MessagePage, PendingWelcomes, SendMessage, Sent,
};
use kontor_proto::event::ServerFrame;
use kontor_proto::identity::{ClaimKeyPackages, ClaimedKeyPackages, IdentityBundles, OrgKey};
use kontor_proto::payload::Payload;
use kontor_proto::{ClientMsgId, ConversationId, DeviceId, OrgId, PersonId};
use kontor_server::clock::{Clock, SystemClock};
use kontor_server::password::{self, HashCost};
use kontor_server::store::{Acceptance, AuditCtx, NewInvitation, NewSession, Store};
use kontor_server::tokens;

use kontor_bench::api::Api;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    sequential: usize,
    pairs: usize,
    groups: usize,
    big: usize,
    per_sender: usize,
    big_messages: usize,
    synapse: Option<PathBuf>,
    peer_scripts: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        sequential: 2000,
        pairs: 50,
        groups: 10,
        big: 1000,
        per_sender: 100,
        big_messages: 100,
        synapse: Some(std::env::temp_dir().join("kontor-synapse-peer")),
        peer_scripts: PathBuf::from("../shared/bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--sequential" => a.sequential = value()?.parse()?,
            "--pairs" => a.pairs = value()?.parse()?,
            "--groups" => a.groups = value()?.parse()?,
            "--big" => a.big = value()?.parse()?,
            "--per-sender" => a.per_sender = value()?.parse()?,
            "--big-messages" => a.big_messages = value()?.parse()?,
            "--synapse" => a.synapse = Some(PathBuf::from(value()?)),
            "--no-synapse" => a.synapse = None,
            "--peer-scripts" => a.peer_scripts = PathBuf::from(value()?),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

/// One seeded device.
struct Dev {
    user: PersonId,
    token: String,
    core: Core,
}

/// Send start times by client message id, and what receivers saw.
#[derive(Default)]
struct Timing {
    started: Mutex<HashMap<ClientMsgId, Instant>>,
    latencies: Mutex<Vec<f64>>,
    deliveries: AtomicU64,
}

struct Server {
    child: Child,
    pid: u32,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_cpu_s(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|x| x.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    ticks / 100.0
}

fn proc_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn seed(data: &Path, n: usize) -> anyhow::Result<(OrgId, Vec<(PersonId, DeviceId, String)>)> {
    let store = Store::open(&kontor_server::config::sqlite_url(data)).await?;
    let now = SystemClock.now_ms();
    let ctx = AuditCtx {
        actor: None,
        address: None,
        now,
    };
    let hash = password::hash("Lindenblüte-Kaffeetasse-7", HashCost::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let invite = |email: String, role: OrgRole, code: &str| NewInvitation {
        email,
        role,
        display_name: None,
        team_ids: vec![],
        profile: Default::default(),
        code_hash: tokens::hash(tokens::label::INVITATION, code),
        expires_at: now + 86_400_000,
    };
    let accept = |code: &str, i: usize| Acceptance {
        code_hash: tokens::hash(tokens::label::INVITATION, code),
        display_name: format!("Person {i}"),
        password_hash: hash.clone(),
        new_session: NewSession {
            device_name: "bench".into(),
            platform: "bench".into(),
            token_hash: tokens::hash(tokens::label::SESSION, &format!("bench-token-{i}")),
            credential_hash: tokens::hash(
                tokens::label::DEVICE_CREDENTIAL,
                &format!("bench-device-{i}"),
            ),
            expires_at: now + 86_400_000,
        },
        address: None,
    };
    let (org, _) = store
        .create_org(
            "Pflegeverbund Rheinland",
            "pflegeverbund-rheinland",
            &invite("p0@bench.example".into(), OrgRole::Owner, "code-0"),
            &ctx,
        )
        .await?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            store
                .create_invitation(
                    org.id,
                    &invite(
                        format!("p{i}@bench.example"),
                        OrgRole::Member,
                        &format!("code-{i}"),
                    ),
                    &ctx,
                )
                .await?;
        }
        let ids = store
            .accept_invitation(&accept(&format!("code-{i}"), i), now)
            .await?;
        out.push((ids.user, ids.device, format!("bench-token-{i}")));
    }
    store.close().await;
    Ok((org.id, out))
}

fn start_server(bin: &Path, data: &Path, port: u16) -> anyhow::Result<Server> {
    // One device sends thousands of messages a minute here, far past the per-device limits
    // that stop a flood: they are raised so that the figures measure the delivery path.
    let config = data.join("bench.toml");
    std::fs::write(
        &config,
        "[limits]\nmessages_per_minute = 100000000\nmessage_mib_per_minute = 1000000\nsockets_per_person = 100000\nconnections_per_address = 1000000\nconnections_total = 1000000\n",
    )?;
    let child = Command::new(bin)
        .args(["serve", "--data", data.to_str().unwrap_or_default()])
        .args(["--config", config.to_str().unwrap_or_default()])
        .env("KONTOR_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Server { child, pid })
}

/// Makes each device's identity and key packages.
async fn prepare(
    api: &Api,
    org: OrgId,
    seeded: Vec<(PersonId, DeviceId, String)>,
) -> anyhow::Result<Vec<Dev>> {
    let org_key: OrgKey = api.get(&seeded[0].2, "/identity/org-key").await?;
    let mut devs = Vec::with_capacity(seeded.len());
    for (user, device, token) in seeded {
        let mut core = Core::new_device(org, user, device)?;
        core.pin_org_key(&org_key)?;
        let (publish, _) = core.create_identity()?;
        let upload = core.key_packages(2, true)?;
        devs.push((Dev { user, token, core }, publish, upload));
    }
    let results = futures_util::stream::iter(devs.iter().map(|(d, publish, upload)| async move {
        api.send::<_, serde_json::Value>(reqwest::Method::PUT, &d.token, "/identity", publish)
            .await?;
        api.send::<_, serde_json::Value>(reqwest::Method::POST, &d.token, "/key-packages", upload)
            .await?;
        anyhow::Ok(())
    }))
    .buffer_unordered(16)
    .collect::<Vec<_>>()
    .await;
    for r in results {
        r?;
    }
    Ok(devs.into_iter().map(|(d, _, _)| d).collect())
}

/// A conversation made by `members[0]` with every member's device, through the delivery
/// service. Returns its id.
async fn make_conversation(
    api: &Api,
    creator: &mut Dev,
    others: &[PersonId],
    kind: ConversationKind,
) -> anyhow::Result<ConversationId> {
    let body = creator.core.create_conversation(kind)?;
    api.send::<_, serde_json::Value>(
        reqwest::Method::POST,
        &creator.token,
        "/conversations",
        &body,
    )
    .await?;
    for chunk in others.chunks(200) {
        let ids = chunk
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let b: IdentityBundles = api
            .get(&creator.token, &format!("/identity/people?ids={ids}"))
            .await?;
        creator.core.learn(&b.bundles)?;
    }
    let mut claimed = ClaimedKeyPackages {
        key_packages: vec![],
    };
    for chunk in others.chunks(200) {
        let c: ClaimedKeyPackages = api
            .send(
                reqwest::Method::POST,
                &creator.token,
                "/key-packages/claim",
                &ClaimKeyPackages {
                    people: chunk.to_vec(),
                },
            )
            .await?;
        claimed.key_packages.extend(c.key_packages);
    }
    let (commit, refused) = creator.core.add(body.id, others, &claimed)?;
    anyhow::ensure!(refused.is_empty(), "devices refused: {}", refused.len());
    let commit = commit.ok_or_else(|| anyhow::anyhow!("nobody to add"))?;
    let sent: Sent = api
        .send(
            reqwest::Method::POST,
            &creator.token,
            &format!("/conversations/{}/messages", body.id),
            &commit,
        )
        .await?;
    creator
        .core
        .on_sent(body.id, commit.client_msg_id, Ok(&sent))?;
    Ok(body.id)
}

/// One WebSocket per device: counts pushed messages and times them.
async fn receiver(
    base: String,
    token: String,
    timing: Arc<Mutex<Arc<Timing>>>,
    ready: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let url = format!("{}/api/v1/events", base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        serde_json::json!({ "type": "auth", "token": token, "after": u64::MAX })
            .to_string()
            .into(),
    ))
    .await?;
    ready.fetch_add(1, Ordering::Relaxed);
    while let Some(frame) = ws.next().await {
        let tokio_tungstenite::tungstenite::Message::Text(text) = frame? else {
            continue;
        };
        if let Ok(ServerFrame::Message { message }) = serde_json::from_str::<ServerFrame>(&text) {
            let t = timing.lock().map(|t| t.clone()).ok();
            if let Some(t) = t {
                let start = t
                    .started
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&message.client_msg_id).copied());
                if let Some(s) = start {
                    t.deliveries.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut l) = t.latencies.lock() {
                        l.push(s.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Sends `n` messages sequentially from one device; returns send latencies in ms.
async fn send_many(
    api: &Api,
    dev: &mut Dev,
    conv: ConversationId,
    n: usize,
    timing: &Timing,
) -> anyhow::Result<Vec<f64>> {
    let mut lats = Vec::with_capacity(n);
    for i in 0..n {
        let payload = Payload::Text {
            text: format!("Nachricht {i} aus dem Lasttest"),
            mentions: vec![],
            reply_to: None,
            forwarded: false,
        };
        let started = Instant::now();
        let body: SendMessage = dev.core.encrypt(conv, &payload, 0)?;
        if let Ok(mut m) = timing.started.lock() {
            m.insert(body.client_msg_id, started);
        }
        let sent: Sent = api
            .send(
                reqwest::Method::POST,
                &dev.token,
                &format!("/conversations/{conv}/messages"),
                &body,
            )
            .await?;
        dev.core.on_sent(conv, body.client_msg_id, Ok(&sent))?;
        lats.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(lats)
}

/// A receiver that really joins and decrypts: proves the traffic is end-to-end encrypted.
async fn decrypt_all(
    api: &Api,
    dev: &mut Dev,
    conv: ConversationId,
    members: &[PersonId],
) -> anyhow::Result<usize> {
    for chunk in members.chunks(200) {
        let ids = chunk
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let b: IdentityBundles = api
            .get(&dev.token, &format!("/identity/people?ids={ids}"))
            .await?;
        dev.core.learn(&b.bundles)?;
    }
    let w: PendingWelcomes = api.get(&dev.token, "/welcomes").await?;
    let welcome = w
        .welcomes
        .into_iter()
        .find(|w| w.conversation_id == conv)
        .ok_or_else(|| anyhow::anyhow!("no welcome"))?;
    dev.core.join(&welcome)?;
    let mut read = 0;
    loop {
        let after = dev.core.conversation(conv).map_or(0, |c| c.cursor);
        let page: MessagePage = api
            .get(
                &dev.token,
                &format!("/conversations/{conv}/messages?after={after}&limit=1000"),
            )
            .await?;
        if page.messages.is_empty() {
            break;
        }
        for m in &page.messages {
            read += dev.core.receive(m)?.len();
        }
    }
    Ok(read)
}

struct Row {
    name: String,
    devices: usize,
    accepted: usize,
    secs: f64,
    deliveries: u64,
    send_p50: f64,
    send_p99: f64,
    e2e_p50: f64,
    e2e_p99: f64,
    cpu_ms_per_msg: f64,
}

fn print_row(r: &Row) {
    println!(
        "{:<30} {:>7} {:>9} {:>10.0} {:>12.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.3}",
        r.name,
        r.devices,
        r.accepted,
        r.accepted as f64 / r.secs,
        r.deliveries as f64 / r.secs,
        r.send_p50,
        r.send_p99,
        r.e2e_p50,
        r.e2e_p99,
        r.cpu_ms_per_msg
    );
}

async fn phase(
    name: &str,
    api: &Arc<Api>,
    pid: u32,
    current: &Arc<Mutex<Arc<Timing>>>,
    convs: Vec<(ConversationId, Dev)>,
    per_sender: usize,
    devices: usize,
) -> anyhow::Result<(Row, Vec<(ConversationId, Dev)>)> {
    let timing = Arc::new(Timing::default());
    *current.lock().map_err(|_| anyhow::anyhow!("lock"))? = timing.clone();
    let cpu0 = proc_cpu_s(pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (conv, mut dev) in convs {
        let api = api.clone();
        let timing = timing.clone();
        tasks.push(tokio::spawn(async move {
            let lats = send_many(&api, &mut dev, conv, per_sender, &timing).await;
            (conv, dev, lats)
        }));
    }
    let mut send_lats = Vec::new();
    let mut back = Vec::new();
    for t in tasks {
        let (conv, dev, lats) = t.await?;
        send_lats.extend(lats?);
        back.push((conv, dev));
    }
    let accepted = send_lats.len();
    // Let the last pushes arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let secs = started.elapsed().as_secs_f64() - 0.3;
    let cpu = proc_cpu_s(pid) - cpu0;
    send_lats.sort_by(f64::total_cmp);
    let mut e2e = timing
        .latencies
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    e2e.sort_by(f64::total_cmp);
    Ok((
        Row {
            name: name.to_owned(),
            devices,
            accepted,
            secs,
            deliveries: timing.deliveries.load(Ordering::Relaxed),
            send_p50: pct(&send_lats, 50.0),
            send_p99: pct(&send_lats, 99.0),
            e2e_p50: pct(&e2e, 50.0),
            e2e_p99: pct(&e2e, 99.0),
            cpu_ms_per_msg: cpu * 1000.0 / accepted.max(1) as f64,
        },
        back,
    ))
}

fn synapse(a: &Args, count: usize) -> Option<serde_json::Value> {
    let dir = a.synapse.as_ref()?;
    let script = a.peer_scripts.join("synapse-peer.sh");
    let load = a.peer_scripts.join("matrix_load.py");
    if !script.exists() || !load.exists() {
        eprintln!("Synapse skipped: {} not found", script.display());
        return None;
    }
    eprintln!(
        "starting Synapse (installs from PyPI on first use) in {}",
        dir.display()
    );
    // A Synapse left running from an earlier run would hold the port and hide its pid.
    let _ = Command::new("bash")
        .arg(&script)
        .arg("stop")
        .arg(dir)
        .status();
    std::thread::sleep(Duration::from_secs(2));
    let ok = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(dir)
        .status()
        .ok()?
        .success();
    if !ok {
        eprintln!("Synapse did not start");
        return None;
    }
    let secret = std::fs::read_to_string(dir.join("secret")).ok()?;
    let pid = std::fs::read_to_string(dir.join("homeserver.pid")).ok()?;
    let out = dir.join("result.json");
    let status = Command::new("python3")
        .arg(&load)
        .args([
            "--mode",
            "matrix",
            "--base",
            "http://127.0.0.1:8008",
            "--shared-secret",
            secret.trim(),
        ])
        .args([
            "--count",
            &count.to_string(),
            "--max-seconds",
            "60",
            "--deliveries",
            "100",
        ])
        .args(["--concurrency", "8", "--pid", pid.trim(), "--json"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .ok()?;
    let _ = Command::new("bash")
        .arg(&script)
        .arg("stop")
        .arg(dir)
        .status();
    if !status.success() {
        eprintln!("matrix_load.py failed");
        return None;
    }
    serde_json::from_str(&std::fs::read_to_string(out).ok()?).ok()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let bin = std::env::current_exe()?
        .parent()
        .map(|p| p.join("kontor"))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "build the server first: cargo build --release -p kontor-server -p kontor-bench"
            )
        })?;
    let tmp = std::env::temp_dir().join(format!("kontor-messaging-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let people = a.pairs * 2 + a.groups * 10 + a.big + 2;
    eprintln!(
        "seeding {people} people, one device each, in {}",
        tmp.display()
    );
    let (org, seeded) = seed(&tmp, people).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = start_server(&bin, &tmp, port)?;
    let base = format!("http://127.0.0.1:{port}");
    let api = Arc::new(Api {
        http: reqwest::Client::builder().tcp_nodelay(true).build()?,
        base: base.clone(),
    });
    eprintln!("identities and key packages for {people} devices");
    let mut devs = prepare(&api, org, seeded).await?;
    let rss_idle = proc_rss_kb(server.pid);

    // Every device connects.
    let current = Arc::new(Mutex::new(Arc::new(Timing::default())));
    let ready = Arc::new(AtomicU64::new(0));
    for d in &devs {
        tokio::spawn(receiver(
            base.clone(),
            d.token.clone(),
            current.clone(),
            ready.clone(),
        ));
    }
    while ready.load(Ordering::Relaxed) < devs.len() as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = proc_rss_kb(server.pid);
    let per_device_kb = (rss_connected.saturating_sub(rss_idle)) as f64 / devs.len() as f64;

    // Conversations: pairs, groups of 10, one of `big`.
    eprintln!("creating conversations (one of {} devices)", a.big);
    let mut rest = devs.split_off(0).into_iter();
    let mut take = |n: usize| -> Vec<Dev> { (&mut rest).take(n).collect() };
    let mut seq_pair = take(2);
    let seq_other = seq_pair
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no devices"))?;
    let mut seq_sender = seq_pair
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no devices"))?;
    let seq_conv = make_conversation(
        &api,
        &mut seq_sender,
        &[seq_other.user],
        ConversationKind::Direct,
    )
    .await?;
    let mut pairs = Vec::new();
    let mut pair_readers = Vec::new();
    for _ in 0..a.pairs {
        let mut two = take(2);
        let other = two.pop().ok_or_else(|| anyhow::anyhow!("devices"))?;
        let mut creator = two.pop().ok_or_else(|| anyhow::anyhow!("devices"))?;
        let conv =
            make_conversation(&api, &mut creator, &[other.user], ConversationKind::Direct).await?;
        pairs.push((conv, creator));
        pair_readers.push(other);
    }
    let mut groups = Vec::new();
    let mut group_readers = Vec::new();
    for _ in 0..a.groups {
        let mut ten = take(10);
        let mut creator = ten.remove(0);
        let users: Vec<PersonId> = ten.iter().map(|d| d.user).collect();
        let conv = make_conversation(&api, &mut creator, &users, ConversationKind::Group).await?;
        groups.push((conv, creator));
        group_readers.push((conv, users, ten));
    }
    let mut big = take(a.big);
    let mut big_creator = big.remove(0);
    let big_users: Vec<PersonId> = big.iter().map(|d| d.user).collect();
    let big_conv = make_conversation(
        &api,
        &mut big_creator,
        &big_users,
        ConversationKind::Channel,
    )
    .await?;
    let big_creator_user = big_creator.user;
    let _ = rest.len();

    println!();
    println!(
        "{:<30} {:>7} {:>9} {:>10} {:>12} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "Kontor",
        "devices",
        "accepted",
        "accepted/s",
        "deliveries/s",
        "send p50",
        "send p99",
        "e2e p50",
        "e2e p99",
        "cpu ms"
    );
    let (seq_row, _) = phase(
        "sequential, 1 sender, conv of 2",
        &api,
        server.pid,
        &current,
        vec![(seq_conv, seq_sender)],
        a.sequential,
        2,
    )
    .await?;
    print_row(&seq_row);
    let (pair_row, _) = phase(
        &format!("{} convs of 2, parallel", a.pairs),
        &api,
        server.pid,
        &current,
        pairs,
        a.per_sender,
        a.pairs * 2,
    )
    .await?;
    print_row(&pair_row);
    let (group_row, groups_back) = phase(
        &format!("{} convs of 10, parallel", a.groups),
        &api,
        server.pid,
        &current,
        groups,
        a.per_sender,
        a.groups * 10,
    )
    .await?;
    print_row(&group_row);
    let (big_row, _) = phase(
        &format!("1 conv of {}, 1 sender", a.big),
        &api,
        server.pid,
        &current,
        vec![(big_conv, big_creator)],
        a.big_messages,
        a.big,
    )
    .await?;
    print_row(&big_row);
    println!(
        "server memory: {} KiB idle, {} KiB with {} WebSockets: {:.1} KiB per connected device",
        rss_idle, rss_connected, people, per_device_kb
    );

    // Real end-to-end: one reader per kind joins and decrypts everything it was sent.
    let (conv, users, mut readers) = group_readers.remove(0);
    let mut all = users.clone();
    all.push(groups_back[0].1.user);
    let read = decrypt_all(&api, &mut readers[0], conv, &all).await?;
    let mut big_reader = big.remove(0);
    let mut big_all = big_users.clone();
    big_all.push(big_creator_user);
    let big_read = decrypt_all(&api, &mut big_reader, big_conv, &big_all)
        .await
        .unwrap_or(0);
    println!(
        "decrypted by a real member: {read} of {} in a conversation of 10, {big_read} of {} in the conversation of {}",
        a.per_sender, a.big_messages, a.big
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&tmp);

    if let Some(s) = synapse(&a, a.sequential.min(2000)) {
        let seq = &s["sequential"];
        let rate = seq["msgs_per_s"].as_f64().unwrap_or(f64::NAN);
        let p99 = seq["latency"]["p99_ms"].as_f64().unwrap_or(f64::NAN);
        let p50 = seq["latency"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
        let cpu = seq["server_cpu_ms_per_msg"].as_f64().unwrap_or(f64::NAN);
        let seen = &s["delivery"]["send_to_seen"];
        println!();
        println!(
            "Synapse 1.163.2 (SQLite, loopback, matrix_load.py): sequential {rate:.0} msg/s, send p50 {p50:.2} ms, p99 {p99:.2} ms, {cpu:.2} ms CPU/msg, send-to-seen p50 {:.2} ms p99 {:.2} ms",
            seen["p50_ms"].as_f64().unwrap_or(f64::NAN),
            seen["p99_ms"].as_f64().unwrap_or(f64::NAN)
        );
        if let Some(c) = s.get("concurrent") {
            println!(
                "Synapse concurrent (8 clients): {:.0} msg/s",
                c["msgs_per_s"].as_f64().unwrap_or(f64::NAN)
            );
        }
        println!(
            "ratios Kontor/Synapse: sequential rate {:.0}x, send p99 {:.3} of Synapse's, e2e p99 {:.3} of Synapse's send-to-seen, CPU per message {:.3} of Synapse's",
            (seq_row.accepted as f64 / seq_row.secs) / rate,
            seq_row.send_p99 / p99,
            seq_row.e2e_p99 / seen["p99_ms"].as_f64().unwrap_or(f64::NAN),
            seq_row.cpu_ms_per_msg / cpu
        );
    }
    Ok(())
}
