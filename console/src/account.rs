//! Your own account: the name visitors see, the email you sign in with, your password, which
//! team mail you get, and this browser's alerts.
//! Email and password change only with your current password; a new password signs out every
//! other device.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Me, MemberChange};

use crate::alerts::Alerts;
use crate::api;

#[component]
pub fn Account(me: RwSignal<Me>) -> impl IntoView {
    let name = RwSignal::new(me.get_untracked().agent.name);
    let email = RwSignal::new(me.get_untracked().email);
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let before = me.get_untracked();
        let (new_password, again) = (password.get_untracked(), repeat.get_untracked());
        if new_password != again {
            status.set(Some((false, "The new passwords do not match.".into())));
            return;
        }
        let change = MemberChange {
            name: Some(name.get_untracked().trim().to_owned()).filter(|n| *n != before.agent.name),
            email: Some(email.get_untracked().trim().to_owned()).filter(|e| *e != before.email),
            password: Some(new_password).filter(|p| !p.is_empty()),
            current_password: Some(current.get_untracked()).filter(|p| !p.is_empty()),
            role: None,
        };
        if change.name.is_none() && change.email.is_none() && change.password.is_none() {
            status.set(Some((true, "Nothing to change.".into())));
            return;
        }
        let signs_out = change.password.is_some();
        busy.set(true);
        spawn_local(async move {
            match api::change_me(&before.csrf, &change).await {
                Ok(m) => {
                    me.update(|mine| {
                        mine.agent.name = m.name.clone();
                        mine.email = m.email.clone();
                    });
                    current.set(String::new());
                    password.set(String::new());
                    repeat.set(String::new());
                    let done = if signs_out {
                        "Saved. Your other devices are signed out."
                    } else {
                        "Saved."
                    };
                    status.set(Some((true, done.into())));
                }
                Err(e) => status.set(Some((false, e))),
            }
            busy.set(false);
        });
    };
    let needs_current =
        move || !password.get().is_empty() || email.get().trim() != me.with(|m| m.email.clone());

    view! {
        <main class="page narrow" aria-labelledby="account-title">
            <h1 id="account-title">"Your account"</h1>
            <form class="settings account" on:submit=save>
                <fieldset>
                    <legend>"Profile"</legend>
                    <label>"Display name (visitors see it on your messages)"
                        <input required maxlength="60" autocomplete="name" prop:value=move || name.get()
                            on:input=move |e| name.set(event_target_value(&e))/></label>
                    <label>"Email (you sign in with it)"
                        <input type="email" required autocomplete="username" prop:value=move || email.get()
                            on:input=move |e| email.set(event_target_value(&e))/></label>
                </fieldset>
                <fieldset>
                    <legend>"Password"</legend>
                    <label>"New password (10 characters or more)"
                        <input type="password" minlength="10" autocomplete="new-password" prop:value=move || password.get()
                            on:input=move |e| password.set(event_target_value(&e))/></label>
                    <label>"New password again"
                        <input type="password" minlength="10" autocomplete="new-password" prop:value=move || repeat.get()
                            on:input=move |e| repeat.set(event_target_value(&e))/></label>
                    <p class="hint">"A new password signs you out on every other device."</p>
                </fieldset>
                <Show when=needs_current>
                    <label>"Current password (needed to change your email or password)"
                        <input type="password" required autocomplete="current-password" prop:value=move || current.get()
                            on:input=move |e| current.set(event_target_value(&e))/></label>
                </Show>
                <div class="save-row">
                    <button type="submit" class="primary" disabled=move || busy.get()>"Save"</button>
                    <p role="status" class:error=move || status.with(|s| s.as_ref().is_some_and(|(ok, _)| !ok))>
                        {move || status.get().map(|(_, m)| m)}
                    </p>
                </div>
            </form>
            <crate::mail_prefs::MailPrefs me=me/>
            <AlertSettings/>
        </main>
    }
}

/// This browser's alerts: saved as they change, here rather than on the server, as each
/// device decides for itself whether it may ring.
#[component]
fn AlertSettings() -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    view! {
        <section class="settings account" aria-labelledby="alerts-settings">
            <h2 id="alerts-settings">"Alerts in this browser"</h2>
            <label class="check"><input type="checkbox" prop:checked=move || alerts.notify.get() == Some(true)
                on:change=move |e| alerts.set_notify(event_target_checked(&e))/>
                "A notification and a tone when a visitor asks for a person"</label>
            <label class="check"><input type="checkbox" prop:checked=move || alerts.repeat.get()
                disabled=move || alerts.notify.get() != Some(true)
                on:change=move |e| alerts.set_repeat(event_target_checked(&e))/>
                "Repeat the tone every 30 seconds while someone waits unclaimed"</label>
        </section>
    }
}
