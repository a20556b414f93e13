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
    /// Replies a visitor who left does not see are mailed to the email they gave, if they do
    /// not come back within this many seconds.
    mailed: Signal<Option<u32>>,
    /// The messaging channel they write from, where every reply goes.
    channel: Signal<Option<shared::channel::ChannelPeer>>,
) -> impl IntoView {
    let line = move || {
        let who = name.get();
        if let Some(kind) = channel.with(|c| c.as_ref().map(|p| p.kind)) {
            return Some((
                true,
                format!("{who} writes from {0}: your reply is sent to their {0}.", kind.label()),
            ));
        }
        match online.get()? {
            true => Some((true, format!("{who} is on the site now and sees your reply at once."))),
            false => {
                let (email, verified) = visitor.with(|v| (v.email.clone(), v.verified()));
                let checked = if verified { "verified" } else { "as they gave it, unverified" };
                let gone = format!("{who} has left the site:");
                Some((
                    false,
                    match email {
                        Some(email) if let Some(secs) = mailed.get() => format!(
                            "{gone} your reply will be emailed to {email} ({checked}) unless \
                             they come back within {}, with a link back to this chat.",
                            within(secs)
                        ),
                        Some(email) => format!(
                            "{gone} they'll see your reply when they come back. Their email \
                             ({checked}), if it can't wait: {email}."
                        ),
                        None => format!("{gone} they'll see your reply when they come back."),
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

/// "2 minutes", "3 seconds".
fn within(secs: u32) -> String {
    match secs {
        1 => "a second".into(),
        0..60 => format!("{secs} seconds"),
        60..120 => "a minute".into(),
        _ => format!("{} minutes", secs / 60),
    }
}
