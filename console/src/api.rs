//! HTTP calls to the admin API. Every state-changing call carries the session's CSRF token.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{ApiError, LoginRequest, Me, Member, MemberChange, NewMember, Ticket};

/// A refusal as the API words it, or a network failure.
pub type Failed = String;

async fn read<T: DeserializeOwned>(res: Response) -> Result<T, Failed> {
    if res.ok() {
        return res.json().await.map_err(|e| e.to_string());
    }
    Err(match res.json::<ApiError>().await {
        Ok(e) => e.message,
        Err(_) => format!("The server answered {}.", res.status()),
    })
}

async fn send<T: DeserializeOwned>(
    req: RequestBuilder,
    csrf: &str,
    body: Option<&impl Serialize>,
) -> Result<T, Failed> {
    let req = req.header("X-CSRF-Token", csrf);
    let req = match body {
        Some(b) => req.json(b).map_err(|e| e.to_string())?,
        None => req.build().map_err(|e| e.to_string())?,
    };
    read(req.send().await.map_err(|e| e.to_string())?).await
}

pub async fn me() -> Result<Me, Failed> {
    read(Request::get("/api/admin/me").send().await.map_err(|e| e.to_string())?).await
}

/// The signed-in teammate as the server knows them now; `None` once the session has ended
/// (an error only when the server could not be asked).
pub async fn me_now() -> Result<Option<Me>, Failed> {
    let res = Request::get("/api/admin/me").send().await.map_err(|e| e.to_string())?;
    if res.status() == 401 { Ok(None) } else { read(res).await.map(Some) }
}

pub async fn secrets() -> Result<shared::api::SecretsStatus, Failed> {
    read(Request::get("/api/admin/secrets").send().await.map_err(|e| e.to_string())?).await
}

pub async fn channels() -> Result<shared::api::ChannelsStatus, Failed> {
    read(Request::get("/api/admin/channels").send().await.map_err(|e| e.to_string())?).await
}

pub async fn connect_telegram(
    csrf: &str,
    token: &str,
    api_base: &str,
) -> Result<shared::api::ChannelsStatus, Failed> {
    let api_base = Some(api_base.trim().to_owned()).filter(|b| !b.is_empty());
    let body = shared::api::ConnectTelegram { token: token.trim().to_owned(), api_base };
    send(Request::put("/api/admin/channels/telegram"), csrf, Some(&body)).await
}

/// Disconnects `channel` (`telegram`, `whatsapp`).
pub async fn disconnect_channel(
    csrf: &str,
    channel: &str,
) -> Result<shared::api::ChannelsStatus, Failed> {
    send(Request::delete(&format!("/api/admin/channels/{channel}")), csrf, None::<&()>).await
}

pub async fn connect_whatsapp(
    csrf: &str,
    ask: &shared::api::ConnectWhatsApp,
) -> Result<shared::api::ChannelsStatus, Failed> {
    send(Request::put("/api/admin/channels/whatsapp"), csrf, Some(ask)).await
}

pub async fn set_model_key(
    csrf: &str,
    key: &str,
    base_url: &str,
) -> Result<shared::api::SecretsStatus, Failed> {
    let body = shared::api::ModelKey { key: key.to_owned(), base_url: base_url.to_owned() };
    send(Request::put("/api/admin/secrets/model-key"), csrf, Some(&body)).await
}

pub async fn delete_model_key(csrf: &str) -> Result<shared::api::SecretsStatus, Failed> {
    send(Request::delete("/api/admin/secrets/model-key"), csrf, None::<&()>).await
}

/// Ends the secret `name` (`webhook`, `identity`) a rotation replaced.
pub async fn end_previous_secret(
    csrf: &str,
    name: &str,
) -> Result<shared::api::SecretsStatus, Failed> {
    send(Request::delete(&format!("/api/admin/secrets/{name}-previous")), csrf, None::<&()>).await
}

/// A new secret `name` (`webhook`, `identity`), shown this once.
pub async fn rotate_secret(csrf: &str, name: &str) -> Result<shared::api::CreatedSecret, Failed> {
    send(Request::post(&format!("/api/admin/secrets/{name}")), csrf, None::<&()>).await
}

pub async fn login(site_key: String, email: String, password: String) -> Result<Me, Failed> {
    let body = LoginRequest { site_key, email, password };
    let req = Request::post("/api/admin/login").json(&body).map_err(|e| e.to_string())?;
    read(req.send().await.map_err(|e| e.to_string())?).await
}

pub async fn logout(csrf: &str) {
    let req = Request::post("/api/admin/logout").header("X-CSRF-Token", csrf).build();
    if let Ok(req) = req {
        let _ = req.send().await;
    }
}

pub async fn team() -> Result<Vec<Member>, Failed> {
    read(Request::get("/api/admin/team").send().await.map_err(|e| e.to_string())?).await
}

pub async fn add_member(csrf: &str, member: &NewMember) -> Result<Member, Failed> {
    send(Request::post("/api/admin/team"), csrf, Some(member)).await
}

pub async fn change_member(csrf: &str, id: &str, change: &MemberChange) -> Result<Member, Failed> {
    send(Request::patch(&format!("/api/admin/team/{id}")), csrf, Some(change)).await
}

pub async fn change_me(csrf: &str, change: &MemberChange) -> Result<Member, Failed> {
    send(Request::patch("/api/admin/me"), csrf, Some(change)).await
}

async fn delete(path: &str, csrf: &str) -> Result<(), Failed> {
    let req = Request::delete(path).header("X-CSRF-Token", csrf);
    let res = req.send().await.map_err(|e| e.to_string())?;
    if res.ok() { Ok(()) } else { read::<()>(res).await }
}

pub async fn remove_member(csrf: &str, id: &str) -> Result<(), Failed> {
    delete(&format!("/api/admin/team/{id}"), csrf).await
}

pub async fn tickets() -> Result<Vec<Ticket>, Failed> {
    read(Request::get("/api/admin/tickets").send().await.map_err(|e| e.to_string())?).await
}

/// A draft from the site's model for the composer of conversation `id`.
pub async fn assist(
    csrf: &str,
    id: &str,
    ask: &shared::api::AssistRequest,
) -> Result<shared::api::AssistReply, Failed> {
    send(Request::post(&format!("/api/admin/conversations/{id}/assist")), csrf, Some(ask)).await
}

pub async fn settings() -> Result<shared::api::SiteSettings, Failed> {
    read(Request::get("/api/admin/settings").send().await.map_err(|e| e.to_string())?).await
}

pub async fn save_settings(
    csrf: &str,
    settings: &shared::api::SiteSettings,
) -> Result<shared::api::SiteSettings, Failed> {
    send(Request::put("/api/admin/settings"), csrf, Some(settings)).await
}

pub async fn usage() -> Result<Vec<shared::api::Usage>, Failed> {
    read(Request::get("/api/admin/usage").send().await.map_err(|e| e.to_string())?).await
}

pub async fn availability() -> Result<shared::api::Availability, Failed> {
    let res = Request::get("/api/admin/me/availability").send().await;
    read(res.map_err(|e| e.to_string())?).await
}

pub async fn set_availability(
    csrf: &str,
    set: shared::api::Availability,
) -> Result<shared::api::Availability, Failed> {
    send(Request::put("/api/admin/me/availability"), csrf, Some(&set)).await
}

pub async fn my_email() -> Result<shared::mail::MyEmail, Failed> {
    let res = Request::get("/api/admin/me/email").send().await;
    read(res.map_err(|e| e.to_string())?).await
}

pub async fn set_my_email(
    csrf: &str,
    prefs: shared::mail::EmailPrefs,
) -> Result<shared::mail::MyEmail, Failed> {
    send(Request::put("/api/admin/me/email"), csrf, Some(&prefs)).await
}

pub async fn invitations() -> Result<Vec<shared::links::Invitation>, Failed> {
    let res = Request::get("/api/admin/invitations").send().await;
    read(res.map_err(|e| e.to_string())?).await
}

pub async fn invite(
    csrf: &str,
    invite: &shared::links::NewInvite,
) -> Result<shared::links::Invitation, Failed> {
    send(Request::post("/api/admin/invitations"), csrf, Some(invite)).await
}

pub async fn revoke_invitation(csrf: &str, id: &str) -> Result<(), Failed> {
    delete(&format!("/api/admin/invitations/{id}"), csrf).await
}

/// A call made from a mailed link, before signing in (no session, so no CSRF token).
async fn unsigned<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, Failed> {
    let req = Request::post(path).json(body).map_err(|e| e.to_string())?;
    read(req.send().await.map_err(|e| e.to_string())?).await
}

pub async fn invite_info(site: &str, token: &str) -> Result<shared::links::InviteInfo, Failed> {
    let link = shared::links::InviteLink { site_key: site.to_owned(), token: token.to_owned() };
    unsigned("/api/account/invite/info", &link).await
}

pub async fn accept_invite(
    accept: &shared::links::AcceptInvite,
) -> Result<shared::links::AccountReady, Failed> {
    unsigned("/api/account/invite", accept).await
}

pub async fn request_reset(ask: &shared::links::ResetRequest) -> Result<(), Failed> {
    unsigned::<serde_json::Value>("/api/account/reset", ask).await.map(|_| ())
}

pub async fn finish_reset(
    finish: &shared::links::ResetFinish,
) -> Result<shared::links::AccountReady, Failed> {
    unsigned("/api/account/reset/finish", finish).await
}

pub async fn hooks() -> Result<Vec<shared::hooks::Endpoint>, Failed> {
    read(Request::get("/api/admin/hooks").send().await.map_err(|e| e.to_string())?).await
}

pub async fn add_hook(
    csrf: &str,
    change: &shared::hooks::EndpointChange,
) -> Result<shared::hooks::EndpointSecret, Failed> {
    send(Request::post("/api/admin/hooks"), csrf, Some(change)).await
}

pub async fn change_hook(
    csrf: &str,
    id: &str,
    change: &shared::hooks::EndpointChange,
) -> Result<shared::hooks::Endpoint, Failed> {
    send(Request::patch(&format!("/api/admin/hooks/{id}")), csrf, Some(change)).await
}

pub async fn remove_hook(csrf: &str, id: &str) -> Result<(), Failed> {
    delete(&format!("/api/admin/hooks/{id}"), csrf).await
}

pub async fn rotate_hook(csrf: &str, id: &str) -> Result<shared::hooks::EndpointSecret, Failed> {
    send(Request::post(&format!("/api/admin/hooks/{id}/rotate")), csrf, None::<&()>).await
}

pub async fn test_hook(csrf: &str, id: &str) -> Result<serde_json::Value, Failed> {
    send(Request::post(&format!("/api/admin/hooks/{id}/test")), csrf, None::<&()>).await
}

pub async fn deliveries(id: &str) -> Result<Vec<shared::hooks::Delivery>, Failed> {
    let res = Request::get(&format!("/api/admin/hooks/{id}/deliveries")).send().await;
    read(res.map_err(|e| e.to_string())?).await
}

pub async fn redeliver(csrf: &str, hook: &str, delivery: i64) -> Result<(), Failed> {
    let path = format!("/api/admin/hooks/{hook}/deliveries/{delivery}/redeliver");
    let req = Request::post(&path).header("X-CSRF-Token", csrf);
    let res = req.send().await.map_err(|e| e.to_string())?;
    if res.ok() { Ok(()) } else { read::<()>(res).await }
}
