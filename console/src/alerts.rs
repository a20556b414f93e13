//! Nobody misses a request: the tab's title and icon carry how many wait, a new request raises
//! a browser notification and a tone, and (by preference) the tone comes back every 30 s while
//! anyone still waits. The first sign-in asks whether to turn alerts on, saying why, before
//! the browser asks for its permission. No alert for the conversation already open in view.

use std::time::Duration;

use leptos::prelude::*;
use shared::api::ConversationSummary;

use crate::app::storage;

const NOTIFY: &str = "takeover:notify";
const REPEAT: &str = "takeover:repeat";
/// How often the tone comes back while someone waits unclaimed.
pub const REPEAT_EVERY: Duration = Duration::from_secs(30);

/// This browser's alert preferences, kept in its storage.
#[derive(Clone, Copy)]
pub struct Alerts {
    /// Notifications and a tone for new requests; `None` until chosen (the banner asks).
    pub notify: RwSignal<Option<bool>>,
    /// The tone again every [`REPEAT_EVERY`] while anyone waits.
    pub repeat: RwSignal<bool>,
}

fn stored(key: &str) -> Option<bool> {
    storage().and_then(|s| s.get_item(key).ok().flatten()).map(|v| v == "on")
}

fn store(key: &str, on: bool) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, if on { "on" } else { "off" });
    }
}

impl Alerts {
    pub fn load() -> Alerts {
        Alerts {
            notify: RwSignal::new(stored(NOTIFY)),
            repeat: RwSignal::new(stored(REPEAT).unwrap_or(true)),
        }
    }

    /// Turning alerts on asks the browser for its permission (a click, as browsers require).
    pub fn set_notify(&self, on: bool) {
        self.notify.set(Some(on));
        store(NOTIFY, on);
        if on {
            let _ = web_sys::Notification::request_permission();
        }
    }

    pub fn set_repeat(&self, on: bool) {
        self.repeat.set(on);
        store(REPEAT, on);
    }

    fn on(&self) -> bool {
        self.notify.get_untracked() == Some(true)
    }

    /// A new request: a notification and a tone, unless it is the conversation on screen.
    pub fn escalated(&self, c: &ConversationSummary, open: Option<&str>) {
        if !self.on() || (open == Some(c.id.as_str()) && page_visible()) {
            return;
        }
        let who = c.visitor_name.clone().unwrap_or_else(|| shared::names::friendly(&c.id));
        let options = web_sys::NotificationOptions::new();
        options.set_body(&c.preview);
        options.set_tag(&c.id);
        let _ = web_sys::Notification::new_with_options(
            &format!("{who} is waiting for a person"),
            &options,
        );
        tone();
    }
}

fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

thread_local! {
    /// One audio context for the page: browsers cap how many a page may open, and a shift
    /// of repeated tones would reach the cap.
    static AUDIO: std::cell::OnceCell<Option<web_sys::AudioContext>> =
        const { std::cell::OnceCell::new() };
}

/// A short tone.
pub fn tone() {
    AUDIO.with(|audio| {
        let Some(ctx) = audio.get_or_init(|| web_sys::AudioContext::new().ok()) else { return };
        // Suspended until the page has had a click; asking again costs nothing.
        let _ = ctx.resume();
        if let Ok(osc) = ctx.create_oscillator() {
            osc.frequency().set_value(880.0);
            let _ = osc.connect_with_audio_node(&ctx.destination());
            let _ = osc.start();
            let _ = osc.stop_with_when(ctx.current_time() + 0.15);
        }
    });
}

/// The tab's title and icon say how many wait, so a teammate in another tab sees it.
pub fn show_waiting(pending: usize) {
    let Some(d) = web_sys::window().and_then(|w| w.document()) else { return };
    d.set_title(&match pending {
        0 => "Takeover console".to_owned(),
        n => format!("({n} waiting) Takeover console"),
    });
    let icon = match d.query_selector("link[rel=icon]").ok().flatten() {
        Some(link) => link,
        None => {
            let Ok(link) = d.create_element("link") else { return };
            let _ = link.set_attribute("rel", "icon");
            if let Some(head) = d.head() {
                let _ = head.append_child(&link);
            }
            link
        }
    };
    let _ = icon.set_attribute("href", &favicon(pending));
}

/// A round icon: the console's teal, or red with the count while anyone waits.
fn favicon(pending: usize) -> String {
    let svg = match pending {
        0 => r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#0f766e"/><path d="M9 11h14v9H14l-5 4z" fill="#fff"/></svg>"##.to_owned(),
        n => {
            let label = if n > 99 { "99+".to_owned() } else { n.to_string() };
            let size = if label.len() > 2 { 13 } else { 18 };
            format!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#b91c1c"/><text x="16" y="22" font-size="{size}" font-family="sans-serif" font-weight="700" text-anchor="middle" fill="#fff">{label}</text></svg>"##
            )
        }
    };
    format!("data:image/svg+xml,{}", String::from(js_sys::encode_uri_component(&svg)))
}

/// While a visitor who is still here waits and the preference says so, the tone every
/// [`REPEAT_EVERY`] (a message left overnight does not ring all night): one timer for the
/// session, asking each time whether it is wanted.
pub fn repeat_while_waiting(alerts: Alerts, pending: Signal<usize>) {
    let wanted = move || {
        pending.get_untracked() > 0
            && alerts.notify.get_untracked() == Some(true)
            && alerts.repeat.get_untracked()
    };
    let timer = set_interval_with_handle(move || wanted().then(tone).unwrap_or(()), REPEAT_EVERY);
    if let Ok(timer) = timer {
        on_cleanup(move || timer.clear());
    }
}

/// The first sign-in in this browser: what alerts are for, then the browser's own question.
#[component]
pub fn AlertsBanner(alerts: Alerts) -> impl IntoView {
    view! {
        <Show when=move || alerts.notify.get().is_none()>
            <section class="banner-alerts" aria-labelledby="alerts-title">
                <h2 id="alerts-title">"Know the moment a visitor asks for a person"</h2>
                <p>"Turn on alerts for a browser notification and a tone when someone asks for a person, \
                    even while this tab is in the background. The tone comes back every 30 seconds until \
                    someone claims (you can change that under Account)."</p>
                <div class="actions">
                    <button class="primary" on:click=move |_| alerts.set_notify(true)>"Turn on alerts"</button>
                    <button on:click=move |_| alerts.set_notify(false)>"Not now"</button>
                </div>
            </section>
        </Show>
    }
}
