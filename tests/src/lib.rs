//! The harness for integration tests: a real worker on a local workerd (started through
//! `wrangler dev` on a free loopback port, in its own process group, stopped on drop), a
//! freshly seeded site per test, and visitor and agent clients over real WebSockets.
//!
//! The worker must be built first (`cargo xtask build`; `cargo xtask test` does it).

// The same process and server helpers as `cargo xtask`; not all of them are used here.
#[allow(dead_code)]
#[path = "../../xtask/src/proc.rs"]
mod proc;
#[allow(dead_code)]
#[path = "../../xtask/src/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::api::{ConversationCreated, Me};
use shared::protocol::{
    Author, ClientFrame, Credential, Event, Hello, Item, ItemBody, PROTOCOL_VERSION, ServerFrame,
    Welcome,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub mod chaos;
pub mod llm_mock;
pub mod mail;
pub mod receiver;
pub mod telegram_mock;
pub mod whatsapp_mock;

pub use server::DEMO_SITE;

pub type Result<T = ()> = std::result::Result<T, String>;

/// Every teammate the tests create signs in with this.
pub const PASSWORD: &str = "correct horse battery staple";
/// How long a test waits for a frame before it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// A running worker with its own state directory, deleted on drop.
pub struct Edge {
    worker: Option<server::LocalWorker>,
    pub base: String,
    port: u16,
    setup_token: String,
    state: PathBuf,
    vars: Vec<(String, String)>,
    /// Where the worker's log is copied when the worker stops, if anywhere.
    keep_log: Option<PathBuf>,
}

impl Edge {
    pub fn start() -> Edge {
        Self::start_with(&[])
    }

    /// [`Edge::start`] with more `--var` bindings, e.g. `BENCHMARK=1`, or `LLM_BASE_URL` (the
    /// only endpoint the deployment's `LLM_API_KEY` is sent to).
    pub fn start_with(extra: &[(&str, &str)]) -> Edge {
        let state = server::scratch_state("takeover-it");
        let setup_token = server::random_hex(24);
        let mut vars = vec![("LLM_API_KEY".to_owned(), llm_mock::KEY.to_owned())];
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let (port, worker) = Self::launch(server::free_port, &state, &setup_token, &vars);
        Edge {
            base: worker.base.clone(),
            worker: Some(worker),
            port,
            setup_token,
            state,
            vars,
            keep_log: None,
        }
    }

    fn try_launch(
        port: u16,
        state: &Path,
        token: &str,
        vars: &[(String, String)],
    ) -> std::result::Result<server::LocalWorker, String> {
        let log = state.with_extension("log");
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        server::start_with(&root(), port, state, token, Some(&log), &vars)
            .map_err(|e| format!("starting the worker: {e} (log: {})", log.display()))
    }

    /// Starts on a port from `port`, trying twice more if wrangler could not start: ports are
    /// picked free and bound by wrangler a moment later, and with many tests starting workers
    /// at once another may take one between the two (a fresh one then, or the same one for a
    /// restart, which keeps its address).
    fn launch(
        mut port: impl FnMut() -> u16,
        state: &Path,
        token: &str,
        vars: &[(String, String)],
    ) -> (u16, server::LocalWorker) {
        let mut failed = String::new();
        for _ in 0..3 {
            let p = port();
            match Self::try_launch(p, state, token, vars) {
                Ok(worker) => return (p, worker),
                Err(e) => failed = e,
            }
        }
        panic!("{failed}")
    }

    /// Keeps the worker's log at `path` when it stops (it is deleted otherwise).
    pub fn keep_log_at(&mut self, path: PathBuf) {
        self.keep_log = Some(path);
    }

    /// Where the worker keeps its Durable Objects' storage.
    pub fn state_dir(&self) -> &Path {
        &self.state
    }

    /// The worker's log so far (wrangler's output), for a test that checks what was logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.with_extension("log")).unwrap_or_default()
    }

    /// Stops workerd completely and starts it again on the same port and state.
    pub fn restart(&mut self) {
        drop(self.worker.take());
        let port = self.port;
        let (_, worker) = Self::launch(|| port, &self.state, &self.setup_token, &self.vars);
        self.worker = Some(worker);
    }

    /// Restarts with a new `SETUP_TOKEN`, as an operator does to run setup again.
    pub fn restart_with_new_setup_token(&mut self) {
        self.setup_token = server::random_hex(24);
        self.restart();
    }

    /// Kills the workerd that runs the worker (not wrangler, not its dev proxy) with
    /// `SIGKILL`, as a crash would; `false` when there was none. [`Edge::restart`] brings the
    /// worker back on the same state.
    pub fn kill_worker(&self) -> bool {
        let Some(group) = self.process_group() else { return false };
        let Ok(dir) = std::fs::read_dir("/proc") else { return false };
        let mut killed = false;
        for pid in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
            // SAFETY: getpgid and kill take plain integers and touch no memory of ours.
            let in_group = unsafe { libc::getpgid(pid) } == group as i32;
            if in_group && is_worker_process(pid as u32) {
                killed |= unsafe { libc::kill(pid, libc::SIGKILL) } == 0;
            }
        }
        killed
    }

    /// The process group of `wrangler dev` and its workerd processes.
    pub fn process_group(&self) -> Option<u32> {
        self.worker.as_ref().map(|w| w.group.id())
    }

    /// Creates a site with the demo FAQ and these teammates (email, display name, role).
    pub fn site(&self, key: &str, members: &[(&str, &str, &str)]) -> String {
        self.site_with(key, DEMO_SITE, members)
    }

    /// Like [`Edge::site`] with other settings (the JSON of `SiteSettings`).
    pub fn site_with(&self, key: &str, settings: &str, members: &[(&str, &str, &str)]) -> String {
        let members: Vec<[&str; 4]> =
            members.iter().map(|(e, n, r)| [*e, *n, *r, PASSWORD]).collect();
        server::seed(&self.base, &self.setup_token, key, settings, &members)
            .unwrap_or_else(|e| panic!("{e}"));
        key.to_owned()
    }

    pub fn ws_url(&self, path: &str) -> String {
        shared::protocol::socket_url(&self.base, path)
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        drop(self.worker.take());
        if let Some(keep) = &self.keep_log {
            let _ = std::fs::copy(self.state.with_extension("log"), keep);
        }
        let _ = std::fs::remove_dir_all(&self.state);
        let _ = std::fs::remove_file(self.state.with_extension("log"));
    }
}

/// Whether `pid` is the workerd that runs the worker, not the dev proxy `wrangler dev` puts in
/// front of it: the worker's is the one started with an inspector.
pub fn is_worker_process(pid: u32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    comm.trim() == "workerd" && String::from_utf8_lossy(&cmdline).contains("--inspector-addr")
}

/// A made-up client address (`CF-Connecting-IP`, which Cloudflare's edge sets and local
/// wrangler passes on): every visitor and teammate of a test is a client of their own, as in
/// life, so the per-client limits only meet the tests written for them.
pub fn client_ip() -> String {
    let b = server::random_hex(3);
    let n = |i: usize| u8::from_str_radix(&b[i..i + 2], 16).unwrap_or(1);
    format!("10.{}.{}.{}", n(0), n(2), n(4).max(1))
}

/// What a socket did next.
#[derive(Debug)]
pub enum Next {
    Frame(serde_json::Value),
    Closed(u16),
    Silent,
}

/// One WebSocket, read frame by frame.
pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    pub async fn connect(url: &str, cookie: Option<&str>) -> Socket {
        Self::try_connect(url, cookie).await.expect("websocket connect")
    }

    pub async fn try_connect(url: &str, cookie: Option<&str>) -> Result<Socket> {
        let mut req = url.into_client_request().map_err(|e| format!("{url}: {e}"))?;
        let ip = HeaderValue::from_str(&client_ip()).map_err(|e| e.to_string())?;
        req.headers_mut().insert("CF-Connecting-IP", ip);
        if let Some(cookie) = cookie {
            let value = HeaderValue::from_str(cookie).map_err(|e| format!("cookie: {e}"))?;
            req.headers_mut().insert("Cookie", value);
        }
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| format!("websocket connect: {e}"))?;
        Ok(Socket { ws })
    }

    /// The HTTP status an upgrade request gets: 101 when the socket opens.
    pub async fn upgrade_status(url: &str, cookie: Option<&str>) -> u16 {
        let mut req = url.into_client_request().expect("a websocket url");
        let ip = HeaderValue::from_str(&client_ip()).expect("an address");
        req.headers_mut().insert("CF-Connecting-IP", ip);
        if let Some(cookie) = cookie {
            req.headers_mut().insert("Cookie", HeaderValue::from_str(cookie).expect("cookie"));
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            Err(e) => panic!("upgrade to {url}: {e}"),
        }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_raw(&serde_json::to_string(frame).expect("encode")).await;
    }

    /// Sends a text frame; `false` when the socket is gone.
    pub async fn try_send_raw(&mut self, text: &str) -> bool {
        self.ws.send(Message::Text(Utf8Bytes::from(text))).await.is_ok()
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::Text(Utf8Bytes::from(text))).await.expect("ws send");
    }

    /// The next frame, skipping typing indicators. Panics after [`PATIENCE`].
    pub async fn next(&mut self) -> ServerFrame {
        self.try_next(PATIENCE).await.expect("a frame within the patience window")
    }

    /// The next frame within `wait` as JSON, skipping typing indicators; `None` when the
    /// socket stayed quiet or closed.
    pub async fn try_next_json(&mut self, wait: Duration) -> Option<serde_json::Value> {
        match self.next_within(wait).await {
            Next::Frame(value) => Some(value),
            Next::Closed(_) | Next::Silent => None,
        }
    }

    /// The next frame within `wait` (typing indicators skipped), or whether the socket closed
    /// (with the code, 0 without a close frame) or stayed silent: a stall is told apart
    /// from a close.
    pub async fn next_within(&mut self, wait: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Next::Silent,
                Ok(None | Some(Err(_))) => return Next::Closed(0),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Next::Closed(frame.map_or(0, |f| u16::from(f.code)));
                }
                Ok(Some(Ok(msg))) => msg,
            };
            let Message::Text(text) = msg else { continue };
            let value: serde_json::Value = serde_json::from_str(&text).expect("frames are JSON");
            if value["type"] != "typing" {
                return Next::Frame(value);
            }
        }
    }

    /// The next typing indicator within `wait`, skipping every other frame (which
    /// [`Socket::next_within`] skips the other way round).
    pub async fn typing_within(&mut self, wait: Duration) -> Option<ServerFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()??.ok()?;
            let Message::Text(text) = msg else { continue };
            let value: serde_json::Value = serde_json::from_str(&text).expect("frames are JSON");
            if value["type"] == "typing" {
                return Some(serde_json::from_value(value).expect("server frames decode"));
            }
        }
    }

    /// The next conversation frame within `wait`.
    pub async fn try_next(&mut self, wait: Duration) -> Option<ServerFrame> {
        let value = self.try_next_json(wait).await?;
        Some(serde_json::from_value(value).expect("server frames decode"))
    }

    /// Reads JSON frames until one matches; panics after [`PATIENCE`].
    pub async fn until_json(
        &mut self,
        what: &str,
        pred: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        match self.find_json(pred).await {
            Some(v) => v,
            None => panic!("waited {PATIENCE:?} for {what}"),
        }
    }

    /// Reads JSON frames until one matches; `None` when none did within [`PATIENCE`].
    pub async fn find_json(
        &mut self,
        mut pred: impl FnMut(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.try_next_json(left).await?;
            if pred(&v) {
                return Some(v);
            }
        }
    }

    /// Reads conversation frames until one matches, returning it; panics after [`PATIENCE`].
    pub async fn until(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerFrame) -> bool,
    ) -> ServerFrame {
        let v = self
            .until_json(what, |v| {
                serde_json::from_value::<ServerFrame>(v.clone()).is_ok_and(|f| pred(&f))
            })
            .await;
        serde_json::from_value(v).expect("server frames decode")
    }

    pub async fn error(&mut self) -> shared::protocol::ErrorFrame {
        match self.until("an error frame", |f| matches!(f, ServerFrame::Error(_))).await {
            ServerFrame::Error(e) => e,
            _ => unreachable!(),
        }
    }

    pub async fn welcome(&mut self) -> Welcome {
        match self.next().await {
            ServerFrame::Welcome(w) => w,
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// The close code the server sent within `wait`: `Some(code)` when it closed (0 without a
    /// close frame), `None` when it stayed open.
    pub async fn close_code_within(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Some(frame.map_or(0, |f| u16::from(f.code)));
                }
                Ok(None | Some(Err(_))) => return Some(0),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Says hello as a teammate with `after` and reads the welcome and every backlog frame up to
    /// the newest item; `None` if the socket went quiet or closed before that.
    pub async fn read_history(&mut self, after: u64) -> Option<History> {
        self.send(&hello_agent(after)).await;
        let mut history = History { welcomed_at: None, last_seq: 0, frames: 0, items: Vec::new() };
        loop {
            let Next::Frame(f) = self.next_within(PATIENCE).await else { return None };
            let items = match f["type"].as_str() {
                Some("welcome") => {
                    history.welcomed_at = Some(std::time::Instant::now());
                    history.last_seq = f["last_seq"].as_u64().unwrap_or(0);
                    f["backlog"].clone()
                }
                Some("backlog") => f["items"].clone(),
                _ => continue,
            };
            history.frames += 1;
            history.items.extend(items.as_array().into_iter().flatten().cloned());
            let newest = history.items.last().and_then(|i| i["seq"].as_u64()).unwrap_or(after);
            if newest >= history.last_seq {
                return Some(history);
            }
        }
    }

    /// Whether the server closed the socket within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// What a hello brought back: the welcome and the backlog frames after it.
pub struct History {
    /// When the welcome arrived.
    pub welcomed_at: Option<std::time::Instant>,
    pub last_seq: u64,
    pub frames: usize,
    /// The items, as JSON, in the order they came.
    pub items: Vec<serde_json::Value>,
}

impl History {
    /// Whether the items are every one after `after` up to the newest, once each, in order.
    pub fn whole_after(&self, after: u64) -> bool {
        let seqs = self.items.iter().map(|i| i["seq"].as_u64());
        seqs.eq((after + 1..=self.last_seq).map(Some))
    }
}

pub fn hello_visitor(token: &str, last_seq: u64) -> ClientFrame {
    hello_visitor_beating(token, last_seq, false)
}

/// A visitor's hello that says (`beats`) whether the client pings whatever passes, as the
/// widget does: such a socket silent too long has nobody behind it.
pub fn hello_visitor_beating(token: &str, last_seq: u64, beats: bool) -> ClientFrame {
    ClientFrame::Hello(Hello {
        version: PROTOCOL_VERSION,
        credential: Credential::Visitor { token: token.to_owned() },
        last_seq,
        identity: None,
        beats,
        item_acks: false,
    })
}

pub fn hello_agent(last_seq: u64) -> ClientFrame {
    ClientFrame::Hello(Hello {
        version: PROTOCOL_VERSION,
        credential: Credential::Agent,
        last_seq,
        identity: None,
        beats: false,
        item_acks: false,
    })
}

/// A fresh hello whose client takes its own message's item as the ack, as the widget's and
/// the console's do (`item_acks`: no separate ack is sent for it).
pub fn hello_item_acks(credential: Credential) -> ClientFrame {
    ClientFrame::Hello(Hello {
        version: PROTOCOL_VERSION,
        credential,
        last_seq: 0,
        identity: None,
        beats: false,
        item_acks: true,
    })
}

pub fn say(client_id: &str, text: &str) -> ClientFrame {
    ClientFrame::Send { client_id: client_id.to_owned(), text: text.to_owned(), original: None }
}

/// A visitor with a conversation of their own.
pub struct Visitor {
    pub conversation_id: String,
    pub token: String,
    pub socket: Socket,
    pub welcome: Welcome,
}

impl Visitor {
    pub async fn join(edge: &Edge, site: &str) -> Visitor {
        Self::try_join(edge, site).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Visitor::join`] that reports what failed instead of panicking, for load generators
    /// that stop where the machine does.
    pub async fn try_join(edge: &Edge, site: &str) -> Result<Visitor> {
        Self::try_join_via(&edge.base, site, false).await
    }

    /// [`Visitor::try_join`] through the worker at `base` (http://host:port), for a load
    /// generator that reaches the worker by another address than the harness's; its hello
    /// says whether it pings whatever passes (`beats`), as the widget's does.
    pub async fn try_join_via(base: &str, site: &str, beats: bool) -> Result<Visitor> {
        Self::start(base, site, |token| hello_visitor_beating(token, 0, beats)).await
    }

    /// A new conversation whose socket takes its own items as acks ([`hello_item_acks`]).
    pub async fn join_item_acks(edge: &Edge, site: &str) -> Visitor {
        let hello = |token: &str| hello_item_acks(Credential::Visitor { token: token.to_owned() });
        Self::start(&edge.base, site, hello).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// A new conversation at `base`, its socket opened with the hello `hello` makes of its
    /// token.
    async fn start(
        base: &str,
        site: &str,
        hello: impl FnOnce(&str) -> ClientFrame,
    ) -> Result<Visitor> {
        let first = serde_json::json!({ "page_url": "http://shop.test/", "language": "en" });
        let created = start_conversation(base, site, &first).await?;
        let path = format!("/api/conversations/{}/ws", created.conversation_id);
        let url = shared::protocol::socket_url(base, &path);
        let hello = hello(&created.token);
        Self::resume_at(&url, &created.conversation_id, &created.token, hello).await
    }

    /// Reconnects to an existing conversation, as after a reload.
    pub async fn resume(edge: &Edge, conversation_id: &str, token: &str, last_seq: u64) -> Visitor {
        Self::try_resume(edge, conversation_id, token, last_seq)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn try_resume(
        edge: &Edge,
        conversation_id: &str,
        token: &str,
        last_seq: u64,
    ) -> Result<Visitor> {
        let url = visitor_url(edge, conversation_id);
        let hello = hello_visitor_beating(token, last_seq, false);
        Self::resume_at(&url, conversation_id, token, hello).await
    }

    /// [`Visitor::resume`] whose hello says it pings whatever passes, as the widget's does.
    pub async fn resume_beating(edge: &Edge, conversation_id: &str, token: &str) -> Visitor {
        let url = visitor_url(edge, conversation_id);
        Self::resume_at(&url, conversation_id, token, hello_visitor_beating(token, 0, true))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn resume_at(
        url: &str,
        conversation_id: &str,
        token: &str,
        hello: ClientFrame,
    ) -> Result<Visitor> {
        let mut socket = Socket::try_connect(url, None).await?;
        socket.send(&hello).await;
        let welcome = match socket.try_next(PATIENCE).await {
            Some(ServerFrame::Welcome(w)) => w,
            other => return Err(format!("expected a welcome, got {other:?}")),
        };
        Ok(Visitor {
            conversation_id: conversation_id.to_owned(),
            token: token.to_owned(),
            socket,
            welcome,
        })
    }

    /// Sends a message and waits for its acknowledgement, returning its sequence number.
    pub async fn say(&mut self, client_id: &str, text: &str) -> u64 {
        self.socket.send(&say(client_id, text)).await;
        let id = client_id.to_owned();
        match self
            .socket
            .until(
                "the ack",
                |f| matches!(f, ServerFrame::Ack { client_id, .. } if *client_id == id),
            )
            .await
        {
            ServerFrame::Ack { seq, .. } => seq,
            _ => unreachable!(),
        }
    }
}

/// A visitor's first contact, from an address of their own, with `body` as the widget's.
pub async fn start_conversation(
    base: &str,
    site: &str,
    body: &serde_json::Value,
) -> Result<ConversationCreated> {
    reqwest::Client::new()
        .post(format!("{base}/api/sites/{site}/conversations"))
        .header("CF-Connecting-IP", client_ip())
        .json(body)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("create conversation: {e}"))?
        .json()
        .await
        .map_err(|e| format!("created body: {e}"))
}

/// A refusal's status and code, to compare with what a test expects.
pub async fn refusal(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

pub fn visitor_url(edge: &Edge, conversation_id: &str) -> String {
    edge.ws_url(&format!("/api/conversations/{conversation_id}/ws"))
}

/// A signed-in teammate.
pub struct Agent {
    pub me: Me,
    pub cookie: String,
    base: String,
}

impl Agent {
    pub async fn login(edge: &Edge, site: &str, email: &str) -> Agent {
        let res = reqwest::Client::new()
            .post(format!("{}/api/admin/login", edge.base))
            .header("CF-Connecting-IP", client_ip())
            .json(&serde_json::json!({ "site_key": site, "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login for {email}");
        let set_cookie =
            res.headers().get("set-cookie").expect("a session cookie").to_str().unwrap();
        assert!(set_cookie.contains("HttpOnly"), "session cookie is HttpOnly: {set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let me: Me = res.json().await.expect("me");
        Agent { me, cookie, base: edge.base.clone() }
    }

    /// Opens the conversation as this agent and returns the socket after its welcome.
    pub async fn open(&self, conversation_id: &str) -> (Socket, Welcome) {
        let mut socket = self.socket(conversation_id).await;
        socket.send(&hello_agent(0)).await;
        let welcome = socket.welcome().await;
        (socket, welcome)
    }

    /// [`Agent::open`], taking its own items as acks ([`hello_item_acks`]).
    pub async fn open_item_acks(&self, conversation_id: &str) -> (Socket, Welcome) {
        let mut socket = self.socket(conversation_id).await;
        socket.send(&hello_item_acks(Credential::Agent)).await;
        let welcome = socket.welcome().await;
        (socket, welcome)
    }

    /// The conversation's socket as this agent, nothing said on it yet.
    pub async fn socket(&self, conversation_id: &str) -> Socket {
        let path = format!("/api/admin/conversations/{conversation_id}/ws");
        let url = shared::protocol::socket_url(&self.base, &path);
        Socket::connect(&url, Some(&self.cookie)).await
    }

    pub async fn inbox(&self) -> Socket {
        let url = format!("{}/api/admin/inbox/ws", self.base.replacen("http", "ws", 1));
        Socket::connect(&url, Some(&self.cookie)).await
    }
}

/// The backlog a fresh hello receives: every stored item of the conversation.
pub async fn history(edge: &Edge, v: &Visitor) -> Vec<Item> {
    Visitor::resume(edge, &v.conversation_id, &v.token, 0).await.welcome.backlog
}

/// The AI's message a frame carries, if any.
pub fn bot_text(f: &ServerFrame) -> Option<&str> {
    match f {
        ServerFrame::Item(i) => match &i.body {
            ItemBody::Message(m) if m.author == Author::Bot => Some(&m.text),
            _ => None,
        },
        _ => None,
    }
}

/// The timeline event a frame carries, if any.
pub fn event(f: &ServerFrame) -> Option<&Event> {
    match f {
        ServerFrame::Item(i) => match &i.body {
            ItemBody::Event(e) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

/// The demo site's settings (JSON of `SiteSettings`) with a change applied.
pub fn demo_settings(change: impl Fn(&mut serde_json::Value)) -> String {
    let mut s: serde_json::Value = serde_json::from_str(DEMO_SITE).expect("demo settings");
    change(&mut s);
    s.to_string()
}

impl Agent {
    /// A state-changing admin request, with the session cookie and its CSRF token.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .header("X-CSRF-Token", &self.me.csrf);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("admin request")
    }

    /// A read-only admin request with the session cookie.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .expect("admin request")
    }
}

impl Edge {
    /// `POST /api/setup` with the worker's setup token and any body.
    pub async fn setup_raw(&self, body: &serde_json::Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/api/setup", self.base))
            .bearer_auth(&self.setup_token)
            .json(body)
            .send()
            .await
            .expect("setup request")
    }

    /// Repeats the setup of an existing site with the same token, as an attacker who learned
    /// the first-run secret would.
    pub async fn setup_again(&self, site: &str) -> reqwest::Response {
        let settings: serde_json::Value = serde_json::from_str(DEMO_SITE).expect("demo settings");
        reqwest::Client::new()
            .post(format!("{}/api/setup", self.base))
            .bearer_auth(&self.setup_token)
            .json(&serde_json::json!({ "site_key": site, "settings": settings, "members": [] }))
            .send()
            .await
            .expect("setup request")
    }
}
