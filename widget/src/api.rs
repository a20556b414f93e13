//! The widget's HTTP calls and the visitor's saved conversation.

use gloo_net::http::Request;
use shared::api::{
    ContinueConversation, ConversationCreated, NewConversation, ResumeConversation, WidgetConfig,
};
use shared::read_json::{self, Fields};

pub async fn config(base: &str, site_key: &str) -> Result<WidgetConfig, String> {
    let res = Request::get(&format!("{base}/api/sites/{site_key}/config"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.ok() {
        return Err(refusal(res).await);
    }
    read(res, read_json::widget_config).await
}

/// The answer's body as `T` (see `shared::read_json` for why not serde).
async fn read<T>(
    res: gloo_net::http::Response,
    as_t: fn(serde_json::Value) -> Option<T>,
) -> Result<T, String> {
    let text = res.text().await.map_err(|e| e.to_string())?;
    read_json::parse(&text)
        .and_then(as_t)
        .ok_or_else(|| String::from("Takeover chat: the server's answer is not understood"))
}

/// The server's own words for a refusal (e.g. a page on an origin the site does not allow),
/// for the site owner reading the browser console.
async fn refusal(res: gloo_net::http::Response) -> String {
    let status = res.status();
    match read(res, read_json::api_error).await {
        Ok(e) => format!("Takeover chat: {} ({})", e.message, e.code),
        Err(_) => format!("Takeover chat: HTTP {status}"),
    }
}

/// The visitor's conversation, saved per site as the server gave it, so reloads and other
/// tabs resume it.
pub type Saved = ConversationCreated;

fn storage_key(site_key: &str) -> String {
    format!("takeover:{site_key}")
}

pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn saved(site_key: &str) -> Option<Saved> {
    let raw = local_storage()?.get_item(&storage_key(site_key)).ok().flatten()?;
    read_json::parse(&raw).and_then(read_json::conversation_created)
}

fn seen_key(site_key: &str) -> String {
    format!("takeover:{site_key}:seen")
}

/// The newest item of `conversation_id` the visitor has had in view (0 for none): what is
/// newer and from the team or the assistant is unread, across reloads and pages.
pub fn seen(site_key: &str, conversation_id: &str) -> u64 {
    let raw = local_storage().and_then(|s| s.get_item(&seen_key(site_key)).ok().flatten());
    let seen = raw.and_then(|r| {
        let mut f = Fields::of(read_json::parse(&r)?)?;
        (f.string("id")? == conversation_id).then_some(())?;
        f.number("seq")
    });
    seen.unwrap_or(0)
}

pub fn set_seen(site_key: &str, conversation_id: &str, seq: u64) {
    if let Some(s) = local_storage() {
        let value = serde_json::json!({ "id": conversation_id, "seq": seq }).to_string();
        let _ = s.set_item(&seen_key(site_key), &value);
    }
}

/// Forgets the saved conversation: the next start creates a new one.
pub fn forget(site_key: &str) {
    if let Some(s) = local_storage() {
        let _ = s.remove_item(&storage_key(site_key));
    }
}

/// The link back into a chat that a visitor was mailed (`#resume=…` on the chat page), taken
/// out of the address so that it is not bookmarked, shared or sent on.
pub fn take_resume_link() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let link = location.hash().ok()?.strip_prefix("#resume=")?.to_owned();
    let bare = format!("{}{}", location.pathname().ok()?, location.search().ok()?);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&bare));
    }
    Some(link)
}

/// Opens the mailed link's conversation on this device, saved as the site's conversation.
pub async fn resume(base: &str, site_key: &str, link: &str) -> Result<Saved, String> {
    let body = ResumeConversation { link: link.to_owned() };
    post(base, site_key, "/resume", &body).await
}

/// A signed-in user's recent conversation from another device, saved as the site's
/// conversation here; an error when they have none.
pub async fn continue_as(
    base: &str,
    site_key: &str,
    user_id: &str,
    token: &str,
) -> Result<Saved, String> {
    let body = ContinueConversation { user_id: user_id.to_owned(), token: token.to_owned() };
    post(base, site_key, "/continue", &body).await
}

/// A conversation (new, or an existing one with a credential for this device) from
/// `POST …/conversations{path}`, saved as the site's conversation here.
async fn post(
    base: &str,
    site_key: &str,
    path: &str,
    body: &impl serde::Serialize,
) -> Result<Saved, String> {
    let res = Request::post(&format!("{base}/api/sites/{site_key}/conversations{path}"))
        .json(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.ok() {
        return Err(refusal(res).await);
    }
    keep(site_key, read(res, read_json::conversation_created).await?)
}

fn keep(site_key: &str, saved: Saved) -> Result<Saved, String> {
    if let (Some(s), Ok(raw)) = (local_storage(), serde_json::to_string(&saved)) {
        let _ = s.set_item(&storage_key(site_key), &raw);
    }
    Ok(saved)
}

pub async fn start(base: &str, site_key: &str) -> Result<Saved, String> {
    let window = web_sys::window().ok_or("no window")?;
    let body = NewConversation {
        page_url: window.location().href().ok(),
        language: window.navigator().language(),
    };
    post(base, site_key, "", &body).await
}
