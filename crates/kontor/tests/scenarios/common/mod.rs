//! The test harness: a real server on 127.0.0.1:0 over a real database (SQLite in a temporary
//! data directory, or a fresh PostgreSQL database when `KONTOR_TEST_DATABASE=postgres`), and
//! the people who use it.
#![allow(dead_code)]

pub mod binary;
pub mod forger;

use kontor_proto::api::*;
use kontor_server::clock::{Clock, SystemClock};
use kontor_server::config::Config;
use kontor_server::server::{self, Running};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

pub const PASSWORD: &str = "Lindenblüte-Kaffeetasse-7";
const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database the tests of this process run on.
pub fn backend() -> &'static str {
    match std::env::var("KONTOR_TEST_DATABASE").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// Makes sure the machine's PostgreSQL runs (starting it if it is stopped) and returns the
/// URL of a new, empty database. Panics if PostgreSQL cannot be had: tests never skip it.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let mut conn = None;
    for attempt in 0..40 {
        match sqlx::PgConnection::connect(PG_ADMIN_URL).await {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(_) if attempt == 0 => {
                let versions = std::fs::read_dir("/etc/postgresql")
                    .map(|d| {
                        d.filter_map(|e| e.ok())
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                for v in versions {
                    let _ = std::process::Command::new("pg_ctlcluster")
                        .args(["--skip-systemctl-redirect", &v, "main", "start"])
                        .status();
                }
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
        }
    }
    let mut conn = conn
        .expect("PostgreSQL at 127.0.0.1:5432 is needed for these tests and could not be started");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Drop databases that earlier, crashed runs left behind (older than an hour).
    let old: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'kontor_test_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    for name in old {
        let created: u64 = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse().ok())
            .unwrap_or(now);
        if created + 3600 < now {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
    let name = format!("kontor_test_{now}_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

/// Drops a database made by [`fresh_postgres_database`].
pub async fn drop_postgres_database(url: &str) {
    use sqlx::Connection;
    let Some(name) = url.rsplit('/').next() else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(PG_ADMIN_URL).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

/// A real server in this process.
pub struct TestServer {
    pub running: Option<Running>,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
    pub operator_token: String,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with_clock(Arc::new(SystemClock)).await
    }

    pub async fn start_with_clock(clock: Arc<dyn Clock>) -> TestServer {
        Self::start_custom(clock, |_| {}).await
    }

    /// Starts a server with a changed configuration.
    pub async fn start_custom(
        clock: Arc<dyn Clock>,
        change: impl FnOnce(&mut Config),
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend() {
            "postgres" => Some(fresh_postgres_database().await),
            _ => None,
        };
        let mut config = Config::for_tests(dir.path(), database_url.clone());
        change(&mut config);
        let running = server::start(config, clock).await.expect("server starts");
        let operator_token = server::ensure_operator_token(dir.path()).unwrap();
        TestServer {
            url: running.url(),
            running: Some(running),
            dir,
            database_url,
            operator_token,
        }
    }

    pub fn state(&self) -> &kontor_server::AppState {
        &self.running.as_ref().unwrap().state
    }

    /// Stops the server and removes its database.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.unwrap();
        }
        if let Some(url) = &self.database_url {
            drop_postgres_database(url).await;
        }
    }

    pub fn anonymous(&self) -> Actor {
        Actor::new(&self.url, None)
    }

    /// Creates an organisation through the operator API.
    pub async fn create_org(&self, name: &str, owner_email: &str) -> CreateOrgResponse {
        let op = Actor::new(&self.url, Some(self.operator_token.clone()));
        op.ok(
            Method::POST,
            "/orgs",
            &CreateOrgRequest {
                name: name.into(),
                owner_email: owner_email.into(),
            },
        )
        .await
    }

    /// A person accepts an invitation code and is logged in on a new device.
    pub async fn join(&self, code: &str, name: &str) -> Actor {
        let created: SessionCreated = self
            .anonymous()
            .ok(
                Method::POST,
                "/invitations/accept",
                &AcceptInvitationRequest {
                    code: code.into(),
                    display_name: name.into(),
                    password: PASSWORD.into(),
                    device: NewDevice {
                        name: format!("{name}'s laptop"),
                        platform: "test".into(),
                    },
                },
            )
            .await;
        Actor::from_session(&self.url, created)
    }

    /// Logs in again as someone, on a new device.
    pub async fn login(&self, org: &str, email: &str) -> Actor {
        let created: SessionCreated = self
            .anonymous()
            .ok(
                Method::POST,
                "/auth/login",
                &LoginRequest {
                    org: org.into(),
                    email: email.into(),
                    password: PASSWORD.into(),
                    device: NewDevice {
                        name: "second device".into(),
                        platform: "test".into(),
                    },
                    known_device: None,
                },
            )
            .await;
        Actor::from_session(&self.url, created)
    }
}

/// Somebody using the API.
#[derive(Clone)]
pub struct Actor {
    pub base: String,
    pub token: Option<String>,
    pub session: Option<SessionCreated>,
    http: reqwest::Client,
}

impl Actor {
    pub fn new(url: &str, token: Option<String>) -> Actor {
        Actor {
            base: format!("{url}/api/v1"),
            token,
            session: None,
            http: reqwest::Client::new(),
        }
    }

    pub fn from_session(url: &str, s: SessionCreated) -> Actor {
        let mut a = Actor::new(url, Some(s.token.clone()));
        a.session = Some(s);
        a
    }

    pub fn id(&self) -> kontor_proto::PersonId {
        self.session.as_ref().unwrap().person.id
    }

    pub fn org(&self) -> kontor_proto::OrgId {
        self.session.as_ref().unwrap().org.id
    }

    pub fn slug(&self) -> String {
        self.session.as_ref().unwrap().org.slug.clone()
    }

    pub fn email(&self) -> String {
        self.session.as_ref().unwrap().person.email.clone()
    }

    /// The credential this device got at its login, for logging in again as a known device.
    pub fn known_device(&self) -> KnownDevice {
        let s = self.session.as_ref().unwrap();
        KnownDevice {
            device_id: s.device.id,
            secret: s.device_secret.clone(),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    /// Sends a JSON request; returns status and body (JSON, or null).
    pub async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> (StatusCode, Value) {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let res = rb.send().await.expect("request");
        let status = res.status();
        let bytes = res.bytes().await.unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    pub async fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path)
    }

    /// A request that must succeed, decoded.
    pub async fn ok<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> T {
        let (status, value) = self.call(method.clone(), path, Some(body)).await;
        assert!(
            status.is_success(),
            "{method} {path} answered {status}: {value}"
        );
        serde_json::from_value(value).expect("decodes")
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, value) = self.call::<()>(Method::GET, path, None).await;
        assert!(status.is_success(), "GET {path} answered {status}: {value}");
        serde_json::from_value(value).expect("decodes")
    }

    /// A request that must fail with this code; returns the status.
    pub async fn fails<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        code: &str,
    ) -> StatusCode {
        let (status, value) = self.call(method.clone(), path, body).await;
        assert_eq!(
            value["error"]["code"], code,
            "{method} {path} answered {status}: {value}"
        );
        status
    }

    /// What this person would send to log in again on a new device.
    pub fn login_request(&self) -> LoginRequest {
        LoginRequest {
            org: self.slug(),
            email: self.email(),
            password: PASSWORD.into(),
            device: NewDevice {
                name: "another device".into(),
                platform: "web".into(),
            },
            known_device: None,
        }
    }

    pub async fn invite(&self, email: &str, role: OrgRole) -> InvitationCreated {
        self.ok(
            Method::POST,
            "/invitations",
            &CreateInvitationRequest {
                email: email.into(),
                role,
                display_name: None,
                team_ids: vec![],
                profile: None,
            },
        )
        .await
    }

    pub async fn events_after(&self, after: u64) -> EventPage {
        self.get(&format!("/events/poll?after={after}")).await
    }
}

/// Anna's organisation with Ben (member) and Chris (guest), and Dora next door in another
/// organisation.
pub struct World {
    pub server: TestServer,
    pub anna: Actor,
    pub ben: Actor,
    pub chris: Actor,
    pub dora: Actor,
}

impl World {
    pub async fn new() -> World {
        Self::with_clock(Arc::new(SystemClock)).await
    }

    /// The same people on a server whose time the test moves.
    pub async fn with_clock(clock: Arc<dyn Clock>) -> World {
        let server = TestServer::start_with_clock(clock).await;
        let org = server
            .create_org("Pflegedienst Sonnenschein", "anna@sonnenschein.example")
            .await;
        let anna = server.join(&org.invitation.code, "Anna Schmidt").await;
        let ben_inv = anna
            .invite("ben@sonnenschein.example", OrgRole::Member)
            .await;
        let ben = server.join(&ben_inv.code, "Ben Becker").await;
        let chris_inv = anna.invite("chris@partner.example", OrgRole::Guest).await;
        let chris = server.join(&chris_inv.code, "Chris Gast").await;
        let next_door = server
            .create_org("Bäckerei Nebenan", "dora@nebenan.example")
            .await;
        let dora = server
            .join(&next_door.invitation.code, "Dora Nachbar")
            .await;
        World {
            server,
            anna,
            ben,
            chris,
            dora,
        }
    }
}

/// A WebSocket on `/api/v1/events`.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the event stream with the `Authorization` header, resuming after `after`.
pub async fn connect_events(server_url: &str, token: &str, after: u64) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/api/v1/events?after={after}",
        server_url.replacen("http", "ws", 1)
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket connects");
    socket
}

/// What the next frame was.
#[derive(Debug)]
pub enum Next {
    Frame(kontor_proto::event::ServerFrame),
    Closed(Option<u16>),
    Timeout,
}

/// Reads the next server frame (skipping pings), waiting at most `wait`.
pub async fn next_frame(socket: &mut Socket, wait: std::time::Duration) -> Next {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return Next::Timeout,
            Ok(None) | Ok(Some(Err(_))) => return Next::Closed(None),
            Ok(Some(Ok(Message::Text(t)))) => {
                return Next::Frame(serde_json::from_str(&t).expect("server frame"));
            }
            Ok(Some(Ok(Message::Close(c)))) => return Next::Closed(c.map(|c| u16::from(c.code))),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Reads events until one matches, failing after `wait`.
pub async fn wait_for_event(
    socket: &mut Socket,
    wait: std::time::Duration,
    mut pred: impl FnMut(&kontor_proto::Event) -> bool,
) -> kontor_proto::Event {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_frame(socket, left).await {
            Next::Frame(kontor_proto::event::ServerFrame::Event { event }) if pred(&event) => {
                return *event;
            }
            Next::Frame(_) => continue,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

impl TestServer {
    /// Stops the server and starts it again on the same address, data and database.
    pub async fn restart(&mut self) {
        self.restart_custom(|_| {}).await
    }

    /// Like [`TestServer::restart`], with a changed configuration.
    pub async fn restart_custom(&mut self, change: impl FnOnce(&mut Config)) {
        let addr = self.running.as_ref().unwrap().addr;
        self.running.take().unwrap().shutdown().await.unwrap();
        self.start_again(addr, change).await;
    }

    /// Starts the server again (after it was shut down) on `addr`, with the same data and
    /// database.
    pub async fn restart_on(&mut self, addr: std::net::SocketAddr) {
        self.start_again(addr, |_| {}).await;
    }

    async fn start_again(&mut self, addr: std::net::SocketAddr, change: impl FnOnce(&mut Config)) {
        let mut config = Config::for_tests(self.dir.path(), self.database_url.clone());
        change(&mut config);
        config.listen = addr;
        self.running = Some(
            server::start(config, Arc::new(SystemClock))
                .await
                .expect("server restarts"),
        );
    }
}

/// One device of a person with its client core; its state lives in its own directory, as
/// the command line keeps it.
pub struct ChatDevice {
    pub home: tempfile::TempDir,
    pub s: kontor_cli::chat::Device,
}

impl ChatDevice {
    /// Sets up the device of a logged-in actor (first device: makes the identity).
    pub async fn of(server_url: &str, actor: &Actor) -> ChatDevice {
        let home = tempfile::tempdir().unwrap();
        let created = actor.session.as_ref().expect("a logged-in actor");
        kontor_cli::profile::save(
            Some(&home.path().to_owned()),
            &kontor_cli::profile::SavedSession {
                server: server_url.to_owned(),
                token: created.token.clone(),
                org: created.org.slug.clone(),
                email: created.person.email.clone(),
                device_id: created.device.id.to_string(),
            },
        )
        .unwrap();
        let s = kontor_cli::chat::Device::open(Some(&home.path().to_owned()))
            .await
            .expect("device opens");
        ChatDevice { home, s }
    }

    /// Opens the device again from its stored state (a restart of the app).
    pub async fn reopen(self) -> ChatDevice {
        let ChatDevice { home, s } = self;
        drop(s);
        let s = kontor_cli::chat::Device::open(Some(&home.path().to_owned()))
            .await
            .expect("device reopens");
        ChatDevice { home, s }
    }

    /// The visible texts of a conversation after syncing.
    pub async fn texts(&mut self, conv: kontor_proto::ConversationId) -> Vec<String> {
        self.s.sync().await.expect("sync");
        self.s
            .core
            .messages(conv)
            .filter(|m| matches!(m.payload(), kontor_proto::payload::Payload::Text { .. }))
            .map(|m| m.text())
            .collect()
    }

    pub async fn say(&mut self, conv: kontor_proto::ConversationId, text: &str) -> u64 {
        self.s
            .send(
                conv,
                &kontor_proto::payload::Payload::Text {
                    text: text.into(),
                    mentions: vec![],
                    reply_to: None,
                    forwarded: false,
                },
            )
            .await
            .expect("send")
            .seq
    }
}

/// Links a second device of `actor` by approval from `first`, comparing the code.
pub async fn link_by_approval(
    server_url: &str,
    actor: &Actor,
    first: &mut ChatDevice,
) -> ChatDevice {
    let server = login_again(server_url, actor).await;
    let mut second = ChatDevice::of(server_url, &server).await;
    assert!(!second.s.is_linked(), "a second device starts unlinked");
    let (_req, code) = second.s.request_link().await.unwrap();
    let requests = first.s.link_requests().await.unwrap();
    let (request, shown) = requests
        .into_iter()
        .find(|(r, _)| r.keys.device_id == second.s.core.device())
        .expect("the request is visible to the first device");
    assert_eq!(shown, code, "both devices show the same code");
    first.s.approve(&request, &code).await.unwrap();
    assert!(second.s.poll_link().await.unwrap());
    assert!(second.s.is_linked());
    second
}

/// Logs the actor in again (a new device) on the server at `url`.
pub async fn login_again(url: &str, actor: &Actor) -> Actor {
    let created: SessionCreated = Actor::new(url, None)
        .ok(
            Method::POST,
            "/auth/login",
            &LoginRequest {
                org: actor.slug(),
                email: actor.email(),
                password: PASSWORD.into(),
                device: NewDevice {
                    name: "second device".into(),
                    platform: "test".into(),
                },
                known_device: None,
            },
        )
        .await;
    Actor::from_session(url, created)
}
