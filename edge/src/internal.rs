//! Calls between the Worker and the Durable Objects. These requests never come from outside:
//! objects are reachable only through their namespace bindings, so a header set here is trusted
//! by the object that reads it.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shared::api::NewConversation;
use shared::protocol::{AgentRef, Millis, Role};
use worker::{Env, Error, Headers, Method, Request, RequestInit, Response, Result, Stub};

pub const SITES: &str = "SITES";
pub const CONVERSATIONS: &str = "CONVERSATIONS";
pub const ECHOES: &str = "ECHOES";

/// How long a console session lasts: the cookie and the stored session alike.
pub const SESSION_DAYS: u32 = 14;

/// The authenticated teammate, forwarded with an agent's WebSocket upgrade or request.
pub const AGENT_HEADER: &str = "X-Takeover-Agent";
/// The SHA-256 of the setup token that authorised a setup request.
pub const SETUP_HEADER: &str = "X-Takeover-Setup";
/// The deployment's address as the setup request reached it, for links in team mail.
pub const ORIGIN_HEADER: &str = "X-Takeover-Origin";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentIdentity {
    pub site_key: String,
    pub agent: AgentRef,
    pub role: Role,
    /// The SHA-256 of the session secret behind this identity: what a revocation names.
    #[serde(default)]
    pub session: String,
    /// When the site checked the session (the site's clock): a revocation the site made
    /// later applies to this identity even if it reaches an object first.
    #[serde(default)]
    pub checked_at: Millis,
}

/// The site's answer to a session check: the teammate, and when it was checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionCheck {
    pub me: shared::api::Me,
    pub checked_at: Millis,
}

/// Closes a teammate's sockets: all of them, or only those of some sessions. Sent by the site
/// to every conversation where the teammate has a socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoke {
    pub member_id: String,
    pub sessions: Option<Vec<String>>,
    /// 4001: the session ended (sign in again); 4003: the role or name changed (reconnect).
    pub code: u16,
    pub reason: String,
    /// When the site revoked (the site's clock): identities checked before are affected.
    pub at: Millis,
    /// The teammate left the team: what they hold goes back to Pending.
    #[serde(default)]
    pub requeue: bool,
}

/// What a conversation needs from its site to answer: the settings it applies, and the site's
/// own secrets opened for this call (never stored outside the site object).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BotSetup {
    pub config: shared::api::BotConfig,
    pub secrets: crate::site::Opened,
    /// The events some enabled endpoint of the site takes: only those are reported.
    #[serde(default)]
    pub hook_events: Vec<String>,
    /// The site's chat title, for mail to its visitors.
    #[serde(default)]
    pub title: String,
    /// Where links in mail lead (see `site::notify::origin`); `None` while unknown.
    #[serde(default)]
    pub origin: Option<String>,
    /// The owner's wording and when the "Talk to a human" button shows, for what a channel's
    /// visitor is told (the widget reads them from its own config).
    #[serde(default)]
    pub texts: shared::texts::TextOverrides,
    #[serde(default)]
    pub human_button_after: u32,
}

/// A platform's update as the Worker received it: the secret header it carried and the raw
/// body, for the site to check and read (`POST /channels/telegram/in`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelUpdate {
    pub secret: String,
    pub body: String,
}

/// Where an update goes: the conversation of its chat, and what the visitor did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelRoute {
    pub conversation_id: String,
    pub inbound: shared::channel::Inbound,
}

/// A chat whose conversation `ended` was closed for good: the site starts the next one
/// (`POST /channels/renew`), unless another update already did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelRenew {
    pub peer: shared::channel::ChannelPeer,
    pub ended: String,
}

/// A platform's opened token, the API base it may be sent to, and (WhatsApp) the business
/// number it sends from.
#[derive(Clone, Serialize, Deserialize)]
pub struct PlatformKeys {
    pub token: String,
    pub api_base: String,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

/// Never the token, should keys ever be logged.
impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("api_base", &self.api_base)
            .field("phone_number_id", &self.phone_number_id)
            .finish_non_exhaustive()
    }
}

/// `PUT /channels/whatsapp`: what the owner gave, and where the Worker is reached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectWhatsAppAt {
    pub phone_number_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub api_base: String,
    pub callback_url: String,
}

/// Meta's subscription handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handshake {
    pub mode: String,
    pub verify_token: String,
    pub challenge: String,
}

/// `PUT /channels/telegram`: what the owner gave, and where the Worker is reached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectTelegramAt {
    pub token: String,
    pub api_base: String,
    pub webhook_url: String,
}

/// A credential for another of the visitor's devices, asked of a conversation of `site_key`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub site_key: String,
    pub kind: crate::conversation::GrantKind,
    /// For a link: the link, which the conversation checks against its visitor's address.
    #[serde(default)]
    pub link: Option<String>,
    /// For a signed identity: the user the site verified, who must be the conversation's.
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Granted {
    pub token: String,
}

/// Asks conversation `id` for a credential for another device of its visitor; `None` when
/// it refuses. Sent once: a retry would mint a second credential. A conversation that could
/// not answer (5xx) is an error, not a refusal: the link is not spent, the history not split.
pub async fn grant(env: &Env, id: &str, ask: &Grant) -> Result<Option<String>> {
    let res = send(&conversation(env, id)?, Method::Post, "/grant", Some(ask)).await?;
    if res.status_code() >= 500 {
        return Err(Error::RustError(format!("conversation answered {}", res.status_code())));
    }
    if res.status_code() != 200 {
        return Ok(None);
    }
    Ok(Some(json::<Granted>(&res).await?.token))
}

/// A webhook bot's reply, for the site to check its signature: what was signed, as received.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedReply {
    pub method: String,
    pub path: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitConversation {
    pub conversation_id: String,
    pub site_key: String,
    pub token_hash: String,
    pub created_at: Millis,
    pub user_agent: Option<String>,
    pub meta: NewConversation,
    /// The events the site's webhooks take, as the site said when the conversation began.
    #[serde(default)]
    pub hook_events: Vec<String>,
    /// Started for a chat on a messaging channel rather than by the widget.
    #[serde(default)]
    pub channel: Option<shared::channel::ChannelKind>,
}

/// AI work to add to the site's usage count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsageDelta {
    pub replies: u64,
    pub tokens: u64,
    /// The FAQ entry (its question) a stored answer came from: the site counts what is asked
    /// most, to suggest it when the chat opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq: Option<String>,
}

/// A conversation's outbox in one request (see `conversation/report.rs`). Mentions and usage
/// carry their outbox numbers: the site applies each only if it is above the last `upto` it
/// applied for that conversation, so a batch sent again after a lost answer counts nothing
/// twice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportBatch {
    pub upto: i64,
    pub summary: shared::api::ConversationSummary,
    pub tickets: Vec<shared::api::Ticket>,
    pub mentions: Vec<(i64, Mention)>,
    pub usage: Vec<(i64, UsageDelta)>,
    /// Lifecycle events for the site's webhooks, each applied once like mentions.
    #[serde(default)]
    pub hooks: Vec<(i64, shared::hooks::HookEvent)>,
}

/// An internal note, for the site to notify the teammates it mentions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mention {
    pub conversation_id: String,
    pub by: AgentRef,
    pub text: String,
}

/// The site tells a conversation that its assignee has been offline since `offline_since`;
/// after `after` of that, the conversation goes back to Pending.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssigneeAway {
    pub agent_id: String,
    pub offline_since: Millis,
    pub after: Millis,
}

/// What the Worker needs to answer a widget: its settings, and which pages may embed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteConfig {
    pub widget: shared::api::WidgetConfig,
    pub allowed_origins: Vec<String>,
    /// The events some enabled endpoint of the site takes.
    #[serde(default)]
    pub hook_events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionToken {
    pub token: String,
    /// Checking the session for a socket into this conversation: the site records it, so an
    /// account change can close the socket later.
    #[serde(default)]
    pub socket_in: Option<String>,
}

pub fn site(env: &Env, site_key: &str) -> Result<Stub> {
    env.durable_object(SITES)?.get_by_name(site_key)
}

pub fn conversation(env: &Env, id: &str) -> Result<Stub> {
    env.durable_object(CONVERSATIONS)?.get_by_name(id)
}

/// Sends a JSON request to an object; the host part of the URL is ignored by objects.
pub async fn send<T: Serialize>(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&T>,
) -> Result<Response> {
    send_with(stub, method, path, body, &[]).await
}

/// Like [`send`], with headers the object trusts (only the Worker can set them).
pub async fn send_with<T: Serialize>(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&T>,
    trusted: &[(&str, &str)],
) -> Result<Response> {
    let mut init = RequestInit::new();
    init.with_method(method);
    let headers = Headers::new();
    for (k, v) in trusted {
        headers.set(k, v)?;
    }
    if let Some(body) = body {
        headers.set("Content-Type", "application/json")?;
        init.with_body(Some(serde_json::to_string(body)?.into()));
    }
    init.with_headers(headers);
    let req = Request::new_with_init(&format!("https://object{path}"), &init)?;
    stub.fetch_with_request(req).await
}

/// Whether a call to another object failed because that object is overloaded (the platform
/// marks such errors `overloaded`): asking again soon would only add to its load.
pub fn overloaded(e: &worker::Error) -> bool {
    js_flag(e, "overloaded")
}

/// Whether the platform says a failed call may succeed if made again (`retryable`), and it
/// was not for overload.
pub fn retryable(e: &worker::Error) -> bool {
    js_flag(e, "retryable") && !overloaded(e)
}

fn js_flag(e: &worker::Error, name: &str) -> bool {
    let worker::Error::UnknownJsError { original, .. } = e else { return false };
    js_sys::Reflect::get(original, &name.into()).is_ok_and(|v| v.as_bool() == Some(true))
}

/// Waits before the second and third attempt of an idempotent call.
const RETRY_WAITS_MS: [u64; 2] = [100, 400];

/// [`send`] for a call that may be made twice with no harm (a read, a report the site
/// applies once): tried again, after a short wait, when the platform says it may succeed;
/// never when the object is overloaded.
pub async fn send_idempotent<T: Serialize>(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&T>,
) -> Result<Response> {
    retrying(path, || send(stub, method.clone(), path, body)).await
}

/// Makes `call` again, after a short wait, while the platform says it may succeed.
async fn retrying<T, F: Future<Output = Result<T>>>(
    path: &str,
    mut call: impl FnMut() -> F,
) -> Result<T> {
    let mut waits = RETRY_WAITS_MS.iter();
    loop {
        match call().await {
            Err(e) if retryable(&e) => match waits.next() {
                Some(ms) => {
                    worker::console_warn!("{path}: {e}; trying again");
                    worker::Delay::from(std::time::Duration::from_millis(*ms)).await;
                }
                None => return Err(e),
            },
            done => return done,
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// An object's stub as the runtime hands it over, for [`report`].
    #[derive(Clone)]
    pub type RawStub;
    #[wasm_bindgen(method, catch)]
    fn fetch(
        this: &RawStub,
        url: &str,
        init: &web_sys::RequestInit,
    ) -> std::result::Result<js_sys::Promise, wasm_bindgen::JsValue>;
    // Called as methods of the stub: each property of an RPC stub, `call` and `apply` too, is
    // a remote name, so the function cannot be taken off it and called.
    #[wasm_bindgen(method, catch, js_name = report)]
    fn report(
        this: &RawStub,
        batch: &str,
    ) -> std::result::Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(method, catch, js_name = reportUnread)]
    fn report_unread(
        this: &RawStub,
        batch: &str,
    ) -> std::result::Result<js_sys::Promise, wasm_bindgen::JsValue>;
}

/// The site object's stub, for [`report`].
pub fn raw_site(env: &Env, site_key: &str) -> Result<RawStub> {
    Ok(site(env, site_key)?.into_rpc())
}

/// Sends a conversation's batch of reports (its JSON) to the site object by JavaScript RPC
/// (tried again like [`send_idempotent`]: the site applies each record once); the status and
/// answer the site gives, as its `/reports` route would. No Request, Headers or Response is
/// made on either side (see the site's `report`).
///
/// During a deploy a site object may still run the version before RPC, whose class workerd
/// takes no RPC to (a TypeError, not marked retryable): the batch then goes by `POST
/// /reports`, which that version answers. Gradual deployments keep both versions for a while.
pub async fn report(stub: &RawStub, json: &str) -> Result<(u16, String)> {
    match call_site(stub, SiteCall::Report, json).await {
        Err(e) if takes_no_rpc(&e) => post_lean(stub, "/reports", json).await,
        done => done,
    }
}

/// workerd's refusal of RPC to a class that does not extend `DurableObject`.
fn takes_no_rpc(e: &worker::Error) -> bool {
    e.to_string().contains("does not support RPC")
}

/// POSTs `json` to `path` of an object (tried again like [`send_idempotent`]) and reads the
/// answer's status and text, with as few of the runtime's API objects as can be: the URL
/// and a plain init go to `fetch`, not a Request with its Headers, and of the answer only
/// its status and text are asked for, not its headers or body stream. How reports went
/// before RPC, and still go to a site object of an older version (see [`report`]).
async fn post_lean(stub: &RawStub, path: &str, json: &str) -> Result<(u16, String)> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let url = format!("https://object{path}");
    let once = || async {
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&wasm_bindgen::JsValue::from_str(json));
        let headers = js_sys::Object::new();
        js_sys::Reflect::set(&headers, &"content-type".into(), &"application/json".into())?;
        init.set_headers(&headers);
        let res: web_sys::Response =
            JsFuture::from(stub.fetch(&url, &init)?).await?.unchecked_into();
        let text = JsFuture::from(res.text()?).await?;
        Ok((res.status(), text.as_string().unwrap_or_default()))
    };
    retrying(path, once).await
}

/// An answer of `status` whose body is `json`, text already written.
pub fn json_text(status: u16, json: String) -> Result<Response> {
    let mut res = Response::ok(json)?.with_status(status);
    res.headers_mut().set("content-type", "application/json")?;
    Ok(res)
}

/// A method of the site object that takes a batch of reports.
#[derive(Clone, Copy)]
pub enum SiteCall {
    Report,
    /// The benchmark's floor: answered without being read.
    Unread,
    /// `report` by `fetch` to `/reports`, as a site of the version before RPC takes it.
    Fetched,
}

/// Calls the site object with a batch of reports, as [`report`] does (the benchmark's routes
/// name their method).
pub async fn call_site(stub: &RawStub, method: SiteCall, json: &str) -> Result<(u16, String)> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let (call, name): (fn(&RawStub, &str) -> _, _) = match method {
        SiteCall::Report => (RawStub::report as fn(&RawStub, &str) -> _, "report"),
        SiteCall::Unread => (RawStub::report_unread, "reportUnread"),
        SiteCall::Fetched => return post_lean(stub, "/reports", json).await,
    };
    let once = || async {
        let promise = call(stub, json)?;
        let answer = JsFuture::from(promise).await?;
        let pair: js_sys::Array =
            answer.dyn_into().map_err(|_| "the site's answer to a report is not [status, text]")?;
        let status = pair.get(0).as_f64().map_or(0, |n| n as u16);
        Ok((status, pair.get(1).as_string().unwrap_or_default()))
    };
    retrying(name, once).await
}

/// An answer's body as text, read by the runtime in one call. workers-rs reads a fetched
/// body through a stream reader whose release workerd refuses once the body has ended: a
/// TypeError, its stack captured, for every answer read that way (reports' answers were
/// read so, ~25 a second in the relay bench at 500 conversations).
pub async fn text(res: &Response) -> Result<String> {
    let stream = match res.body() {
        worker::ResponseBody::Stream(stream) => stream,
        worker::ResponseBody::Body(bytes) => {
            return String::from_utf8(bytes.clone()).map_err(|e| e.to_string().into());
        }
        worker::ResponseBody::Empty => return Ok(String::new()),
    };
    let whole = web_sys::Response::new_with_opt_readable_stream(Some(stream))?;
    let read = wasm_bindgen_futures::JsFuture::from(whole.text()?).await?;
    read.as_string().ok_or_else(|| "an answer's body is not text".into())
}

/// A request's JSON body, as one object sends it to another: read as text in one call and
/// parsed in the wasm by the same serde_json that wrote it. workers-rs's `Request::json` has
/// the runtime parse it and then walks the JavaScript object it made across the boundary, a
/// call or more for every field (serde_wasm_bindgen), reading integers as floats. (Measured on
/// a report: no change the bench could tell from its noise, 269 µs either way.)
pub async fn body<T: DeserializeOwned>(req: &mut Request) -> Result<T> {
    Ok(serde_json::from_str(&req.text().await?)?)
}

/// An answer's JSON body (see [`text`]).
pub async fn json<T: DeserializeOwned>(res: &Response) -> Result<T> {
    Ok(serde_json::from_str(&text(res).await?)?)
}

/// Like [`send_idempotent`], reading a JSON answer; `None` when the object answered with an
/// error status. For reads only.
pub async fn ask<T: Serialize, R: DeserializeOwned>(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&T>,
) -> Result<Option<R>> {
    let res = send_idempotent(stub, method, path, body).await?;
    if res.status_code() >= 400 {
        return Ok(None);
    }
    Ok(Some(json(&res).await?))
}

/// The client an upgrade comes from (see `limits::client`), for per-client socket quotas.
pub const CLIENT_HEADER: &str = "X-Takeover-Client";

/// Set on an object's refusal of an upgrade when it holds no conversation for the asker (none
/// at all: a 404; another site's, to a teammate: a 403). Only that answer, not any 404 (a
/// route that went missing), tells a widget to start over and the console to stop asking.
pub const NO_CONVERSATION_HEADER: &str = "X-Takeover-No-Conversation";

/// A refusal marked with [`NO_CONVERSATION_HEADER`].
pub fn no_conversation(why: &str, status: u16) -> Result<Response> {
    let mut res = Response::error(why, status)?;
    res.headers_mut().set(NO_CONVERSATION_HEADER, "1")?;
    Ok(res)
}

/// Forwards a WebSocket upgrade to an object, carrying only what the object should trust:
/// the teammate, if any, and the client the request came from.
pub async fn upgrade(
    stub: &Stub,
    path: &str,
    agent: Option<&AgentIdentity>,
    client: Option<&str>,
) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Upgrade", "websocket")?;
    if let Some(agent) = agent {
        headers.set(AGENT_HEADER, &serde_json::to_string(agent)?)?;
    }
    headers.set(CLIENT_HEADER, client.unwrap_or(""))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(&format!("https://object{path}"), &init)?;
    stub.fetch_with_request(req).await
}

pub fn agent_from(req: &Request) -> Option<AgentIdentity> {
    let raw = req.headers().get(AGENT_HEADER).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

/// How long a Worker isolate reuses a site's public settings: a page view of a busy site
/// then costs its site object one request per isolate every few seconds, not one each.
/// (Open widgets hear of a change at once, by push; a page loaded within this window of a
/// change may start with the previous settings.)
const SITE_CONFIG_TTL_MS: shared::protocol::Millis = 5_000;
/// Sites an isolate remembers settings for; past this it starts afresh.
const SITE_CONFIG_MAX: usize = 1_000;

thread_local! {
    static SITE_CONFIGS: std::cell::RefCell<
        std::collections::HashMap<String, (shared::protocol::Millis, SiteConfig)>,
    > = Default::default();
}

/// Drops what this isolate remembers of a site's settings: they just changed here.
pub fn forget_site_config(site_key: &str) {
    SITE_CONFIGS.with_borrow_mut(|c| c.remove(site_key));
}

/// A site's public settings (what its widget and chat page need), from this isolate's
/// memory when fetched in the last few seconds; `None` for a site that does not exist.
pub async fn site_config(env: &Env, site_key: &str) -> Result<Option<SiteConfig>> {
    let now = crate::now();
    let cached = SITE_CONFIGS.with_borrow(|c| {
        c.get(site_key).filter(|(at, _)| now - at < SITE_CONFIG_TTL_MS).map(|(_, s)| s.clone())
    });
    if cached.is_some() {
        return Ok(cached);
    }
    let stub = site(env, site_key)?;
    let fetched = ask::<(), SiteConfig>(&stub, Method::Get, "/config", None).await?;
    if let Some(config) = &fetched {
        SITE_CONFIGS.with_borrow_mut(|c| {
            if c.len() >= SITE_CONFIG_MAX {
                c.clear();
            }
            c.insert(site_key.to_owned(), (now, config.clone()));
        });
    }
    Ok(fetched)
}
