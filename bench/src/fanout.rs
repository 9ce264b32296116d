//! Socket fan-out benchmark (not a test): what idle event sockets cost everybody else.
//!
//!   cargo run --release -p kontor-bench --bin fanout-bench -- [--sockets 2000] [--edits 50]
//!
//! The red team opened 2,000 idle sockets as one member and 50 profile edits took 40 times
//! as long, because every event woke every socket and each read the store. On a real server
//! in this process (SQLite, loopback), one person makes `--edits` profile edits, one after
//! another, while one colleague listens; the time until that colleague has heard the last
//! edit is measured
//!
//! 1. with nobody else connected (the baseline);
//! 2. after one member tried to open `--sockets` sockets (the cap keeps the newest few);
//! 3. with `--sockets` sockets of 8 per person in another organisation (wakes nobody here);
//! 4. with `--sockets` sockets of 8 per person in the same organisation, all of whom hear
//!    every edit (the honest cost of fan-out: each wake reads the store once).

use futures_util::StreamExt;
use kontor_proto::api::*;
use kontor_server::clock::SystemClock;
use kontor_server::config::Config;
use kontor_server::server;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

use kontor_bench::api::{Api, Ws};

/// Keeps sockets read (answering pings), and counts the ones the server closed.
fn drain(
    sockets: Vec<Ws>,
) -> (
    tokio::task::JoinSet<()>,
    Arc<std::sync::atomic::AtomicUsize>,
) {
    let closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for mut ws in sockets {
        let closed = closed.clone();
        set.spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if m.is_close() {
                    break;
                }
            }
            closed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
    }
    (set, closed)
}

/// `edits` profile edits by `editor`; returns the time until `listener` (connected afresh,
/// so that nothing from the set-up is waiting in it) heard the last one.
async fn edits(
    api: &Api,
    editor: &SessionCreated,
    listener: &SessionCreated,
    n: usize,
    round: usize,
) -> anyhow::Result<Duration> {
    let mut listener = api
        .socket(&listener.token)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the listener's socket was closed"))?;
    let started = Instant::now();
    let last = format!("Runde {round} Bearbeitung {}", n - 1);
    for i in 0..n {
        let _: Person = api
            .send(
                reqwest::Method::PATCH,
                &editor.token,
                &format!("/people/{}", editor.person.id),
                &ProfilePatch {
                    job_title: Some(format!("Runde {round} Bearbeitung {i}")),
                    ..Default::default()
                },
            )
            .await?;
    }
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(60), listener.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("listener closed"))??;
        if let Message::Text(t) = frame
            && t.contains(&last)
        {
            return Ok(started.elapsed());
        }
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sockets = arg("--sockets", 2000);
    let n = arg("--edits", 50);
    let dir = std::env::temp_dir().join(format!("kontor-fanout-{}", std::process::id()));
    let mut config = Config::for_tests(&dir, None);
    // Every socket here comes from 127.0.0.1: the cap per address is not what is measured.
    config.limits.connections_per_address = 100_000;
    let caps = config.limits.sockets;
    let running = server::start(config, Arc::new(SystemClock)).await?;
    let operator = server::ensure_operator_token(&dir)?;
    let api = Api {
        http: reqwest::Client::new(),
        base: running.url(),
    };
    let people = sockets.div_ceil(8);
    eprintln!(
        "Kontor socket fan-out: {n} profile edits, {sockets} sockets; caps {} per device, {} per person",
        caps.per_device, caps.per_person
    );
    let code = api.org(&operator, "Werk", "anna@werk.example").await?;
    let anna = api.join(&code, "Anna").await?;
    let ben = api
        .invite_and_join(&anna.token, "ben@werk.example", "Ben")
        .await?;
    let mallory = api
        .invite_and_join(&anna.token, "mallory@werk.example", "Mallory")
        .await?;
    // Warm up (first queries, caches).
    edits(&api, &anna, &ben, 5, 0).await?;
    let baseline = edits(&api, &anna, &ben, n, 1).await?;

    // 2. One member tries to pile up sockets.
    let mut piled = Vec::new();
    for _ in 0..sockets {
        if let Some(ws) = api.socket(&mallory.token).await? {
            piled.push(ws);
        }
    }
    let (piled_tasks, piled_closed) = drain(piled);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let piled_open = sockets - piled_closed.load(std::sync::atomic::Ordering::Relaxed);
    let with_piled = edits(&api, &anna, &ben, n, 2).await?;
    drop(piled_tasks);

    // 3. Sockets in another organisation.
    let code = api
        .org(&operator, "Nachbar", "owner@nachbar.example")
        .await?;
    let owner = api.join(&code, "Owner").await?;
    // Everybody joins first: joining wakes the sockets already open, which is not measured.
    let mut there = Vec::new();
    for p in 0..people {
        there.push(
            api.invite_and_join(&owner.token, &format!("p{p}@nachbar.example"), "P")
                .await?,
        );
    }
    let mut elsewhere = Vec::new();
    for s in &there {
        for _ in 0..8.min(sockets - elsewhere.len()) {
            if let Some(ws) = api.socket(&s.token).await? {
                elsewhere.push(ws);
            }
        }
    }
    let elsewhere_count = elsewhere.len();
    let (elsewhere_tasks, _) = drain(elsewhere);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_elsewhere = edits(&api, &anna, &ben, n, 3).await?;
    drop(elsewhere_tasks);

    // 4. The same number of sockets of colleagues, who all hear every edit.
    let mut here = Vec::new();
    for p in 0..people {
        here.push(
            api.invite_and_join(&anna.token, &format!("c{p}@werk.example"), "C")
                .await?,
        );
    }
    let mut colleagues = Vec::new();
    for s in &here {
        for _ in 0..8.min(sockets - colleagues.len()) {
            if let Some(ws) = api.socket(&s.token).await? {
                colleagues.push(ws);
            }
        }
    }
    let colleague_count = colleagues.len();
    let (colleague_tasks, _) = drain(colleagues);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_colleagues = edits(&api, &anna, &ben, n, 4).await?;
    drop(colleague_tasks);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = edits(&api, &anna, &ben, n, 5).await?;
    eprintln!(
        "baseline again, everyone gone: {:.1} ms",
        again.as_secs_f64() * 1000.0
    );

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64();
    println!("{n} profile edits until a colleague heard the last one:");
    println!(
        "  baseline (one listener):                         {:8.1} ms",
        ms(baseline)
    );
    println!(
        "  one member tried {sockets} sockets ({piled_open} kept open): {:8.1} ms  ×{:.2}",
        ms(with_piled),
        ratio(with_piled)
    );
    println!(
        "  {elsewhere_count} sockets in another organisation:      {:8.1} ms  ×{:.2}",
        ms(with_elsewhere),
        ratio(with_elsewhere)
    );
    println!(
        "  {colleague_count} sockets of colleagues who hear it all:   {:8.1} ms  ×{:.2}",
        ms(with_colleagues),
        ratio(with_colleagues)
    );
    running.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
