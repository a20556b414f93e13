//! The questions and answers the offline bot (and a model, as context) answers from. A new row
//! starts empty with placeholders, so nothing made up can be saved.

use leptos::prelude::*;
use shared::api::SiteSettings;
use shared::faq::FaqEntry;

use crate::rules::{Draft, edit};

pub fn take(from: &SiteSettings, to: &mut SiteSettings) {
    to.faq.clone_from(&from.faq);
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
    }
}
