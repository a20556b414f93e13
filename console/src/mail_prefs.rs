//! Which team mail you get: a mail for each new request for a person (always, only outside
//! business hours, or never) and "still unclaimed" reminders. Kept on the server, as mail is
//! sent whatever device you use.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Me;
use shared::mail::{EmailPrefs, MyEmail, RequestMail};

use crate::api;

fn request_mail_value(r: RequestMail) -> &'static str {
    match r {
        RequestMail::Always => "always",
        RequestMail::OutsideHours => "outside_hours",
        RequestMail::Never => "never",
    }
}

fn request_mail_from(v: &str) -> RequestMail {
    match v {
        "always" => RequestMail::Always,
        "outside_hours" => RequestMail::OutsideHours,
        _ => RequestMail::Never,
    }
}

#[component]
pub fn MailPrefs(me: RwSignal<Me>) -> impl IntoView {
    let loaded = RwSignal::new(None::<MyEmail>);
    let new_requests = RwSignal::new(RequestMail::Never);
    let reminders = RwSignal::new(false);
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let take = move |mine: MyEmail| {
        new_requests.set(mine.prefs.new_requests);
        reminders.set(mine.prefs.reminders);
        loaded.set(Some(mine));
    };
    spawn_local(async move {
        match api::my_email().await {
            Ok(mine) => take(mine),
            Err(e) => status.set(Some((false, format!("Could not load your mail choices: {e}")))),
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let prefs = EmailPrefs {
            new_requests: new_requests.get_untracked(),
            reminders: reminders.get_untracked(),
        };
        let csrf = me.get_untracked().csrf;
        busy.set(true);
        spawn_local(async move {
            match api::set_my_email(&csrf, prefs).await {
                Ok(mine) => {
                    take(mine);
                    status.set(Some((true, "Saved.".into())));
                }
                Err(e) => status.set(Some((false, e))),
            }
            busy.set(false);
        });
    };
    let changed = move |_| status.set(None);
    view! {
        <form class="settings account" aria-labelledby="mail-settings" on:submit=save>
            <h2 id="mail-settings">"Email notifications"</h2>
            <p class="hint">
                {move || loaded.with(|l| l.as_ref().map(|m| format!("Sent to {}.", m.email)))}
                " Mails about many requests at once are gathered into one."
            </p>
            <Show when=move || loaded.with(|l| l.as_ref().is_some_and(|m| !m.sending))>
                <p class="notice">
                    "This deployment has no mail sender set up yet (MAIL_FROM), so no mail goes out; \
                     your choice applies once it has one."
                </p>
            </Show>
            <label>"Mail me when a visitor asks for a person or leaves a message"
                <select prop:value=move || request_mail_value(new_requests.get())
                    on:change=move |e| {
                        new_requests.set(request_mail_from(&event_target_value(&e)));
                        changed(());
                    }>
                    <option value="always">"For every request"</option>
                    <option value="outside_hours">"Only outside business hours"</option>
                    <option value="never">"Never"</option>
                </select>
            </label>
            <label class="check"><input type="checkbox" prop:checked=move || reminders.get()
                on:change=move |e| {
                    reminders.set(event_target_checked(&e));
                    changed(());
                }/>
                "Reminders when a request is still unclaimed (if the site sends them)"</label>
            <div class="save-row">
                <button type="submit" class="primary" disabled=move || busy.get() || loaded.with(Option::is_none)>
                    "Save email notifications"</button>
                <p role="status" class:error=move || status.with(|s| s.as_ref().is_some_and(|(ok, _)| !ok))>
                    {move || status.get().map(|(_, m)| m)}
                </p>
            </div>
        </form>
    }
}
