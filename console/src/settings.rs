//! The settings page (owners and admins): the widget's look, when "Talk to a human" shows,
//! the takeover rules and texts (see `rules`), the AI engine and its Q&A, the embed snippet,
//! and the AI's usage. Saved settings reach open widgets at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Engine, LlmSettings, Me, SiteSettings, Usage, WebhookSettings};
use shared::faq::FaqEntry;

use crate::api;
use crate::rules::{self, Hours, Origins, Takeover, TextsEditor};
use crate::secrets::{ModelKey, WebhookSecret};

#[component]
pub fn Settings(me: RwSignal<Me>) -> impl IntoView {
    let settings = RwSignal::new(None::<SiteSettings>);
    let usage = RwSignal::new(Vec::<Usage>::new());
    let status = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::settings().await {
            Ok(s) => settings.set(Some(s)),
            Err(e) => status.set(Some(e)),
        }
        if let Ok(u) = api::usage().await {
            usage.set(u);
        }
    });
    let edit = move |f: &dyn Fn(&mut SiteSettings)| rules::edit(settings, f);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(current) = settings.get_untracked() else { return };
        spawn_local(async move {
            match api::save_settings(&me.get_untracked().csrf, &current).await {
                Ok(saved) => {
                    settings.set(Some(saved));
                    status.set(Some("Saved. Open widgets show the change now.".into()));
                }
                Err(e) => status.set(Some(e)),
            }
        });
    };
    let field = move |get: fn(&SiteSettings) -> String| move || rules::read(settings, get);
    let engine_kind = move || {
        rules::read(settings, |s| match &s.engine {
            Engine::Faq => "faq",
            Engine::Llm(_) => "llm",
            Engine::Webhook(_) => "webhook",
        })
    };
    let is_llm = move || engine_kind() == "llm";
    let is_webhook = move || engine_kind() == "webhook";
    let webhook_url = move || {
        rules::read(settings, |s| match &s.engine {
            Engine::Webhook(w) => w.url.clone(),
            _ => String::new(),
        })
    };
    let llm = move |f: &dyn Fn(&mut LlmSettings)| {
        edit(&|s| {
            if let Engine::Llm(l) = &mut s.engine {
                f(l)
            }
        })
    };
    let llm_field = move |get: fn(&LlmSettings) -> String| {
        move || {
            rules::read(settings, |s| match &s.engine {
                Engine::Llm(l) => get(l),
                _ => String::new(),
            })
        }
    };
    let snippet = move || {
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        let key = me.with(|m| m.site_key.clone());
        format!(r#"<script async src="{origin}/widget/embed.js" data-site-key="{key}"></script>"#)
    };
    let copy_status = RwSignal::new(None::<(bool, String)>);
    let faq_rows = move || {
        settings.with(|s| {
            s.as_ref()
                .map(|s| s.faq.clone())
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .collect::<Vec<_>>()
        })
    };

    view! {
        <main class="page" aria-labelledby="settings-title">
            <h1 id="settings-title">"Settings"</h1>
            <p role="status">{move || status.get()}</p>
            // An empty form before the settings arrive could be saved over them.
            <Show when=move || settings.with(Option::is_some) fallback=|| view! { <p>"Loading settings…"</p> }>
            <form class="settings" on:submit=save>
                <fieldset>
                    <legend>"Widget"</legend>
                    <label>"Title" <input required maxlength="80" prop:value=field(|s| s.title.clone())
                        on:input=move |e| { let v = event_target_value(&e); edit(&|s| s.title = v.clone()) }/></label>
                    <label>"Theme colour" <input type="color" prop:value=field(|s| s.color.clone())
                        on:input=move |e| { let v = event_target_value(&e); edit(&|s| s.color = v.clone()) }/></label>
                    <label>"Show \"Talk to a human\" after this many visitor messages"
                        <input type="number" min="0" max="50" prop:value=field(|s| s.human_button_after.to_string())
                            on:input=move |e| { let v = event_target_value(&e).parse().unwrap_or(0); edit(&|s| s.human_button_after = v) }/></label>
                </fieldset>
                <Takeover draft=settings/>
                <Hours draft=settings/>
                <TextsEditor draft=settings/>
                <Origins draft=settings/>
                <fieldset>
                    <legend>"AI engine"</legend>
                    <label>"Engine"
                        <select on:change=move |e| {
                            let kind = event_target_value(&e);
                            edit(&|s| s.engine = match kind.as_str() {
                                "llm" => Engine::Llm(LlmSettings { base_url: "https://api.openai.com/v1".into(), model: String::new(), system_prompt: String::new(), timeout_ms: 20_000 }),
                                "webhook" => Engine::Webhook(WebhookSettings { url: String::new() }),
                                _ => Engine::Faq,
                            });
                        }>
                            <option value="faq" selected=move || engine_kind() == "faq">"FAQ (offline)"</option>
                            <option value="llm" selected=is_llm>"OpenAI-compatible model"</option>
                            <option value="webhook" selected=is_webhook>"Your own bot (webhook)"</option>
                        </select>
                    </label>
                    <Show when=is_webhook>
                        <label>"Webhook URL" <input type="url" required prop:value=webhook_url
                            on:input=move |e| { let v = event_target_value(&e); edit(&|s| if let Engine::Webhook(w) = &mut s.engine { w.url = v.clone() }) }/></label>
                        <p class="hint">"Each visitor message is POSTed there, signed with the site's signing secret; answer in the response or later through POST /api/bot/conversations/{id}/reply (see the README for the signature)."</p>
                        <WebhookSecret me/>
                    </Show>
                    <Show when=is_llm>
                        <label>"Base URL" <input type="url" required prop:value=llm_field(|l| l.base_url.clone())
                            on:input=move |e| { let v = event_target_value(&e); llm(&|l| l.base_url = v.clone()) }/></label>
                        <label>"Model" <input required prop:value=llm_field(|l| l.model.clone())
                            on:input=move |e| { let v = event_target_value(&e); llm(&|l| l.model = v.clone()) }/></label>
                        <label>"System prompt" <textarea prop:value=llm_field(|l| l.system_prompt.clone())
                            on:input=move |e| { let v = event_target_value(&e); llm(&|l| l.system_prompt = v.clone()) }></textarea></label>
                        <ModelKey me base_url=Signal::derive(llm_field(|l| l.base_url.clone()))/>
                    </Show>
                </fieldset>
                <fieldset>
                    <legend>"Questions and answers"</legend>
                    <For each=faq_rows key=|(i, e)| (*i, e.question.clone()) let:row>
                        {
                            let (i, entry) = row;
                            view! {
                                <div class="qa">
                                    <label>{format!("Question {}", i + 1)} <input required placeholder="What visitors ask, e.g. How long does delivery take?" prop:value=entry.question.clone()
                                        on:change=move |e| { let v = event_target_value(&e); edit(&|s| if let Some(x) = s.faq.get_mut(i) { x.question = v.clone() }) }/></label>
                                    <label>{format!("Answer {}", i + 1)} <textarea required placeholder="The answer the AI gives" prop:value=entry.answer.clone()
                                        on:change=move |e| { let v = event_target_value(&e); edit(&|s| if let Some(x) = s.faq.get_mut(i) { x.answer = v.clone() }) }></textarea></label>
                                    <button type="button" class="danger" on:click=move |_| edit(&|s| { if i < s.faq.len() { s.faq.remove(i); } })>
                                        {format!("Remove question {}", i + 1)}
                                    </button>
                                </div>
                            }
                        }
                    </For>
                    <button type="button" on:click=move |_| edit(&|s| s.faq.push(FaqEntry { question: String::new(), answer: String::new() }))>"Add a question"</button>
                </fieldset>
                <button type="submit" class="primary">"Save settings"</button>
            </form>
            </Show>
            <h2>"Embed"</h2>
            <label>"Paste this into your site's HTML"
                <textarea readonly rows="2" prop:value=snippet></textarea></label>
            <p class="save-row">
                <button type="button" on:click=move |_| crate::app::copy_text(&snippet(), move |ok| copy_status.set(Some(crate::secrets::copied(ok))))>"Copy snippet"</button>
                <span role="status" class:error=move || copy_status.with(|c| c.as_ref().is_some_and(|(ok, _)| !ok))>
                    {move || copy_status.get().map(|(_, m)| m)}
                </span>
            </p>
            <h2>"AI usage"</h2>
            <table>
                <thead><tr><th scope="col">"Day (UTC)"</th><th scope="col">"AI replies"</th><th scope="col">"Tokens"</th></tr></thead>
                <tbody>
                    <For each=move || usage.get() key=|u| u.day.clone() let:u>
                        <tr><td>{u.day.clone()}</td><td>{u.replies}</td><td>{u.tokens}</td></tr>
                    </For>
                </tbody>
            </table>
        </main>
    }
}
