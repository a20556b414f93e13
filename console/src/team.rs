//! The team page (owners and admins): who is on the team, their roles, inviting, adding and
//! removing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Me, Member, MemberChange, NewMember};
use shared::protocol::Role;

use crate::api;

const ROLES: [Role; 4] = [Role::Owner, Role::Admin, Role::Responder, Role::Viewer];

#[component]
pub fn Team(me: RwSignal<Me>) -> impl IntoView {
    let members = RwSignal::new(Vec::<Member>::new());
    let error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::team().await {
                Ok(list) => members.set(list),
                Err(e) => error.set(Some(e)),
            }
        })
    };
    reload();
    let csrf = move || me.get_untracked().csrf;
    let set_role = move |id: String, role: Role| {
        spawn_local(async move {
            let change = MemberChange { role: Some(role), ..Default::default() };
            if let Err(e) = api::change_member(&csrf(), &id, &change).await {
                error.set(Some(e));
            }
            reload();
        })
    };
    let remove = move |id: String| {
        spawn_local(async move {
            if let Err(e) = api::remove_member(&csrf(), &id).await {
                error.set(Some(e));
            }
            reload();
        })
    };

    // Only an owner makes an owner.
    let offered_roles = move || {
        let i_own = me.with(|m| m.role == Role::Owner);
        ROLES.iter().copied().filter(|r| *r != Role::Owner || i_own).collect::<Vec<_>>()
    };
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Responder);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let member = NewMember {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::add_member(&csrf(), &member).await {
                Ok(_) => {
                    error.set(None);
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                }
                Err(e) => error.set(Some(e)),
            }
            reload();
        })
    };

    view! {
        <main class="page" aria-labelledby="team-title">
            <h1 id="team-title">"Team"</h1>
            <p class="error" role="alert">{move || error.get()}</p>
            <table>
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    <For each=move || members.get() key=|m| (m.id.clone(), m.role, m.name.clone()) let:m>
                        {
                            let (id, id2) = (m.id.clone(), m.id.clone());
                            let current = m.role;
                            let label = format!("Role of {}", m.email);
                            let is_me = me.with_untracked(|me| me.agent.id == m.id);
                            // What the server would refuse is not offered: an owner's account is
                            // an owner's to change, the last owner stays, and you leave the team
                            // through someone else.
                            let why_locked = move || {
                                let i_own = me.with(|me| me.role == Role::Owner);
                                let owners = members.with(|all| all.iter().filter(|x| x.role == Role::Owner).count());
                                if current == Role::Owner && !i_own {
                                    Some("Only an owner can change an owner.")
                                } else if current == Role::Owner && owners <= 1 {
                                    Some("The team needs at least one owner.")
                                } else {
                                    None
                                }
                            };
                            let offered = move || {
                                let i_own = me.with(|me| me.role == Role::Owner);
                                ROLES.iter().copied().filter(|r| i_own || *r != Role::Owner || *r == current).collect::<Vec<_>>()
                            };
                            view! {
                                <tr>
                                    <td>{if m.name.is_empty() { "(no display name)".to_owned() } else { m.name.clone() }}{is_me.then_some(" (you)")}</td>
                                    <td>{m.email.clone()}</td>
                                    <td>
                                        <select aria-label=label disabled=move || why_locked().is_some() title=move || why_locked().unwrap_or_default()
                                            on:change=move |e| {
                                                if let Some(r) = Role::parse(&event_target_value(&e)) { set_role(id.clone(), r) }
                                            }>
                                            {move || offered().into_iter().map(|r| view! {
                                                <option value=r.as_str() selected=r == current>{r.as_str()}</option>
                                            }).collect_view()}
                                        </select>
                                    </td>
                                    <td>
                                        <span class="hint">{why_locked}</span>
                                        <Show when=move || !is_me && why_locked().is_none()>
                                            <button class="danger" on:click={
                                                let id = id2.clone();
                                                move |_| remove(id.clone())
                                            }>"Remove"</button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <crate::invites::Invitations me roles=Signal::derive(offered_roles)/>
            <form class="add-member" on:submit=add aria-labelledby="add-title">
                <h2 id="add-title">"Add a teammate"</h2>
                <p class="hint">"With a password you choose and pass on to them yourself."</p>
                <label>"Email" <input type="email" required prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/></label>
                <label>"Display name" <input prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/></label>
                <label>"Password" <input type="password" autocomplete="new-password" required minlength="10"
                    prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/></label>
                <label>"Role"
                    <select on:change=move |e| { if let Some(r) = Role::parse(&event_target_value(&e)) { role.set(r) } }>
                        {move || offered_roles().into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == Role::Responder>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Add"</button>
            </form>
        </main>
    }
}
