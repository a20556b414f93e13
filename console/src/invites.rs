//! Inviting teammates by email (owners and admins): the invited person sets their own name and
//! password from the mailed link; invitations not yet taken are listed, and can be revoked.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Me;
use shared::links::{Invitation, NewInvite};
use shared::protocol::Role;

use crate::{api, time};

#[component]
pub fn Invitations(me: RwSignal<Me>, roles: Signal<Vec<Role>>) -> impl IntoView {
    let pending = RwSignal::new(Vec::<Invitation>::new());
    let status = RwSignal::new(None::<(bool, String)>);
    let reload = move || {
        spawn_local(async move {
            match api::invitations().await {
                Ok(list) => pending.set(list),
                Err(e) => status.set(Some((false, e))),
            }
        })
    };
    reload();
    let csrf = move || me.get_untracked().csrf;
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Responder);
    let busy = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let invite = NewInvite {
            email: email.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            match api::invite(&csrf(), &invite).await {
                Ok(made) => {
                    email.set(String::new());
                    status.set(Some((true, format!("Invitation mailed to {}.", made.email))));
                }
                Err(e) => status.set(Some((false, e))),
            }
            busy.set(false);
            reload();
        })
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            match api::revoke_invitation(&csrf(), &id).await {
                Ok(()) => {
                    status.set(Some((true, "Invitation revoked: its link no longer works.".into())))
                }
                Err(e) => status.set(Some((false, e))),
            }
            reload();
        })
    };
    view! {
        <form class="add-member" on:submit=send aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite by email"</h2>
            <p class="hint">"They get a link, valid for 7 days, to choose their display name and password."</p>
            <label>"Email" <input type="email" required prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/></label>
            <label>"Role"
                <select on:change=move |e| { if let Some(r) = Role::parse(&event_target_value(&e)) { role.set(r) } }>
                    {move || roles.get().into_iter().map(|r| view! {
                        <option value=r.as_str() selected=r == Role::Responder>{r.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" disabled=move || busy.get()>"Send invitation"</button>
            <p role="status" class:error=move || status.with(|s| s.as_ref().is_some_and(|(ok, _)| !ok))>
                {move || status.get().map(|(_, m)| m)}
            </p>
        </form>
        <Show when=move || !pending.with(Vec::is_empty)>
            <section aria-labelledby="pending-invites">
                <h2 id="pending-invites">"Invitations not yet taken"</h2>
                <ul class="invites">
                    <For each=move || pending.get() key=|i| i.id.clone() let:i>
                        {
                            let id = i.id.clone();
                            let label = format!("Revoke the invitation to {}", i.email);
                            view! {
                                <li>
                                    <span>{format!("{} · {} · by {} · until {}", i.email, i.role.as_str(), i.invited_by, time::date(i.expires_at))}</span>
                                    <button class="danger" aria-label=label on:click=move |_| revoke(id.clone())>"Revoke"</button>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </section>
        </Show>
    }
}
