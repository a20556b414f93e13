//! The teammate's own Available / Away, in the top bar. Away (or no console open) means
//! visitors are not offered you: with nobody available they get the contact form at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Availability, Me};

use crate::api;

#[component]
pub fn AvailabilitySwitch(me: Signal<Me>) -> impl IntoView {
    let away = RwSignal::new(None::<bool>);
    let failed = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::availability().await {
            Ok(a) => away.set(Some(a.away)),
            Err(e) => failed.set(Some(e)),
        }
    });
    let change = move |e: leptos::ev::Event| {
        let want = event_target_value(&e) == "away";
        let csrf = me.get_untracked().csrf;
        spawn_local(async move {
            match api::set_availability(&csrf, Availability { away: want }).await {
                Ok(a) => {
                    away.set(Some(a.away));
                    failed.set(None);
                }
                // The select shows what the server holds, not what was asked for.
                Err(e) => {
                    // Nothing to show again if the console has gone (signed out meanwhile).
                    if let Some(held) = away.try_get_untracked() {
                        away.set(held);
                    }
                    failed.set(Some(format!("Availability not changed: {e}")));
                }
            }
        });
    };
    view! {
        <label class="availability" class:away=move || away.get() == Some(true)>
            <span class="dot" aria-hidden="true"></span>
            <span class="sr-only">"Your availability"</span>
            <select on:change=change disabled=move || away.get().is_none()
                prop:value=move || if away.get() == Some(true) { "away" } else { "available" }>
                <option value="available">"Available"</option>
                <option value="away">"Away"</option>
            </select>
        </label>
        <Show when=move || failed.get().is_some()>
            <span class="error" role="alert">{move || failed.get()}</span>
        </Show>
    }
}
