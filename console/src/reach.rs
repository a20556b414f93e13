//! Above the reply box: whether the visitor is on the site now and, if not, how a reply will
//! reach them, so an agent never writes into a void without knowing it.

use leptos::prelude::*;
use shared::protocol::VisitorProfile;

#[component]
pub fn Reach(
    /// Whether the visitor's widget is connected; `None` while the inbox does not know.
    online: Signal<Option<bool>>,
    visitor: RwSignal<VisitorProfile>,
    /// What the console calls the visitor.
    name: Signal<String>,
) -> impl IntoView {
    let line = move || {
        let who = name.get();
        match online.get()? {
            true => Some((true, format!("{who} is on the site now and sees your reply at once."))),
            false => {
                let email = visitor.with(|v| v.email.clone());
                let later =
                    format!("{who} has left the site: they'll see your reply when they come back.");
                Some((
                    false,
                    match email {
                        Some(email) => format!(
                            "{later} They gave an email (unverified) if it can't wait: {email}."
                        ),
                        None => later,
                    },
                ))
            }
        }
    };
    move || {
        line().map(|(here, text)| {
            view! {
                <p class="reach" class:here=here>
                    <span class="dot" class:online=here class:away=!here aria-hidden="true"></span>{text}
                </p>
            }
        })
    }
}
