//! The browser's bindings to the client device: `kontor-client` compiled to wasm32, driven
//! from the web app through wasm-bindgen.
//!
//! This layer only converts (the libsignal bridge rule): JavaScript values in, JSON views
//! out, errors as `KontorError`s. Every decision — what to trust, when to persist, how to
//! retry — is made in [`kontor_client::Device`] and [`kontor_client::Client`], the same code
//! the command line runs. The page plugs in a [`JsHost`]: `fetch` to the server and one
//! IndexedDB transaction per commit.
//!
//! ```text
//!  web app (TypeScript) ── Device.* ──► kontor_client::Device<WebHost> ──► Client (openmls)
//!        ▲   host.request / host.commit ◄──┘
//!        └── JSON views (types generated from kontor-client::view)
//! ```
//!
//! Calls are serialised by an async mutex: the app may call while a sync is running; the
//! call then waits its turn instead of touching state in use.

use futures_util::lock::Mutex;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use kontor_client::device::{Answer, Host, Method};
use kontor_client::view::UpdateView;
use kontor_client::{Changes, DeviceError, Update};
use kontor_proto::conversation::{ConversationKind, ConversationRole};
use kontor_proto::event::ServerFrame;
use kontor_proto::{ClientMsgId, ConversationId, DeviceId, PersonId};
use serde::Serialize;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

#[wasm_bindgen(typescript_custom_section)]
const HOST_TS: &str = r#"
/** What the page plugs into a device. */
export interface WasmHost {
  /** One API request (path below /api/v1); resolves with every answer, rejects when none came. */
  request(method: string, path: string, body: string | undefined): Promise<{ status: number; body: string }>;
  /** Writes [key, value | null] pairs in one IndexedDB transaction. */
  commit(changes: Array<[string, Uint8Array | null]>): Promise<void>;
  sleep(ms: number): Promise<void>;
  now(): number;
  report(note: string): void;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The page's side of a device.
    #[wasm_bindgen(typescript_type = "WasmHost")]
    pub type JsHost;

    #[wasm_bindgen(method, catch)]
    fn request(
        this: &JsHost,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn commit(this: &JsHost, changes: Array) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method)]
    fn sleep(this: &JsHost, ms: f64) -> Promise;

    #[wasm_bindgen(method)]
    fn now(this: &JsHost) -> f64;

    #[wasm_bindgen(method)]
    fn report(this: &JsHost, note: &str);
}

/// [`Host`] over the page's [`JsHost`].
pub struct WebHost(JsHost);

fn js_text(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| {
            v.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "failed".into())
}

impl Host for WebHost {
    async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Answer, String> {
        let promise = self
            .0
            .request(method.as_str(), path, body)
            .map_err(|e| js_text(&e))?;
        let answer = JsFuture::from(promise).await.map_err(|e| js_text(&e))?;
        let status = Reflect::get(&answer, &"status".into())
            .ok()
            .and_then(|s| s.as_f64())
            .ok_or("no status")?;
        let body = Reflect::get(&answer, &"body".into())
            .ok()
            .and_then(|b| b.as_string())
            .unwrap_or_default();
        Ok(Answer {
            status: status as u16,
            body: body.into_bytes(),
        })
    }

    async fn commit(&mut self, changes: Changes) -> Result<(), String> {
        let list = Array::new();
        for (key, value) in &changes {
            let pair = Array::new();
            pair.push(&JsValue::from_str(key));
            match value {
                Some(v) => pair.push(&Uint8Array::from(v.as_slice())),
                None => pair.push(&JsValue::NULL),
            };
            list.push(&pair);
        }
        let promise = self.0.commit(list).map_err(|e| js_text(&e))?;
        JsFuture::from(promise)
            .await
            .map(|_| ())
            .map_err(|e| js_text(&e))
    }

    async fn sleep(&mut self, ms: u64) {
        let _ = JsFuture::from(self.0.sleep(ms as f64)).await;
    }

    fn now_ms(&self) -> i64 {
        self.0.now() as i64
    }

    fn report(&mut self, note: &str) {
        self.0.report(note);
    }
}

/// A `KontorError` for the page: `kind` says what failed, `code` is the API's error code
/// when the server refused, `message` the server's sentence or the core's reason.
fn error(e: DeviceError) -> JsValue {
    let kind = serde_json::to_value(e.kind()).ok();
    let code = e.code().and_then(|c| serde_json::to_value(c).ok());
    let cause = match &e {
        DeviceError::Queued(inner) => inner.as_ref(),
        other => other,
    };
    let message = match cause {
        DeviceError::Api(body) => body.error.message.clone(),
        other => other.to_string(),
    };
    let err = js_sys::Error::new(&message);
    err.set_name("KontorError");
    if let Some(kind) = kind.as_ref().and_then(|k| k.as_str()) {
        let _ = Reflect::set(&err, &"kind".into(), &kind.into());
    }
    let _ = Reflect::set(&err, &"kept".into(), &e.kept().into());
    if let Some(code) = code.and_then(|c| c.as_str().map(str::to_owned)) {
        let _ = Reflect::set(&err, &"code".into(), &code.into());
    }
    err.into()
}

fn invalid(what: &str) -> JsValue {
    let err = js_sys::Error::new(&format!("invalid {what}"));
    err.set_name("KontorError");
    let kind = serde_json::to_value(kontor_client::device::ErrorKind::Invalid).ok();
    if let Some(kind) = kind.as_ref().and_then(|k| k.as_str()) {
        let _ = Reflect::set(&err, &"kind".into(), &kind.into());
    }
    err.into()
}

fn to_json<T: Serialize>(v: &T) -> JsValue {
    serde_json::to_string(v)
        .map(|s| JsValue::from_str(&s))
        .unwrap_or(JsValue::NULL)
}

fn updates(u: &[Update]) -> JsValue {
    to_json(&u.iter().map(UpdateView::from).collect::<Vec<_>>())
}

fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, JsValue> {
    s.parse().map_err(|_| invalid(what))
}

fn people(list: &[String]) -> Result<Vec<PersonId>, JsValue> {
    list.iter().map(|p| parse(p, "person")).collect()
}

/// One device of the person using the page.
#[wasm_bindgen]
pub struct Device {
    inner: Rc<Mutex<kontor_client::Device<WebHost>>>,
}

type Shared = Rc<Mutex<kontor_client::Device<WebHost>>>;

impl Device {
    /// Runs `f` on the device once it is this call's turn.
    fn with<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(Shared) -> Fut,
        Fut: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        future_to_promise(f(self.inner.clone()))
    }
}

#[wasm_bindgen]
impl Device {
    /// Opens the device from its stored `[key, value]` entries (none: a new device, set up on
    /// the server now). Resolves to the device.
    pub async fn open(host: JsHost, entries: Array) -> Result<Device, JsValue> {
        let mut list = Vec::with_capacity(entries.length() as usize);
        for pair in entries.iter() {
            let pair = Array::from(&pair);
            let key = pair.get(0).as_string().ok_or_else(|| invalid("entry"))?;
            let value = Uint8Array::new(&pair.get(1)).to_vec();
            list.push((key, value));
        }
        let device = kontor_client::Device::open(WebHost(host), list)
            .await
            .map_err(error)?;
        Ok(Device {
            inner: Rc::new(Mutex::new(device)),
        })
    }

    /// Who this device is: `{ org, user, device, linked, has_identity, identity_conflict }`
    /// (JSON).
    pub fn info(&self) -> Promise {
        self.with(|s| async move {
            let s = s.lock().await;
            Ok(to_json(&serde_json::json!({
                "org": s.core.org(),
                "user": s.core.user(),
                "device": s.core.device(),
                "linked": s.is_linked(),
                "has_identity": s.core.has_identity(),
                "identity_conflict": s.identity_conflict,
            })))
        })
    }

    /// The recovery key this device made, until the person confirms they kept it.
    pub fn recovery_key(&self) -> Promise {
        self.with(|s| async move {
            let s = s.lock().await;
            Ok(s.core
                .pending_recovery_key()
                .map_or(JsValue::NULL, JsValue::from_str))
        })
    }

    /// The person kept the recovery key: this device forgets it.
    pub fn recovery_key_kept(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            s.core.recovery_key_kept();
            s.persist().await.map_err(error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Every conversation, newest activity first (`ConversationView[]` as JSON).
    pub fn conversations(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            Ok(to_json(&s.core.conversation_views()))
        })
    }

    /// One conversation (`ConversationView` or null, JSON).
    pub fn conversation(&self, conv: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let mut s = s.lock().await;
            Ok(to_json(&s.core.conversation_view(conv)))
        })
    }

    /// Timeline messages before `before` (the newest when absent), oldest first
    /// (`TimelinePage`, JSON).
    pub fn timeline(&self, conv: String, before: Option<f64>, limit: u32) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let s = s.lock().await;
            Ok(to_json(&s.core.timeline(
                conv,
                before.map(|b| b as u64),
                limit as usize,
            )))
        })
    }

    /// One message (`MessageView` or null, JSON).
    pub fn message(&self, conv: String, seq: f64) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let s = s.lock().await;
            Ok(to_json(&s.core.message_view(conv, seq as u64)))
        })
    }

    /// Searches the history on this device, in one conversation or every one (`conv`
    /// absent): newest first, at most `limit` (`SearchResults`, JSON).
    pub fn search(&self, query: String, conv: Option<String>, limit: u32) -> Promise {
        self.with(move |s| async move {
            let conv: Option<ConversationId> =
                conv.map(|c| parse(&c, "conversation")).transpose()?;
            let mut s = s.lock().await;
            Ok(to_json(&s.core.search(&query, conv, limit as usize)))
        })
    }

    /// The people in a conversation's group and their devices, as this device sees it
    /// (`{ [user]: device[] }`, JSON).
    pub fn group_members(&self, conv: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let mut s = s.lock().await;
            let members = s.core.members(conv).map_err(|e| error(e.into()))?;
            Ok(to_json(&members))
        })
    }

    /// Joins, catches up, sends the outbox, does the member duties (`UpdateView[]`, JSON).
    pub fn sync(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            let u = s.sync().await.map_err(error)?;
            Ok(updates(&u))
        })
    }

    /// Acts on a WebSocket frame (its JSON text); resolves to the updates (JSON).
    pub fn on_frame(&self, frame: String) -> Promise {
        self.with(|s| async move {
            let frame: ServerFrame = serde_json::from_str(&frame).map_err(|_| invalid("frame"))?;
            let mut s = s.lock().await;
            let u = s.on_frame(&frame).await.map_err(error)?;
            Ok(updates(&u))
        })
    }

    /// Sends a text (markdown subset; mentions as `@[Name](person-id)`), optionally as a
    /// reply. Resolves to its sequence number. When the server cannot be reached it stays
    /// queued (error kind `unreachable`) and goes out with the next sync.
    pub fn send_text(&self, conv: String, text: String, reply_to: Option<String>) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let reply_to: Option<ClientMsgId> =
                reply_to.map(|r| parse(&r, "reply_to")).transpose()?;
            let mut s = s.lock().await;
            let sent = s.send_text(conv, text, reply_to).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Starts a poll. `options` is a JSON array of strings; `closes_ms` 0 for none.
    pub fn send_poll(
        &self,
        conv: String,
        question: String,
        options: String,
        multiple: bool,
        anonymous: bool,
        closes_ms: f64,
    ) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let options: Vec<String> =
                serde_json::from_str(&options).map_err(|_| invalid("options"))?;
            let closes = (closes_ms > 0.0).then_some(closes_ms as i64);
            let mut s = s.lock().await;
            let sent = s
                .send_poll(conv, &question, &options, multiple, anonymous, closes)
                .await
                .map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Votes in a poll: `choices` a JSON array of option indexes (empty takes it back).
    pub fn vote(&self, conv: String, poll: String, choices: String) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let poll: ClientMsgId = parse(&poll, "poll")?;
            let choices: Vec<u32> =
                serde_json::from_str(&choices).map_err(|_| invalid("choices"))?;
            let mut s = s.lock().await;
            let sent = s.vote(conv, poll, choices).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Pins a message for everybody in the conversation (or unpins it).
    pub fn pin(&self, conv: String, target: String, unpin: bool) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let target: ClientMsgId = parse(&target, "message")?;
            let mut s = s.lock().await;
            let sent = s.pin(conv, target, unpin).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Forwards a message's text to another conversation. Resolves to its sequence number.
    pub fn forward(&self, from: String, message: String, to: String) -> Promise {
        self.with(|s| async move {
            let from: ConversationId = parse(&from, "conversation")?;
            let message: ClientMsgId = parse(&message, "message")?;
            let to: ConversationId = parse(&to, "conversation")?;
            let mut s = s.lock().await;
            let sent = s.forward(from, message, to).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Reacts to a message with an emoji (or takes the reaction back).
    pub fn react(&self, conv: String, target: String, emoji: String, remove: bool) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let target: ClientMsgId = parse(&target, "message")?;
            let mut s = s.lock().await;
            let sent = s.react(conv, target, emoji, remove).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Edits one of this person's messages.
    pub fn edit(&self, conv: String, target: String, text: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let target: ClientMsgId = parse(&target, "message")?;
            let mut s = s.lock().await;
            let sent = s.edit_text(conv, target, text).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Deletes one of this person's messages for everybody.
    pub fn delete(&self, conv: String, target: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let target: ClientMsgId = parse(&target, "message")?;
            let mut s = s.lock().await;
            let sent = s.delete_message(conv, target).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Renames a group or channel.
    pub fn rename(&self, conv: String, name: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let mut s = s.lock().await;
            let sent = s.rename(conv, name).await.map_err(error)?;
            Ok(JsValue::from_f64(sent.seq as f64))
        })
    }

    /// Starts a conversation (`direct`, `group` or `channel`) with these people; resolves to
    /// its id.
    pub fn create(&self, kind: String, name: Option<String>, with: Vec<String>) -> Promise {
        self.with(|s| async move {
            let kind = ConversationKind::parse(&kind).ok_or_else(|| invalid("kind"))?;
            let users = people(&with)?;
            let mut s = s.lock().await;
            let id = s
                .create(
                    kind,
                    name.as_deref().filter(|n| !n.trim().is_empty()),
                    &users,
                )
                .await
                .map_err(error)?;
            Ok(JsValue::from_str(&id.to_string()))
        })
    }

    /// Adds people (all their devices) and says so in the conversation.
    pub fn add_people(&self, conv: String, who: Vec<String>) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let users = people(&who)?;
            let mut s = s.lock().await;
            let u = s.add_people_and_tell(conv, &users).await.map_err(error)?;
            Ok(updates(&u))
        })
    }

    /// Removes people (all their devices) and says so in the conversation.
    pub fn remove_people(&self, conv: String, who: Vec<String>) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let users = people(&who)?;
            let mut s = s.lock().await;
            let u = s
                .remove_people_and_tell(conv, &users)
                .await
                .map_err(error)?;
            Ok(updates(&u))
        })
    }

    /// Leaves a conversation (all of this person's devices).
    pub fn leave(&self, conv: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let mut s = s.lock().await;
            s.leave(conv).await.map_err(error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Sends what waits in the outbox, oldest first (after the connection came back).
    pub fn flush(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            let u = s.flush_outbox(None).await.map_err(error)?;
            Ok(updates(&u))
        })
    }

    /// Tries a conversation that stopped on this device again: asks members to add it afresh.
    pub fn try_again(&self, conv: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let mut s = s.lock().await;
            s.try_again(conv).await.map_err(error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Sets a person's role in a conversation (`admin`, `member`, `reader`).
    pub fn set_role(&self, conv: String, user: String, role: String) -> Promise {
        self.with(|s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let user: PersonId = parse(&user, "person")?;
            let role = ConversationRole::parse(&role).ok_or_else(|| invalid("role"))?;
            let mut s = s.lock().await;
            s.set_role(conv, user, role).await.map_err(error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The person has seen a conversation up to `seq`.
    pub fn mark_read(&self, conv: String, seq: f64) -> Promise {
        self.with(move |s| async move {
            let conv: ConversationId = parse(&conv, "conversation")?;
            let mut s = s.lock().await;
            s.core.mark_read(conv, seq as u64);
            s.persist().await.map_err(error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The safety number with another person (60 digits).
    pub fn safety_number(&self, user: String) -> Promise {
        self.with(|s| async move {
            let user: PersonId = parse(&user, "person")?;
            let mut s = s.lock().await;
            let n = s.safety_number(user).await.map_err(error)?;
            Ok(JsValue::from_str(&n))
        })
    }

    /// After revoking one of this person's devices: drops it from the signed device list.
    pub fn drop_device(&self, device: String) -> Promise {
        self.with(|s| async move {
            let device: DeviceId = parse(&device, "device")?;
            let mut s = s.lock().await;
            let dropped = s.drop_device(device).await.map_err(error)?;
            Ok(JsValue::from_bool(dropped))
        })
    }

    /// On a new device: asks to be linked; resolves to `{ request_id, code }` (JSON).
    pub fn request_link(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            let (req, code) = s.request_link().await.map_err(error)?;
            Ok(to_json(
                &serde_json::json!({ "request_id": req.id, "code": code }),
            ))
        })
    }

    /// On a new device: whether the link was approved (and finishes linking if so).
    pub fn poll_link(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            let done = s.poll_link().await.map_err(error)?;
            Ok(JsValue::from_bool(done))
        })
    }

    /// On a linked device: other devices asking to be linked, `[{ id, device_id,
    /// created_at }]` (JSON). The code is not given out: the person types what the new
    /// device shows, and the core compares.
    pub fn link_requests(&self) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            let list = s.link_requests().await.map_err(error)?;
            let out: Vec<_> = list
                .iter()
                .map(|(r, _)| {
                    serde_json::json!({
                        "id": r.id,
                        "device_id": r.keys.device_id,
                        "created_at": r.created_at,
                    })
                })
                .collect();
            Ok(to_json(&out))
        })
    }

    /// Approves a link request after the person typed the code the new device shows.
    pub fn approve(&self, request_id: String, code: String) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            let list = s.link_requests().await.map_err(error)?;
            let (request, _) = list
                .into_iter()
                .find(|(r, _)| r.id.to_string() == request_id)
                .ok_or_else(|| invalid("link request"))?;
            s.approve(&request, &code).await.map_err(error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Links this new device with the recovery key.
    pub fn link_with_recovery_key(&self, key: String) -> Promise {
        self.with(|s| async move {
            let mut s = s.lock().await;
            s.link_with_recovery_key(&key).await.map_err(error)?;
            let u = s.sync().await.map_err(error)?;
            Ok(updates(&u))
        })
    }
}

/// Whether the person may write in a conversation now (the core's rule, from the view's
/// fields and the person's role as the server lists it).
#[wasm_bindgen(js_name = mayWrite)]
pub fn may_write(removed: bool, stopped: bool, rejoining: bool, role: Option<String>) -> bool {
    let role = role.as_deref().and_then(ConversationRole::parse);
    kontor_client::view::may_write(removed, stopped, rejoining, role)
}

/// Parses a text in the markdown subset into blocks (`Block[]`, JSON), for previews.
#[wasm_bindgen]
pub fn markdown(text: &str) -> JsValue {
    to_json(&kontor_client::markdown::parse(text))
}
