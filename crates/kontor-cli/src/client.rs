//! A small HTTP client for the Kontor API.

use crate::CliError;
use kontor_proto::ErrorBody;
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The API at one server, with an optional bearer token.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(server: &str, token: Option<String>) -> Self {
        Client {
            base: format!(
                "{}{}",
                server.trim_end_matches('/'),
                kontor_proto::API_PREFIX
            ),
            token,
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let lang = match crate::lang() {
            kontor_proto::error::Lang::De => "de",
            kontor_proto::error::Lang::En => "en",
        };
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("accept-language", lang);
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    async fn send<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T, CliError> {
        let res = rb.send().await.map_err(|e| {
            CliError::unavailable(format!("cannot reach the server ({})", e.without_url()))
        })?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| CliError::unavailable(e.without_url()))?;
        if status.is_success() {
            let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            serde_json::from_slice(bytes)
                .map_err(|e| CliError::other(format!("unexpected answer: {e}")))
        } else {
            match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => Err(CliError::api(body)),
                Err(_) => Err(CliError::unavailable(format!("server answered {status}"))),
            }
        }
    }

    /// One request with an optional JSON body; every answer is `Ok` with its status, `Err`
    /// only when none came. For the client session, which reads answers itself.
    pub async fn raw(
        &self,
        method: kontor_client::device::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<kontor_client::device::Answer, String> {
        let method = match method {
            kontor_client::device::Method::Get => Method::GET,
            kontor_client::device::Method::Post => Method::POST,
            kontor_client::device::Method::Put => Method::PUT,
            kontor_client::device::Method::Patch => Method::PATCH,
            kontor_client::device::Method::Delete => Method::DELETE,
        };
        let mut rb = self.request(method, path);
        if let Some(body) = body {
            rb = rb.header("content-type", "application/json").body(body);
        }
        let res = rb.send().await.map_err(|e| e.without_url().to_string())?;
        let status = res.status().as_u16();
        let body = res.bytes().await.map_err(|e| e.without_url().to_string())?;
        Ok(kontor_client::device::Answer {
            status,
            body: body.to_vec(),
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        self.send(self.request(Method::GET, path)).await
    }
    pub async fn get_query<T: DeserializeOwned, Q: Serialize>(
        &self,
        path: &str,
        q: &Q,
    ) -> Result<T, CliError> {
        self.send(self.request(Method::GET, path).query(q)).await
    }
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }
    pub async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        self.send(self.request(Method::POST, path)).await
    }
    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        self.send(self.request(Method::PATCH, path).json(body))
            .await
    }
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        self.send(self.request(Method::PUT, path).json(body)).await
    }
    pub async fn put_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: Vec<u8>,
    ) -> Result<T, CliError> {
        self.send(
            self.request(Method::PUT, path)
                .header("content-type", "application/octet-stream")
                .body(bytes),
        )
        .await
    }
    pub async fn post_text<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        text: String,
    ) -> Result<T, CliError> {
        self.send(
            self.request(Method::POST, path)
                .header("content-type", content_type)
                .body(text),
        )
        .await
    }
    pub async fn delete(&self, path: &str) -> Result<(), CliError> {
        self.send::<serde_json::Value>(self.request(Method::DELETE, path))
            .await
            .map(|_| ())
    }
}
