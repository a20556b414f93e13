//! The widget's HTTP calls and the visitor's saved conversation.

use shared::api::{
    ContinueConversation, ConversationCreated, NewConversation, ResumeConversation, WidgetConfig,
};
use shared::read_json::{self, Fields};
use shared::write_json::{self, Object};
use takeover_client::json;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub async fn config(base: &str, site_key: &str) -> Result<WidgetConfig, String> {
    let url = format!("{base}/api/sites/{site_key}/config");
    fetch(&url, None, read_json::widget_config).await
}

/// The visitor-facing strings in the language `code` (`shared::widget_texts::CODES`).
pub async fn texts(base: &str, code: &str) -> Result<shared::widget_texts::Texts, String> {
    fetch(&format!("{base}/api/texts/{code}"), None, shared::widget_texts::Texts::read).await
}

/// The browser's own `fetch` (a POST of `json` when given), its answer read as `T` (see
/// `shared::read_json` for why not serde). A refusal gives the server's own words (e.g. a page
/// on an origin the site does not allow), for the site owner reading the browser console.
async fn fetch<T>(
    url: &str,
    json: Option<String>,
    as_t: fn(shared::json::Json) -> Option<T>,
) -> Result<T, String> {
    fetch_json(url, json)
        .await?
        .and_then(as_t)
        .ok_or_else(|| String::from("Takeover chat: the server's answer is not understood"))
}

/// What `fetch` does for every type of answer, compiled once (an async function is a copy per
/// type it is generic over); `None` for an answer that is not JSON.
async fn fetch_json(url: &str, json: Option<String>) -> Result<Option<shared::json::Json>, String> {
    let unreachable = |_| String::from("Takeover chat: the server cannot be reached");
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    if let Some(json) = json {
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&json));
        let headers = web_sys::Headers::new().map_err(unreachable)?;
        headers.set("content-type", "application/json").map_err(unreachable)?;
        init.set_headers(&headers);
    }
    let res = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await;
    let res: web_sys::Response = res.map_err(unreachable)?.unchecked_into();
    let text = match res.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let value = text.as_deref().and_then(json::parse);
    if !res.ok() {
        return Err(match value.and_then(read_json::api_error) {
            Some(e) => format!("Takeover chat: {} ({})", e.message, e.code),
            None => format!("Takeover chat: HTTP {}", res.status()),
        });
    }
    Ok(value)
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
    json::parse(&raw).and_then(read_json::conversation_created)
}

fn seen_key(site_key: &str) -> String {
    format!("takeover:{site_key}:seen")
}

/// The newest item of `conversation_id` the visitor has had in view (0 for none): what is
/// newer and from the team or the assistant is unread, across reloads and pages.
pub fn seen(site_key: &str, conversation_id: &str) -> u64 {
    let raw = local_storage().and_then(|s| s.get_item(&seen_key(site_key)).ok().flatten());
    let seen = raw.and_then(|r| {
        let mut f = Fields::of(json::parse(&r)?)?;
        (f.string("id")? == conversation_id).then_some(())?;
        f.number("seq")
    });
    seen.unwrap_or(0)
}

pub fn set_seen(site_key: &str, conversation_id: &str, seq: u64) {
    if let Some(s) = local_storage() {
        let seen = Object::new().str("id", conversation_id).uint("seq", seq).end();
        let _ = s.set_item(&seen_key(site_key), &seen);
    }
}

/// Forgets the saved conversation if it is still `conversation_id`: another tab may have
/// saved a newer one, which must stay.
pub fn forget(site_key: &str, conversation_id: &str) {
    if saved(site_key).is_some_and(|s| s.conversation_id == conversation_id)
        && let Some(s) = local_storage()
    {
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
    post(base, site_key, "/resume", write_json::resume_conversation(&body)).await
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
    post(base, site_key, "/continue", write_json::continue_conversation(&body)).await
}

/// A conversation (new, or an existing one with a credential for this device) from
/// `POST …/conversations{path}`, saved as the site's conversation here.
async fn post(base: &str, site_key: &str, path: &str, json: String) -> Result<Saved, String> {
    let url = format!("{base}/api/sites/{site_key}/conversations{path}");
    keep(site_key, fetch(&url, Some(json), read_json::conversation_created).await?)
}

fn keep(site_key: &str, saved: Saved) -> Result<Saved, String> {
    if let Some(s) = local_storage() {
        let _ = s.set_item(&storage_key(site_key), &write_json::conversation_created(&saved));
    }
    Ok(saved)
}

/// A new conversation, made by one tab at a time: a tab that waited while another made one
/// joins that one, if `usable` (not the conversation this tab just found gone).
pub async fn start(
    base: &str,
    site_key: &str,
    usable: impl Fn(&Saved) -> bool,
) -> Result<Saved, String> {
    let _held = crate::tabs::hold(&format!("takeover:start:{site_key}")).await;
    match saved(site_key).filter(|s| usable(s)) {
        Some(s) => Ok(s),
        None => make(base, site_key).await,
    }
}

async fn make(base: &str, site_key: &str) -> Result<Saved, String> {
    let window = web_sys::window().ok_or("no window")?;
    let body = NewConversation {
        page_url: window.location().href().ok(),
        language: window.navigator().language(),
    };
    post(base, site_key, "", write_json::new_conversation(&body)).await
}
