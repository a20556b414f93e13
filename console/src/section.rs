//! One part of the settings page with its own form, Save button and result. A save sends the
//! site's current settings with only this part's fields changed, so an unsaved edit in another
//! part (or another admin's save of another part) is never carried along, and the result shows
//! beside the button that was pressed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::SiteSettings;

use crate::api;
use crate::rules::Draft;

/// Copies one part's fields from the first settings into the second.
pub type Take = fn(&SiteSettings, &mut SiteSettings);

/// The settings as last saved (per part) and as being edited.
#[derive(Clone, Copy)]
pub struct Store {
    pub saved: Draft,
    pub draft: Draft,
}

impl Store {
    /// Whether the part `take` copies differs between the edits and what was saved.
    pub fn dirty(self, take: Take) -> bool {
        self.draft.with(|d| {
            self.saved.with(|s| match (d, s) {
                (Some(d), Some(s)) => {
                    let mut merged = s.clone();
                    take(d, &mut merged);
                    merged != *s
                }
                _ => false,
            })
        })
    }
}

#[derive(Clone)]
enum Outcome {
    Saved,
    Refused(String),
}

#[component]
pub fn Section(
    id: &'static str,
    title: &'static str,
    /// The Save button's words, naming the part ("Save widget").
    save: &'static str,
    /// What a successful save says; by default, that open widgets have it now.
    #[prop(default = "Saved. Open widgets show the change now.")]
    saved: &'static str,
    store: Store,
    take: Take,
    csrf: Signal<String>,
    children: Children,
) -> impl IntoView {
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let dirty = Memo::new(move |_| store.dirty(take));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(edits) = store.draft.get_untracked() else { return };
        busy.set(true);
        outcome.set(None);
        let csrf = csrf.get_untracked();
        spawn_local(async move {
            let result = async {
                let mut latest = api::settings().await?;
                take(&edits, &mut latest);
                api::save_settings(&csrf, &latest).await
            }
            .await;
            busy.set(false);
            match result {
                Ok(stored) => {
                    // The server's form of this part (trimmed, normalised) becomes both what is
                    // saved and what is edited; the other parts keep their own.
                    store.saved.update(|s| s.iter_mut().for_each(|s| take(&stored, s)));
                    store.draft.update(|d| d.iter_mut().for_each(|d| take(&stored, d)));
                    outcome.set(Some(Outcome::Saved));
                }
                Err(e) => outcome.set(Some(Outcome::Refused(e))),
            }
        });
    };
    // A new edit replaces the last result with the fact that something is unsaved.
    Effect::new(move |was_dirty: Option<bool>| {
        let now = dirty.get();
        if now && was_dirty == Some(false) {
            outcome.set(None);
        }
        now
    });
    let message = move || match outcome.get() {
        Some(Outcome::Refused(e)) => e,
        _ if busy.get() => "Saving…".into(),
        _ if dirty.get() => "Unsaved changes".into(),
        Some(Outcome::Saved) => saved.into(),
        None => String::new(),
    };
    let (labelled_by, title_id) = (format!("{id}-title"), format!("{id}-title"));
    view! {
        <section class="part" id=id aria-labelledby=labelled_by>
            <h2 id=title_id>{title}</h2>
            <form class="settings" on:submit=submit>
                {children()}
                <p class="save-row">
                    <button type="submit" class="primary" disabled=move || busy.get()>{save}</button>
                    <span role="status" class="result"
                        class:error=move || matches!(outcome.get(), Some(Outcome::Refused(_)))
                        class:unsaved=move || dirty.get() && !matches!(outcome.get(), Some(Outcome::Refused(_)))>
                        {message}
                    </span>
                </p>
            </form>
        </section>
    }
}
