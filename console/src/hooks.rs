//! Settings → Webhooks (owners and admins): endpoints that hear what happens to the site's
//! conversations, each with its own signing secret (shown once, when made or rotated) and
//! events; per endpoint, its last 50 deliveries with their outcome, a test event and
//! redelivery.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Me;
use shared::hooks::{Delivery, EVENTS, Endpoint, EndpointChange};

use crate::{api, time};

type Message = RwSignal<Option<(bool, String)>>;

#[component]
pub fn Webhooks(me: RwSignal<Me>) -> impl IntoView {
    let endpoints = RwSignal::new(Vec::<Endpoint>::new());
    let message: Message = RwSignal::new(None);
    // A secret just made, shown until the page changes.
    let secret = RwSignal::new(None::<(String, String)>);
    let reload = move || {
        spawn_local(async move {
            match api::hooks().await {
                Ok(list) => endpoints.set(list),
                Err(e) => message.set(Some((false, e))),
            }
        })
    };
    reload();
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(
        EVENTS
            .iter()
            .filter(|e| **e != "message.created")
            .map(|e| e.to_string())
            .collect::<Vec<_>>(),
    );
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = EndpointChange {
            url: Some(url.get_untracked().trim().to_owned()),
            events: Some(chosen.get_untracked()),
            enabled: None,
        };
        let csrf = me.get_untracked().csrf;
        spawn_local(async move {
            match api::add_hook(&csrf, &change).await {
                Ok(made) => {
                    url.set(String::new());
                    secret.set(Some((made.endpoint.url.clone(), made.secret)));
                    message.set(Some((
                        true,
                        "Endpoint added. Copy its signing secret now: it is not shown again."
                            .into(),
                    )));
                }
                Err(e) => message.set(Some((false, e))),
            }
            reload();
        })
    };
    view! {
        <section class="part" id="webhooks" aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">"Webhooks"</h2>
            <p class="hint">"Your servers hear what happens to conversations, signed as the Standard Webhooks \
                specification says (verify with any of its libraries). Failed deliveries are tried again for about \
                41 hours; an endpoint that answers 410 Gone is turned off."</p>
            <Show when=move || secret.get().is_some()>
                <p class="notice" role="status">
                    {move || secret.get().map(|(u, _)| format!("Signing secret for {u}: "))}
                    <code class="secret">{move || secret.get().map(|(_, s)| s)}</code>
                </p>
            </Show>
            <For each=move || endpoints.get() key=|e| (e.id.clone(), e.enabled, e.hint.clone(), e.events.len()) let:e>
                <EndpointView me endpoint=e reload=reload secret/>
            </For>
            <form class="hook-add" on:submit=add aria-labelledby="hook-add-title">
                <h3 id="hook-add-title">"Add an endpoint"</h3>
                <label>"Endpoint URL (https)"
                    <input type="url" required placeholder="https://example.com/takeover-events"
                        prop:value=move || url.get() on:input=move |e| url.set(event_target_value(&e))/></label>
                <fieldset>
                    <legend>"Events"</legend>
                    {EVENTS.iter().map(|name| {
                        let name = name.to_string();
                        let n2 = name.clone();
                        view! {
                            <label class="check"><input type="checkbox"
                                prop:checked=move || chosen.with(|c| c.contains(&n2))
                                on:change={
                                    let name = name.clone();
                                    move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| {
                                            c.retain(|x| *x != name);
                                            if on { c.push(name.clone()) }
                                        });
                                    }
                                }/>
                                <code>{name.clone()}</code></label>
                        }
                    }).collect_view()}
                </fieldset>
                <p class="save-row">
                    <button type="submit" class="primary">"Add endpoint"</button>
                    <span role="status" class:error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
                        {move || message.get().map(|(_, m)| m)}
                    </span>
                </p>
            </form>
        </section>
    }
}

#[component]
fn EndpointView(
    me: RwSignal<Me>,
    endpoint: Endpoint,
    reload: impl Fn() + Copy + 'static,
    secret: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    // What this endpoint's buttons did, beside them.
    let message: Message = RwSignal::new(None);
    let id = StoredValue::new(endpoint.id.clone());
    let deliveries = RwSignal::new(Vec::<Delivery>::new());
    // Also called a moment after a button's work, when the list may have drawn this endpoint
    // anew (turned off, a new secret) or dropped it: this view's values are gone then, and
    // there is nothing left to load.
    let load = move || {
        let Some(id) = id.try_get_value() else { return };
        spawn_local(async move {
            if let Ok(list) = api::deliveries(&id).await {
                deliveries.set(list);
            }
        })
    };
    load();
    let csrf = move || me.get_untracked().csrf;
    let act = move |what: &'static str| {
        spawn_local(async move {
            let id = id.get_value();
            let done = match what {
                "test" => api::test_hook(&csrf(), &id).await.map(|_| "Test event sent.".to_owned()),
                "rotate" => api::rotate_hook(&csrf(), &id).await.map(|s| {
                    secret.set(Some((s.endpoint.url.clone(), s.secret)));
                    "New secret made; the old one signs too for 24 hours.".to_owned()
                }),
                "remove" => {
                    api::remove_hook(&csrf(), &id).await.map(|()| "Endpoint removed.".to_owned())
                }
                _ => {
                    let on =
                        EndpointChange { enabled: Some(what == "enable"), ..Default::default() };
                    api::change_hook(&csrf(), &id, &on).await.map(|_| "Saved.".to_owned())
                }
            };
            match done {
                Ok(m) => message.set(Some((true, m))),
                Err(e) => message.set(Some((false, e))),
            }
            reload();
            // Deliveries follow within a moment.
            sleep(1500).await;
            load();
        })
    };
    let redeliver = move |delivery: i64| {
        spawn_local(async move {
            if let Err(e) = api::redeliver(&csrf(), &id.get_value(), delivery).await {
                message.set(Some((false, e)));
            }
            sleep(1500).await;
            load();
        })
    };
    let label = endpoint.url.clone();
    let enabled = endpoint.enabled;
    view! {
        <article class="hook" aria-label=format!("Endpoint {label}")>
            <h3><code>{endpoint.url.clone()}</code></h3>
            <p class="hint">
                {if enabled { "On".to_owned() } else { format!("Off. {}", endpoint.disabled_reason.clone().unwrap_or_default()) }}
                {format!(" · secret {} · {}", endpoint.hint, endpoint.events.join(", "))}
            </p>
            <p class="save-row">
                <button type="button" on:click=move |_| act("test")>"Send test event"</button>
                <button type="button" on:click=move |_| act("rotate")>"Rotate secret"</button>
                {if enabled {
                    view! { <button type="button" on:click=move |_| act("disable")>"Turn off"</button> }.into_any()
                } else {
                    view! { <button type="button" on:click=move |_| act("enable")>"Turn on"</button> }.into_any()
                }}
                <button type="button" class="danger" on:click=move |_| act("remove")>"Remove"</button>
                <span role="status" class:error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
                    {move || message.get().map(|(_, m)| m)}
                </span>
            </p>
            <div class="table-scroll">
            <table class="deliveries">
                <caption>"Last deliveries"</caption>
                <thead><tr><th scope="col">"Time"</th><th scope="col">"Event"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    <For each=move || deliveries.get() key=|d| (d.id, d.status.clone(), d.attempts) let:d>
                        {
                            let outcome = match (&d.last_code, &d.last_error) {
                                (Some(code), _) => format!("{} ({code})", d.status),
                                (None, Some(e)) => format!("{} — {e}", d.status),
                                _ => d.status.clone(),
                            };
                            let n = d.id;
                            view! {
                                <tr>
                                    <td>{time::clock(d.created_at)}</td>
                                    <td><code>{d.kind.clone()}</code></td>
                                    <td>{outcome}</td>
                                    <td>{d.attempts}</td>
                                    <td><button type="button" aria-label=format!("Redeliver {}", d.event_id) on:click=move |_| redeliver(n)>"Redeliver"</button></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            </div>
        </article>
    }
}

/// Waits `ms` (deliveries are made by the site's alarm, a moment after they are asked for).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
