//! The API over HTTP for the benchmarks: a bearer token, JSON in and out, any failure an
//! error that says which path answered what.

use futures_util::{SinkExt, StreamExt};
use kontor_proto::api::*;
use kontor_proto::event::ServerFrame;
use tokio_tungstenite::tungstenite::Message;

/// The password of everybody the benchmarks make through the API.
pub const PASSWORD: &str = "Benchmark-Passwort-Lindenblüte-1";

/// An event socket.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server's `/api/v1`.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> anyhow::Result<T> {
        let res = self
            .http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "GET {path}: {}", res.status());
        Ok(res.json().await?)
    }
    pub async fn send<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let res = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "{path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// Organisations, people and event sockets, as a person sets them up.
impl Api {
    pub async fn org(&self, operator: &str, name: &str, owner: &str) -> anyhow::Result<String> {
        let made: CreateOrgResponse = self
            .send(
                reqwest::Method::POST,
                operator,
                "/orgs",
                &CreateOrgRequest {
                    name: name.into(),
                    owner_email: owner.into(),
                },
            )
            .await?;
        Ok(made.invitation.code)
    }

    pub async fn join(&self, code: &str, name: &str) -> anyhow::Result<SessionCreated> {
        self.send(
            reqwest::Method::POST,
            "",
            "/invitations/accept",
            &AcceptInvitationRequest {
                code: code.into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                device: NewDevice {
                    name: "bench".into(),
                    platform: "bench".into(),
                },
            },
        )
        .await
    }

    pub async fn invite_and_join(
        &self,
        admin: &str,
        email: &str,
        name: &str,
    ) -> anyhow::Result<SessionCreated> {
        let inv: InvitationCreated = self
            .send(
                reqwest::Method::POST,
                admin,
                "/invitations",
                &CreateInvitationRequest {
                    email: email.into(),
                    role: OrgRole::Member,
                    display_name: None,
                    team_ids: vec![],
                    profile: None,
                },
            )
            .await?;
        self.join(&inv.code, name).await
    }

    /// Opens an event socket and waits for `ready`; `None` if the server closed it.
    pub async fn socket(&self, token: &str) -> anyhow::Result<Option<Ws>> {
        let url = format!(
            "{}/api/v1/events?after={}",
            self.base.replacen("http", "ws", 1),
            u64::MAX
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
        ws.send(Message::text(
            serde_json::json!({ "type": "auth", "token": token }).to_string(),
        ))
        .await?;
        while let Some(frame) = ws.next().await {
            if let Message::Text(t) = frame?
                && matches!(
                    serde_json::from_str::<ServerFrame>(&t)?,
                    ServerFrame::Ready { .. }
                )
            {
                return Ok(Some(ws));
            }
        }
        Ok(None)
    }
}
