//! The site's own secrets on the settings page: its model API key (write-only: a hint of it is
//! all that is ever shown) and its bot's signing secret (shown once, when created or rotated).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Me, SecretInfo, SecretsStatus};

use crate::{api, time};

type Message = RwSignal<Option<(bool, String)>>;

/// Runs a call that answers a status (of the secrets, of the channels): shows that status, and
/// beside it `done` (when given) or the refusal.
pub fn apply<S: Send + Sync + 'static>(
    status: RwSignal<Option<S>>,
    message: Message,
    call: impl std::future::Future<Output = Result<S, api::Failed>> + 'static,
    done: Option<&'static str>,
) {
    spawn_local(async move {
        match call.await {
            Ok(s) => {
                status.set(Some(s));
                if let Some(done) = done {
                    message.set(Some((true, done.to_owned())));
                }
            }
            Err(e) => message.set(Some((false, e))),
        }
    });
}

fn described(info: &SecretInfo) -> String {
    format!("{} · set {}", info.hint, time::clock(info.created_at))
}

/// The API key row of the model engine. `base_url` is the host the settings point at.
#[component]
pub fn ModelKey(me: RwSignal<Me>, base_url: Signal<String>) -> impl IntoView {
    let status = RwSignal::new(None::<SecretsStatus>);
    let message = RwSignal::new(None::<(bool, String)>);
    let draft = RwSignal::new(String::new());
    apply(status, message, api::secrets(), None);
    let save = move |_| {
        let key = draft.get_untracked();
        if key.trim().is_empty() {
            return;
        }
        let url = base_url.get_untracked();
        let csrf = me.get_untracked().csrf;
        let call = async move {
            let saved = api::set_model_key(&csrf, &key, &url).await;
            if saved.is_ok() {
                draft.set(String::new());
            }
            saved
        };
        apply(status, message, call, Some("Key saved. It is never shown again."));
    };
    let remove = move |_| {
        let csrf = me.get_untracked().csrf;
        let call = async move { api::delete_model_key(&csrf).await };
        apply(status, message, call, Some("Key removed."));
    };
    let current = move || {
        status.with(|s| {
            s.as_ref().and_then(|s| s.model_key.as_ref()).map(|k| {
                let endpoint = k.endpoint.clone().unwrap_or_default();
                let said = format!("{}, saved {}", k.hint, time::clock(k.created_at));
                (said, endpoint)
            })
        })
    };
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    let deployment_url = move || {
        status.with(|s| s.as_ref().map(|s| s.deployment_model_url.clone()).unwrap_or_default())
    };
    // The deployment's host works without a key of the site's own; any other needs one saved
    // for that very host (the server checks the same).
    let needs_own = move || {
        let url = base_url.get();
        status.with(Option::is_some)
            && !same(&url, &deployment_url())
            && current().is_none_or(|(_, endpoint)| !same(&url, &endpoint))
    };
    view! {
        <div class="secret" role="group" aria-labelledby="model-key-title">
            <h2 id="model-key-title">"API key"</h2>
            <p class="hint">
                {move || match current() {
                    Some((key, endpoint)) => format!("This site's own key ({key}) is set for {endpoint}, and is sent nowhere else."),
                    None => format!("Without a key of the site's own, the deployment's key is used, and only for {}.", deployment_url()),
                }}
            </p>
            <Show when=needs_own>
                <p class="warning" role="alert">"This host needs the site's own API key for it: save one below before saving the settings."</p>
            </Show>
            <div class="inline">
                <label>"New API key"
                    <input type="password" autocomplete="off" spellcheck="false" prop:value=move || draft.get()
                        on:input=move |e| draft.set(event_target_value(&e))/></label>
                <button type="button" on:click=save disabled=move || draft.with(|d| d.trim().is_empty())>"Save key"</button>
                <Show when=move || current().is_some()>
                    <button type="button" class="danger" on:click=remove>"Remove key"</button>
                </Show>
            </div>
            <p role="status" class:error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
                {move || message.get().map(|(_, m)| m)}
            </p>
        </div>
    }
}

/// Which shared secret: the site's bot signs with one, the site's backend signs visitor
/// identities with the other.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    Bot,
    Identity,
}

impl Shared {
    fn name(self) -> &'static str {
        match self {
            Shared::Bot => "webhook",
            Shared::Identity => "identity",
        }
    }

    fn current(self, s: &SecretsStatus) -> Option<&SecretInfo> {
        match self {
            Shared::Bot => s.webhook.as_ref(),
            Shared::Identity => s.identity.as_ref(),
        }
    }

    fn previous(self, s: &SecretsStatus) -> Option<&SecretInfo> {
        match self {
            Shared::Bot => s.webhook_previous.as_ref(),
            Shared::Identity => s.identity_previous.as_ref(),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Shared::Bot => "Signing secret",
            Shared::Identity => "Identity secret",
        }
    }

    fn said(self, hint: Option<String>) -> String {
        match (self, hint) {
            (Shared::Bot, Some(s)) => {
                format!("Calls to your bot are signed (Standard Webhooks) with {s}.")
            }
            (Shared::Bot, None) => {
                "No signing secret yet: your bot cannot be called until you create one.".into()
            }
            (Shared::Identity, Some(s)) => {
                format!("Your backend signs visitor identity tokens (JWT, HS256) with {s}.")
            }
            (Shared::Identity, None) => {
                "No identity secret yet: create one for your backend to sign visitor identities."
                    .into()
            }
        }
    }
}

/// A secret shared with the site's own servers: created or rotated here, shown once.
#[component]
pub fn SharedSecret(me: RwSignal<Me>, which: Shared) -> impl IntoView {
    let status = RwSignal::new(None::<SecretsStatus>);
    let shown = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<(bool, String)>);
    let load = move || apply(status, message, api::secrets(), None);
    load();
    let rotate = move |_| {
        spawn_local(async move {
            match api::rotate_secret(&me.get_untracked().csrf, which.name()).await {
                Ok(created) => {
                    shown.set(Some(created.secret));
                    message.set(None);
                    load();
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let end_previous = move |_| {
        let csrf = me.get_untracked().csrf;
        let call = async move { api::end_previous_secret(&csrf, which.name()).await };
        apply(status, message, call, Some("The previous secret no longer works."));
    };
    let copy = move |_| {
        if let Some(secret) = shown.get_untracked() {
            crate::app::copy_text(&secret, move |ok| message.set(Some(copied(ok))));
        }
    };
    let current = move || status.with(|s| s.as_ref().and_then(|s| which.current(s).map(described)));
    let previous = move || {
        status.with(|s| {
            s.as_ref().and_then(|s| which.previous(s)).and_then(|p| p.expires_at).map(time::clock)
        })
    };
    let title_id = format!("{}-secret-title", which.name());
    let labelled_by = title_id.clone();
    view! {
        <div class="secret" role="group" aria-labelledby=labelled_by>
            <h2 id=title_id>{which.title()}</h2>
            <p class="hint">{move || which.said(current())}</p>
            <Show when=move || previous().is_some()>
                <div class="inline">
                    <p class="hint">{move || format!("The previous secret stays valid until {}.", previous().unwrap_or_default())}</p>
                    <button type="button" class="danger" on:click=end_previous>"End it now"</button>
                </div>
            </Show>
            <button type="button" on:click=rotate>{move || match (current().is_some(), which) {
                (true, _) => "Rotate secret",
                (false, Shared::Bot) => "Create signing secret",
                (false, Shared::Identity) => "Create identity secret",
            }}</button>
            <Show when=move || shown.get().is_some()>
                <div class="inline">
                    <label>"Your new secret — copy it now, it is not shown again"
                        <input readonly spellcheck="false" prop:value=move || shown.get().unwrap_or_default()/></label>
                    <button type="button" on:click=copy>"Copy"</button>
                </div>
            </Show>
            <p role="status" class:error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
                {move || message.get().map(|(_, m)| m)}
            </p>
        </div>
    }
}

/// What a Copy button says when done.
pub fn copied(ok: bool) -> (bool, String) {
    if ok {
        (true, "Copied.".into())
    } else {
        (false, "The browser did not allow copying: select the text and copy it.".into())
    }
}
