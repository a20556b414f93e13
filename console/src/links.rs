//! The pages a mailed link opens, before signing in: joining the team from an invitation
//! (`/admin/invite?site=…#token=…`) and setting a new password (`/admin/reset?site=…#token=…`).
//! Either ends signed in, on the inbox.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Me;
use shared::links::{AcceptInvite, InviteInfo, ResetFinish};

use crate::api;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Invite,
    Reset,
}

/// A mailed link, read from the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub kind: Kind,
    pub site: String,
    pub token: String,
}

/// The link in the page's address, if it is one.
pub fn from_location() -> Option<Link> {
    let loc = web_sys::window()?.location();
    let kind = match loc.pathname().ok()?.trim_end_matches('/') {
        "/admin/invite" => Kind::Invite,
        "/admin/reset" => Kind::Reset,
        _ => return None,
    };
    let search = loc.search().ok()?;
    let site = search.trim_start_matches('?').split('&').find_map(|p| p.strip_prefix("site="))?;
    let hash = loc.hash().ok()?;
    let token = hash.trim_start_matches('#').strip_prefix("token=")?;
    let link = Link { kind, site: site.to_owned(), token: token.to_owned() };
    // Read once: the secret leaves the address bar and the history at once, whatever
    // happens next (a reload then shows the sign-in page).
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/admin"));
    }
    Some(link)
}

/// Signs in with what was just set. The account is ready even if this fails (then the
/// sign-in page says so): the link is spent either way.
async fn sign_in(
    link: &Link,
    email: String,
    password: String,
    account: RwSignal<Option<Me>>,
    notice: RwSignal<Option<String>>,
) {
    match api::login(link.site.clone(), email, password).await {
        Ok(me) => account.set(Some(me)),
        Err(e) => notice
            .set(Some(format!("Your account is ready; sign in with your new password. ({e})"))),
    }
}

#[component]
pub fn LinkPage(
    link: Link,
    account: RwSignal<Option<Me>>,
    notice: RwSignal<Option<String>>,
    open: RwSignal<Option<Link>>,
) -> impl IntoView {
    match link.kind {
        Kind::Invite => view! { <Join link account notice open/> }.into_any(),
        Kind::Reset => view! { <Reset link account notice open/> }.into_any(),
    }
}

/// What a link page shows and where it leads.
#[derive(Clone, Copy)]
struct Page {
    account: RwSignal<Option<Me>>,
    notice: RwSignal<Option<String>>,
    open: RwSignal<Option<Link>>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

/// Runs the link's call; once it has set the account up, signs in with the new password and
/// leaves the page (the link is spent either way).
fn complete(
    call: impl std::future::Future<Output = Result<shared::links::AccountReady, String>> + 'static,
    link: Link,
    password: String,
    page: Page,
) {
    page.busy.set(true);
    spawn_local(async move {
        match call.await {
            Ok(ready) => {
                sign_in(&link, ready.email, password, page.account, page.notice).await;
                page.open.set(None);
            }
            Err(e) => page.error.set(Some(e)),
        }
        page.busy.set(false);
    });
}

/// Two password fields that must match, with the length the server asks for.
fn passwords_differ(a: &str, b: &str) -> Option<String> {
    (a != b).then(|| "The two passwords do not match.".to_owned())
}

#[component]
fn Join(
    link: Link,
    account: RwSignal<Option<Me>>,
    notice: RwSignal<Option<String>>,
    open: RwSignal<Option<Link>>,
) -> impl IntoView {
    let info = RwSignal::new(None::<Result<InviteInfo, String>>);
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    {
        let (site, token) = (link.site.clone(), link.token.clone());
        spawn_local(async move { info.set(Some(api::invite_info(&site, &token).await)) });
    }
    let link = StoredValue::new(link);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(e) = passwords_differ(&password.get_untracked(), &repeat.get_untracked()) {
            error.set(Some(e));
            return;
        }
        let l = link.get_value();
        let accept = AcceptInvite {
            site_key: l.site.clone(),
            token: l.token.clone(),
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        let page = Page { account, notice, open, error, busy };
        let password = accept.password.clone();
        complete(async move { api::accept_invite(&accept).await }, l, password, page);
    };
    view! {
        <main class="login">
            {move || match info.get() {
                None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <section class="link-gone" aria-labelledby="join-title">
                        <h1 id="join-title">"This invitation cannot be used"</h1>
                        <p role="alert">{e}</p>
                        <p><a href="/admin">"Go to sign-in"</a></p>
                    </section>
                }.into_any(),
                Some(Ok(i)) => view! {
                    <form on:submit=submit aria-labelledby="join-title">
                        <h1 id="join-title">{format!("Join the {} team", i.site_title)}</h1>
                        <p class="notice">{format!("{} invited you as {}. You will sign in as {}.", i.invited_by, i.role.as_str(), i.email)}</p>
                        <label>"Display name (visitors see it on your messages)"
                            <input required maxlength="60" autocomplete="name" prop:value=move || name.get()
                                on:input=move |e| name.set(event_target_value(&e))/></label>
                        <label>"Password (10 characters or more)"
                            <input type="password" required minlength="10" autocomplete="new-password" prop:value=move || password.get()
                                on:input=move |e| password.set(event_target_value(&e))/></label>
                        <label>"Password again"
                            <input type="password" required minlength="10" autocomplete="new-password" prop:value=move || repeat.get()
                                on:input=move |e| repeat.set(event_target_value(&e))/></label>
                        <p class="error" role="alert">{move || error.get()}</p>
                        <button type="submit" disabled=move || busy.get()>"Join the team"</button>
                    </form>
                }.into_any(),
            }}
        </main>
    }
}

#[component]
fn Reset(
    link: Link,
    account: RwSignal<Option<Me>>,
    notice: RwSignal<Option<String>>,
    open: RwSignal<Option<Link>>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let link = StoredValue::new(link);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(e) = passwords_differ(&password.get_untracked(), &repeat.get_untracked()) {
            error.set(Some(e));
            return;
        }
        let l = link.get_value();
        let finish = ResetFinish {
            site_key: l.site.clone(),
            token: l.token.clone(),
            password: password.get_untracked(),
        };
        let page = Page { account, notice, open, error, busy };
        let password = finish.password.clone();
        complete(async move { api::finish_reset(&finish).await }, l, password, page);
    };
    view! {
        <main class="login">
            <form on:submit=submit aria-labelledby="reset-title">
                <h1 id="reset-title">"Set a new password"</h1>
                <p class="notice">"Setting it signs you out on every other device."</p>
                <label>"New password (10 characters or more)"
                    <input type="password" required minlength="10" autocomplete="new-password" prop:value=move || password.get()
                        on:input=move |e| password.set(event_target_value(&e))/></label>
                <label>"New password again"
                    <input type="password" required minlength="10" autocomplete="new-password" prop:value=move || repeat.get()
                        on:input=move |e| repeat.set(event_target_value(&e))/></label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" disabled=move || busy.get()>"Set the password and sign in"</button>
                <p><a href="/admin">"Back to sign-in"</a></p>
            </form>
        </main>
    }
}
