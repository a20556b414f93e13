//! The settings page (owners and admins), in parts that each save on their own (`section`):
//! the widget's look with a live preview, the takeover rules, availability and business hours,
//! the texts, the origins allowed to embed, the AI engine, its questions and answers; then the
//! embed snippet and the AI's usage. Saved settings reach open widgets at once. Unsaved edits
//! are guarded: leaving the page (in the console, or the browser's reload and close) asks first.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Me, SiteSettings, Usage};

use crate::api;
use crate::engine::{self, EngineEditor};
use crate::faq::{self, FaqEditor};
use crate::look::{self, Look};
use crate::rules::{self, Hours, IdentityRules, Origins, Takeover, TeamEmail, TextsEditor};
use crate::section::{Section, Store, Take};

/// Set while the settings page holds edits that are not saved; the console's navigation asks
/// before leaving them.
#[derive(Clone, Copy)]
pub struct Unsaved(pub RwSignal<bool>);

impl Unsaved {
    /// Whether the page may change: nothing unsaved, or the person chose to drop it.
    pub fn may_leave(self) -> bool {
        if !self.0.get_untracked() {
            return true;
        }
        let leave = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(
                    "You have unsaved changes in Settings. Leave the page and lose them?",
                )
                .ok()
            })
            .unwrap_or(true);
        if leave {
            self.0.set(false);
        }
        leave
    }
}

/// Every part that saves, for the page-wide "anything unsaved?".
const PARTS: [Take; 9] = [
    look::take,
    rules::take_takeover,
    rules::take_hours,
    rules::take_email,
    rules::take_identity,
    rules::take_texts,
    rules::take_origins,
    engine::take,
    faq::take,
];

/// The browser's own "Leave site?" on reload or close while something is unsaved.
fn guard_unload(unsaved: Memo<bool>) {
    let handle = window_event_listener(leptos::ev::beforeunload, move |e| {
        if unsaved.try_get_untracked().unwrap_or(false) {
            e.prevent_default();
            e.set_return_value("unsaved");
        }
    });
    on_cleanup(move || handle.remove());
}

#[component]
pub fn Settings(me: RwSignal<Me>, unsaved: Unsaved) -> impl IntoView {
    let saved = RwSignal::new(None::<SiteSettings>);
    let draft = RwSignal::new(None::<SiteSettings>);
    let store = Store { saved, draft };
    let usage = RwSignal::new(Vec::<Usage>::new());
    let status = RwSignal::new(None::<String>);
    let to_faq = use_context::<faq::ToFaq>();
    // The engine may change here: composers ask again afterwards whether AI help is on.
    if let Some(help) = use_context::<crate::conversation::AiHelp>() {
        help.0.set(None);
    }
    spawn_local(async move {
        match api::settings().await {
            Ok(s) => {
                saved.set(Some(s.clone()));
                draft.set(Some(s));
                if let Some(to_faq) = to_faq {
                    to_faq.receive(draft);
                }
            }
            Err(e) => status.set(Some(e)),
        }
        if let Ok(u) = api::usage().await {
            usage.set(u);
        }
    });
    let any_unsaved = Memo::new(move |_| PARTS.iter().any(|take| store.dirty(*take)));
    Effect::new(move |_| unsaved.0.set(any_unsaved.get()));
    on_cleanup(move || unsaved.0.set(false));
    guard_unload(any_unsaved);
    let csrf = Signal::derive(move || me.with(|m| m.csrf.clone()));
    let snippet = move || {
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        let key = me.with(|m| m.site_key.clone());
        format!(r#"<script async src="{origin}/widget/embed.js" data-site-key="{key}"></script>"#)
    };
    let copy_status = RwSignal::new(None::<(bool, String)>);
    let jump = |id: &'static str, label: &'static str| {
        view! { <li><a href=format!("#{id}")>{label}</a></li> }
    };

    view! {
        <main class="page settings-page" aria-labelledby="settings-title">
            <h1 id="settings-title">"Settings"</h1>
            <nav class="parts" aria-label="Settings sections">
                <ul>
                    {jump("widget", "Widget")}
                    {jump("takeover", "Human takeover")}
                    {jump("hours", "Availability & hours")}
                    {jump("team-email", "Team email")}
                    {jump("identity", "Visitor identity")}
                    {jump("texts", "Texts")}
                    {jump("origins", "Allowed origins")}
                    {jump("engine", "AI engine")}
                    {jump("questions", "Questions and answers")}
                    {jump("channels", "Channels")}
                    {jump("webhooks", "Webhooks")}
                    {jump("embed", "Embed")}
                </ul>
            </nav>
            <p role="status">{move || status.get()}</p>
            // An empty form before the settings arrive could be saved over them.
            <Show when=move || draft.with(Option::is_some) fallback=|| view! { <p>"Loading settings…"</p> }>
                <Section id="widget" title="Widget" save="Save widget" store take=look::take csrf>
                    <Look draft/>
                </Section>
                <Section id="takeover" title="Human takeover" save="Save takeover" store take=rules::take_takeover csrf>
                    <Takeover draft/>
                </Section>
                <Section id="hours" title="Availability & hours" save="Save availability & hours" store take=rules::take_hours csrf>
                    <Hours draft/>
                </Section>
                <Section id="team-email" title="Team email" save="Save team email" saved="Saved. Reminders follow it from now on." store take=rules::take_email csrf>
                    <TeamEmail draft/>
                </Section>
                <Section id="identity" title="Visitor identity" save="Save visitor identity" saved="Saved. Widgets follow it from their next identify." store take=rules::take_identity csrf>
                    <IdentityRules draft/>
                    <crate::secrets::SharedSecret me which=crate::secrets::Shared::Identity/>
                </Section>
                <Section id="texts" title="Texts" save="Save texts" store take=rules::take_texts csrf>
                    <TextsEditor draft/>
                </Section>
                <Section id="origins" title="Allowed origins" save="Save allowed origins" store take=rules::take_origins csrf>
                    <Origins draft/>
                </Section>
                <Section id="engine" title="AI engine" save="Save AI engine" store take=engine::take csrf>
                    <EngineEditor draft me/>
                </Section>
                <Section id="questions" title="Questions and answers" save="Save questions" store take=faq::take csrf>
                    <FaqEditor draft/>
                </Section>
            </Show>
            <crate::channels::Channels me/>
            <crate::hooks::Webhooks me/>
            <section class="part" id="embed" aria-labelledby="embed-title">
                <h2 id="embed-title">"Embed"</h2>
                <label>"Paste this into your site's HTML"
                    <textarea readonly rows="2" prop:value=snippet></textarea></label>
                <p class="save-row">
                    <button type="button" on:click=move |_| crate::app::copy_text(&snippet(), move |ok| copy_status.set(Some(crate::secrets::copied(ok))))>"Copy snippet"</button>
                    <span role="status" class:error=move || copy_status.with(|c| c.as_ref().is_some_and(|(ok, _)| !ok))>
                        {move || copy_status.get().map(|(_, m)| m)}
                    </span>
                </p>
            </section>
            <section class="part" aria-labelledby="usage-title">
                <h2 id="usage-title">"AI usage"</h2>
                <table>
                    <thead><tr><th scope="col">"Day (UTC)"</th><th scope="col">"AI replies"</th><th scope="col">"Tokens"</th></tr></thead>
                    <tbody>
                        <For each=move || usage.get() key=|u| u.day.clone() let:u>
                            <tr><td>{u.day.clone()}</td><td>{u.replies}</td><td>{u.tokens}</td></tr>
                        </For>
                    </tbody>
                </table>
            </section>
        </main>
    }
}
