//! The questions and answers the offline bot (and a model, as context) answers from. A new row
//! starts empty with placeholders, so nothing made up can be saved.

use leptos::prelude::*;
use shared::api::SiteSettings;
use shared::faq::FaqEntry;

use crate::rules::{Draft, edit};

pub fn take(from: &SiteSettings, to: &mut SiteSettings) {
    to.faq.clone_from(&from.faq);
    to.suggestions.clone_from(&from.suggestions);
}

/// A visitor's question the AI had no answer to, on its way from a conversation's "Add this
/// question to the FAQ" to the settings page, which opens a new entry with it.
#[derive(Clone, Copy)]
pub struct ToFaq {
    pub question: RwSignal<Option<String>>,
    /// Opens the settings page, asking first when something elsewhere is unsaved: whether it
    /// did.
    pub go: Callback<(), bool>,
}

impl ToFaq {
    pub fn send(self, question: String) {
        // Declined, the question is not kept for a later visit to Settings. (The page reads
        // it only once its settings have arrived, after this.)
        if self.go.run(()) {
            self.question.set(Some(question));
        }
    }

    /// The question waiting for the editor, once: a new entry with it and the answer left to
    /// write, where the cursor goes.
    pub fn receive(self, draft: Draft) {
        let Some(question) = self.question.try_update(Option::take).flatten() else { return };
        edit(draft, |s| s.faq.push(FaqEntry { question: question.clone(), answer: String::new() }));
        // The whole entry in view (its question too), the cursor on the answer.
        request_animation_frame(|| {
            let doc = web_sys::window().and_then(|w| w.document());
            let entry =
                doc.and_then(|d| d.query_selector("#questions .qa:last-of-type").ok().flatten());
            let Some(entry) = entry else { return };
            entry.scroll_into_view();
            let answer = entry.query_selector("textarea").ok().flatten();
            if let Some(el) =
                answer.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = el.focus();
            }
        });
    }
}

#[component]
pub fn FaqEditor(draft: Draft) -> impl IntoView {
    let rows = move || {
        draft.with(|s| {
            s.as_ref()
                .map(|s| s.faq.clone())
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <For each=rows key=|(i, e)| (*i, e.question.clone()) let:row>
            {
                let (i, entry) = row;
                view! {
                    <div class="qa">
                        <label>{format!("Question {}", i + 1)} <input required placeholder="What visitors ask, e.g. How long does delivery take?" prop:value=entry.question.clone()
                            on:change=move |e| { let v = event_target_value(&e); edit(draft, |s| if let Some(x) = s.faq.get_mut(i) { x.question = v.clone() }) }/></label>
                        <label>{format!("Answer {}", i + 1)} <textarea required placeholder="The answer the AI gives" prop:value=entry.answer.clone()
                            on:change=move |e| { let v = event_target_value(&e); edit(draft, |s| if let Some(x) = s.faq.get_mut(i) { x.answer = v.clone() }) }></textarea></label>
                        <button type="button" class="danger" on:click=move |_| edit(draft, |s| { if i < s.faq.len() { s.faq.remove(i); } })>
                            {format!("Remove question {}", i + 1)}
                        </button>
                    </div>
                }
            }
        </For>
        <button type="button" class="add" on:click=move |_| edit(draft, |s| s.faq.push(FaqEntry { question: String::new(), answer: String::new() }))>"Add a question"</button>
        <label>"Suggested when the chat opens, one question per line (up to 3); empty: the questions the AI answers most"
            <textarea rows="3" maxlength="400" placeholder="How do I track my order?"
                prop:value=move || draft.with(|s| s.as_ref().map(|s| s.suggestions.join("\n")).unwrap_or_default())
                on:change=move |e| {
                    let lines: Vec<String> = event_target_value(&e).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
                    edit(draft, |s| s.suggestions = lines.clone());
                }></textarea></label>
    }
}
