//! Sign-in.

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
            </form>
        </main>
    }
}
