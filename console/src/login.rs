//! Sign-in, and asking for a link to set a new password.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Me;

use crate::api;

#[component]
pub fn Login(account: RwSignal<Option<Me>>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let site = RwSignal::new("demo".to_owned());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let forgot = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::login(site.get_untracked(), email.get_untracked(), password.get_untracked())
                .await
            {
                Ok(me) => {
                    notice.set(None);
                    account.set(Some(me));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <Show when=move || !forgot.get() fallback=move || view! { <Forgot site email forgot/> }>
            <form on:submit=submit aria-labelledby="login-title">
                <h1 id="login-title">"Sign in to the console"</h1>
                <Show when=move || notice.get().is_some()>
                    <p class="notice" role="status">{move || notice.get()}</p>
                </Show>
                <label>"Site" <input required prop:value=move || site.get() on:input=move |e| site.set(event_target_value(&e))/></label>
                <label>"Email" <input type="email" autocomplete="username" required
                    prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/></label>
                <label>"Password" <input type="password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/></label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
                <button type="button" class="link" on:click=move |_| forgot.set(true)>"Forgot your password?"</button>
            </form>
            </Show>
        </main>
    }
}

/// "Forgot your password?": a link by mail, if the email is a teammate's (the answer does not
/// say whether it is).
#[component]
fn Forgot(
    site: RwSignal<String>,
    email: RwSignal<String>,
    forgot: RwSignal<bool>,
) -> impl IntoView {
    let sent = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ask = shared::links::ResetRequest {
            site_key: site.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
        };
        busy.set(true);
        spawn_local(async move {
            match api::request_reset(&ask).await {
                Ok(()) => {
                    error.set(None);
                    sent.set(Some(shared::links::RESET_SENT.to_owned()));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Set a new password"</h1>
            <p class="hint">"We mail a link to set a new password to your team address."</p>
            <label>"Site" <input required prop:value=move || site.get() on:input=move |e| site.set(event_target_value(&e))/></label>
            <label>"Email" <input type="email" autocomplete="username" required
                prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/></label>
            <p class="notice" role="status" hidden=move || sent.with(Option::is_none)>{move || sent.get()}</p>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" disabled=move || busy.get()>"Mail me a link"</button>
            <button type="button" class="link" on:click=move |_| forgot.set(false)>"Back to sign-in"</button>
        </form>
    }
}
