//! Directory benchmark (not a test): a directory of 10,000 people in 500 teams on a real
//! server over loopback; prints search latency percentiles and logins per second.
//!
//!   cargo run --release -p kontor-bench --bin directory-bench -- [--people N] [--teams N]
//!       [--searches N] [--logins N] [--data DIR | --database postgres://…]
//!
//! People are seeded through the store (invitation + acceptance, the same transactions the
//! API runs) with one precomputed argon2id hash at the server's default cost, so that logins
//! measure the real password check.

use kontor_proto::api::*;
use kontor_server::clock::{Clock, SystemClock};
use kontor_server::config::Config;
use kontor_server::password::{self, HashCost};
use kontor_server::store::{Acceptance, AuditCtx, NewInvitation, NewSession, NewTeam, Store};
use kontor_server::{server, tokens};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ilse", "Jürgen", "Katrin",
    "Lukas", "Marie", "Niklas", "Olga", "Paul", "Renée", "Sophie", "Tobias", "Ute", "Volker",
    "Wiebke", "Yusuf", "Zoë", "Ömer", "Ärzte", "Leonie", "Mehmet", "Fatma", "Sören",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Özdemir",
    "Yılmaz",
    "Kaya",
    "Nowak",
    "Weiß",
];
const SKILLS: &[&str] = &[
    "Wundversorgung",
    "Palliativpflege",
    "Diabetesberatung",
    "Demenzbetreuung",
    "Intensivpflege",
    "Kinderkrankenpflege",
    "Hygiene",
    "Medikamentengabe",
    "Erste Hilfe",
    "Gerontopsychiatrie",
    "Buchhaltung",
    "Lohnabrechnung",
    "Dienstplanung",
    "Qualitätsmanagement",
    "IT-Support",
    "Datenschutz",
    "Einkauf",
    "Fuhrpark",
    "Schulung",
    "Beschwerdemanagement",
    "Physiotherapie",
    "Ergotherapie",
    "Logopädie",
    "Sozialberatung",
    "Ernährungsberatung",
    "Atemtherapie",
    "Stomaversorgung",
    "Kinästhetik",
    "Basale Stimulation",
    "Aromapflege",
];
const LANGS: &[&str] = &[
    "Deutsch",
    "Englisch",
    "Türkisch",
    "Polnisch",
    "Russisch",
    "Arabisch",
    "Französisch",
    "Italienisch",
];
const PLACES: &[&str] = &[
    "Köln",
    "Bonn",
    "Düsseldorf",
    "Essen",
    "Dortmund",
    "Münster",
    "Aachen",
    "Wuppertal",
    "Bochum",
    "Bielefeld",
    "Leverkusen",
    "Neuss",
    "Krefeld",
    "Mönchengladbach",
    "Gelsenkirchen",
    "Siegen",
];
const KINDS: [TeamKind; 6] = [
    TeamKind::Department,
    TeamKind::Project,
    TeamKind::Site,
    TeamKind::Region,
    TeamKind::Patient,
    TeamKind::Group,
];
const PASSWORD: &str = "Lindenblüte-Kaffeetasse-7";

/// A small deterministic generator, so every run seeds the same directory.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Args {
    people: usize,
    teams: usize,
    searches: usize,
    logins: usize,
    data: Option<std::path::PathBuf>,
    database: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        people: 10_000,
        teams: 500,
        searches: 2_000,
        logins: 200,
        data: None,
        database: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--people" => a.people = value()?.parse()?,
            "--teams" => a.teams = value()?.parse()?,
            "--searches" => a.searches = value()?.parse()?,
            "--logins" => a.logins = value()?.parse()?,
            "--data" => a.data = Some(value()?.into()),
            "--database" => a.database = Some(value()?),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn seed(
    store: &Store,
    a: &Args,
    rng: &mut Rng,
) -> anyhow::Result<(String, Vec<String>, Vec<kontor_proto::TeamId>)> {
    let now = SystemClock.now_ms();
    let ctx = AuditCtx {
        actor: None,
        address: None,
        now,
    };
    let hash = password::hash(PASSWORD, HashCost::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let invite = |email: String,
                  role: OrgRole,
                  code: &str,
                  teams: Vec<kontor_proto::TeamId>,
                  profile: ProfilePatch| NewInvitation {
        email,
        role,
        display_name: None,
        team_ids: teams,
        profile,
        code_hash: tokens::hash(tokens::label::INVITATION, code),
        expires_at: now + 86_400_000,
    };
    let accept = |code: &str, name: String, i: usize| Acceptance {
        code_hash: tokens::hash(tokens::label::INVITATION, code),
        display_name: name,
        password_hash: hash.clone(),
        new_session: NewSession {
            device_name: "seed".into(),
            platform: "bench".into(),
            token_hash: tokens::hash(tokens::label::SESSION, &format!("seed-{i}")),
            credential_hash: tokens::hash(tokens::label::DEVICE_CREDENTIAL, &format!("seed-{i}")),
            expires_at: now + 86_400_000,
        },
        address: None,
    };
    let (org, _) = store
        .create_org(
            "Pflegeverbund Rheinland",
            "pflegeverbund-rheinland",
            &invite(
                "admin@bench.example".into(),
                OrgRole::Owner,
                "owner",
                vec![],
                Default::default(),
            ),
            &ctx,
        )
        .await?;
    store
        .accept_invitation(&accept("owner", "Admin".into(), usize::MAX), now)
        .await?;
    let started = Instant::now();
    let mut teams = Vec::with_capacity(a.teams);
    for t in 0..a.teams {
        let kind = KINDS[t % KINDS.len()];
        let parent = if t >= 50 && !teams.is_empty() {
            Some(teams[rng.below(teams.len().min(50))])
        } else {
            None
        };
        let name = format!(
            "{} {} {t}",
            match kind {
                TeamKind::Department => "Abteilung",
                TeamKind::Project => "Projekt",
                TeamKind::Site => "Standort",
                TeamKind::Region => "Region",
                TeamKind::Patient => "Klient",
                TeamKind::Group => "Gruppe",
            },
            rng.pick(PLACES)
        );
        teams.push(
            store
                .create_team(
                    org.id,
                    &NewTeam {
                        name,
                        kind,
                        parent_id: parent,
                        description: String::new(),
                    },
                    &ctx,
                )
                .await?
                .id,
        );
    }
    let mut emails = Vec::with_capacity(a.people);
    for i in 0..a.people {
        let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
        let email = format!("p{i}@bench.example");
        let code = format!("code-{i}");
        let mut skills: Vec<String> = (0..1 + rng.below(3))
            .map(|_| rng.pick(SKILLS).to_owned())
            .collect();
        skills.dedup();
        let mut langs = vec!["Deutsch".to_owned()];
        if rng.below(3) == 0 {
            langs.push(rng.pick(LANGS).to_owned());
        }
        langs.dedup();
        let mut member_of: Vec<_> = (0..1 + rng.below(3))
            .map(|_| teams[rng.below(teams.len())])
            .collect();
        member_of.sort();
        member_of.dedup();
        let profile = ProfilePatch {
            display_name: None,
            job_title: Some(
                [
                    "Pflegefachkraft",
                    "Pflegehelfer/in",
                    "Teamleitung",
                    "Verwaltung",
                    "Therapeut/in",
                ][rng.below(5)]
                .into(),
            ),
            competences: Some(skills),
            languages: Some(langs),
            location: Some(rng.pick(PLACES).into()),
            phone_extension: Some(format!("{}", 1000 + i)),
        };
        store
            .create_invitation(
                org.id,
                &invite(email.clone(), OrgRole::Member, &code, member_of, profile),
                &ctx,
            )
            .await?;
        store
            .accept_invitation(&accept(&code, format!("{first} {last}"), i), now)
            .await?;
        emails.push(email);
        if (i + 1) % 2000 == 0 {
            eprintln!(
                "  seeded {} people ({:.0} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok((org.slug, emails, teams))
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    org: &str,
    email: &str,
) -> anyhow::Result<SessionCreated> {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&LoginRequest {
            org: org.into(),
            email: email.into(),
            password: PASSWORD.into(),
            device: NewDevice {
                name: "bench".into(),
                platform: "bench".into(),
            },
            known_device: None,
        })
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "login answered {}", res.status());
    Ok(res.json().await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let tmp = tempfile_dir(a.data.clone())?;
    let mut config = Config::for_tests(&tmp, a.database.clone());
    config.hash_cost = HashCost::default();
    eprintln!(
        "Kontor directory benchmark: {} people, {} teams, data in {} ({})",
        a.people,
        a.teams,
        tmp.display(),
        if a.database.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    let running = server::start(config, Arc::new(SystemClock)).await?;
    let base = running.url();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let seed_started = Instant::now();
    let (org, emails, teams) = seed(running.state.store(), &a, &mut rng).await?;
    let seed_secs = seed_started.elapsed().as_secs_f64();
    let http = reqwest::Client::new();
    let me = login(&http, &base, &org, &emails[0]).await?;

    // Baseline: the cheapest authenticated request.
    let mut baseline = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let res = http
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&me.token)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success());
        res.bytes().await?;
        baseline.push(t.elapsed());
    }
    baseline.sort();

    // Search latency, sequential, one keep-alive connection.
    let mut kinds: Vec<(&str, Vec<Duration>)> = Vec::new();
    let queries: Vec<(&str, String)> = (0..a.searches)
        .map(|i| match i % 6 {
            0 => (
                "name",
                format!(
                    "q={}",
                    enc(&format!("{} {}", rng.pick(FIRST), rng.pick(LAST)))
                ),
            ),
            1 => ("competence", format!("q={}", enc(rng.pick(SKILLS)))),
            2 => (
                "prefix",
                format!(
                    "q={}",
                    enc(&rng.pick(LAST).chars().take(3).collect::<String>())
                ),
            ),
            3 => (
                "team filter",
                format!("team={}", teams[rng.below(teams.len().min(50))]),
            ),
            4 => (
                "facets",
                format!(
                    "competence={}&location={}",
                    enc(rng.pick(SKILLS)),
                    enc(rng.pick(PLACES))
                ),
            ),
            _ => ("first page", "limit=50".to_owned()),
        })
        .collect();
    let mut all = Vec::with_capacity(queries.len());
    let mut hits = 0u64;
    for (kind, q) in &queries {
        let t = Instant::now();
        let res = http
            .get(format!("{base}/api/v1/directory?{q}"))
            .bearer_auth(&me.token)
            .send()
            .await?;
        anyhow::ensure!(
            res.status().is_success(),
            "search answered {}",
            res.status()
        );
        let page: DirectoryPage = res.json().await?;
        let took = t.elapsed();
        hits += page.total;
        all.push(took);
        match kinds.iter_mut().find(|(k, _)| k == kind) {
            Some((_, v)) => v.push(took),
            None => kinds.push((kind, vec![took])),
        }
    }
    all.sort();
    // Concurrent searches: 8 clients.
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..8 {
        let (http, base, token) = (http.clone(), base.clone(), me.token.clone());
        let qs: Vec<String> = queries
            .iter()
            .skip(c)
            .step_by(8)
            .map(|(_, q)| q.clone())
            .collect();
        tasks.push(tokio::spawn(async move {
            for q in qs {
                let res = http
                    .get(format!("{base}/api/v1/directory?{q}"))
                    .bearer_auth(&token)
                    .send()
                    .await?;
                anyhow::ensure!(res.status().is_success());
                res.bytes().await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let concurrent_rate = queries.len() as f64 / t.elapsed().as_secs_f64();

    // Logins per second: 8 concurrent clients, distinct people, real argon2id at default cost.
    let t = Instant::now();
    let mut tasks = Vec::new();
    let per = a.logins.div_ceil(8);
    for c in 0..8 {
        let (http, base, org) = (http.clone(), base.clone(), org.clone());
        let mine: Vec<String> = emails.iter().skip(1 + c * per).take(per).cloned().collect();
        tasks.push(tokio::spawn(async move {
            for e in mine {
                login(&http, &base, &org, &e).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let login_rate = (per * 8) as f64 / t.elapsed().as_secs_f64();

    println!();
    println!(
        "Kontor directory benchmark ({} people, {} teams, {}, loopback, {} cores)",
        a.people,
        a.teams,
        running.state.store().backend_name(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("  seeding                        {seed_secs:.1} s");
    println!(
        "  GET /me (baseline)             p50 {}   p99 {}",
        ms(percentile(&baseline, 0.50)),
        ms(percentile(&baseline, 0.99))
    );
    println!(
        "  search, sequential ({} requests, {:.1} hits/query)",
        all.len(),
        hits as f64 / all.len().max(1) as f64
    );
    println!(
        "    all queries                  p50 {}   p99 {}   max {}",
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap_or(&Duration::ZERO))
    );
    for (kind, mut v) in kinds {
        v.sort();
        println!(
            "    {kind:<28} p50 {}   p99 {}",
            ms(percentile(&v, 0.50)),
            ms(percentile(&v, 0.99))
        );
    }
    println!("  search, 8 concurrent clients   {concurrent_rate:.0} searches/s");
    println!(
        "  logins, 8 concurrent clients   {login_rate:.1} logins/s (argon2id m={} KiB, t={})",
        HashCost::default().memory_kib,
        HashCost::default().iterations
    );
    running.shutdown().await?;
    if a.data.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The data directory: the one given, or a fresh one in /dev/shm (or the temp dir).
fn tempfile_dir(given: Option<std::path::PathBuf>) -> anyhow::Result<std::path::PathBuf> {
    if let Some(d) = given {
        std::fs::create_dir_all(&d)?;
        return Ok(d);
    }
    let root = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = root.join(format!("kontor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
