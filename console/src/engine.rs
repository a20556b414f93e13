//! The AI engine part of the settings page: the offline FAQ bot, an OpenAI-compatible model
//! (with the site's own key, see `secrets`), or the site's own bot behind a signed webhook.

use leptos::prelude::*;
use shared::api::{Engine, LlmSettings, Me, SiteSettings, WebhookSettings};

use crate::rules::{Draft, edit, read};
use crate::secrets::{ModelKey, Shared, SharedSecret};

pub fn take(from: &SiteSettings, to: &mut SiteSettings) {
    to.engine.clone_from(&from.engine);
}

#[component]
pub fn EngineEditor(draft: Draft, me: RwSignal<Me>) -> impl IntoView {
    let kind = move || {
        read(draft, |s| match &s.engine {
            Engine::Faq => "faq",
            Engine::Llm(_) => "llm",
            Engine::Webhook(_) => "webhook",
        })
    };
    let is_llm = move || kind() == "llm";
    let is_webhook = move || kind() == "webhook";
    let webhook_url = move || {
        read(draft, |s| match &s.engine {
            Engine::Webhook(w) => w.url.clone(),
            _ => String::new(),
        })
    };
    let llm = move |f: &dyn Fn(&mut LlmSettings)| {
        edit(draft, |s| {
            if let Engine::Llm(l) = &mut s.engine {
                f(l)
            }
        })
    };
    let llm_field = move |get: fn(&LlmSettings) -> String| {
        move || {
            read(draft, |s| match &s.engine {
                Engine::Llm(l) => get(l),
                _ => String::new(),
            })
        }
    };
    view! {
        <label>"Engine"
            <select on:change=move |e| {
                let kind = event_target_value(&e);
                edit(draft, |s| s.engine = match kind.as_str() {
                    "llm" => Engine::Llm(LlmSettings { base_url: "https://api.openai.com/v1".into(), model: String::new(), system_prompt: String::new(), timeout_ms: 20_000 }),
                    "webhook" => Engine::Webhook(WebhookSettings { url: String::new() }),
                    _ => Engine::Faq,
                });
            }>
                <option value="faq" selected=move || kind() == "faq">"FAQ (offline)"</option>
                <option value="llm" selected=is_llm>"OpenAI-compatible model"</option>
                <option value="webhook" selected=is_webhook>"Your own bot (webhook)"</option>
            </select>
        </label>
        <Show when=is_webhook>
            <label>"Webhook URL" <input type="url" required prop:value=webhook_url
                on:input=move |e| { let v = event_target_value(&e); edit(draft, |s| if let Engine::Webhook(w) = &mut s.engine { w.url = v.clone() }) }/></label>
            <p class="hint">"Each visitor message is POSTed there, signed with the site's signing secret; answer in the response or later through POST /api/bot/conversations/{id}/reply (see the README for the signature)."</p>
            <SharedSecret me which=Shared::Bot/>
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
    }
}
