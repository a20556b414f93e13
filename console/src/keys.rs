//! Keyboard shortcuts for agents who work the inbox all day: next and previous conversation,
//! claim, reply, note, hand back, and `?` for the list. They act on what the page shows,
//! through the controls marked `data-key`, so a shortcut does exactly what the click would
//! (and nothing when that control is not there). Typing in a field is never taken for one.

use leptos::ev;
use leptos::portal::Portal;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

/// Shown in the help, in this order.
const SHORTCUTS: [(&str, &str); 8] = [
    ("j", "Next conversation in the list"),
    ("k", "Previous conversation in the list"),
    ("c", "Claim, or take over from the AI"),
    ("r", "Reply to the visitor"),
    ("n", "Write an internal note"),
    ("h", "Hand back to the AI"),
    ("?", "Show these shortcuts"),
    ("Esc", "Close this list"),
];

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn find(selector: &str) -> Option<HtmlElement> {
    document()?.query_selector(selector).ok()??.dyn_into().ok()
}

/// Whether the key went to something that takes text (or a choice), where letters are letters.
fn typing(e: &KeyboardEvent) -> bool {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return false };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || el.closest("[contenteditable=true]").ok().flatten().is_some()
}

/// The row `step` away from the open conversation in the list on screen (the first when
/// none is open), opened and focused.
fn move_in_list(step: i32) {
    let Some(rows) = document().and_then(|d| d.query_selector_all(".list button.row").ok()) else {
        return;
    };
    let rows: Vec<HtmlElement> =
        (0..rows.length()).filter_map(|i| rows.item(i)?.dyn_into().ok()).collect();
    if rows.is_empty() {
        return;
    }
    let current =
        rows.iter().position(|r| r.get_attribute("aria-current").as_deref() == Some("true"));
    let next = match current {
        Some(i) => (i as i32 + step).clamp(0, rows.len() as i32 - 1) as usize,
        None => 0,
    };
    rows[next].click();
    let _ = rows[next].focus();
}

/// Clicks the control marked `data-key=name`, if it is on screen and enabled.
fn press(name: &str) -> bool {
    match find(&format!("[data-key={name}]:not([disabled])")) {
        Some(el) => {
            el.click();
            true
        }
        None => false,
    }
}

/// Reply or note: that mode chosen, and the cursor in the box.
fn write(mode: &str) {
    if press(mode)
        && let Some(box_) = find(".composer textarea")
    {
        let _ = box_.focus();
    }
}

/// Listens for the shortcuts while signed in; `?` opens the help.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let help = RwSignal::new(false);
    let handle = window_event_listener(ev::keydown, move |e: KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.is_composing() {
            return;
        }
        if e.key() == "Escape" && help.get_untracked() {
            help.set(false);
            return;
        }
        // A field takes letters as letters; an open dialog (this list, a question) takes the
        // keyboard until it closes.
        let modal = find("[aria-modal=true]").is_some();
        if typing(&e) || (modal && !help.get_untracked()) {
            return;
        }
        if help.get_untracked() && e.key() != "?" {
            return;
        }
        let handled = match e.key().as_str() {
            "j" => {
                move_in_list(1);
                true
            }
            "k" => {
                move_in_list(-1);
                true
            }
            "c" => press("claim"),
            "h" => press("hand-back"),
            "r" => {
                write("reply");
                true
            }
            "n" => {
                write("note");
                true
            }
            "?" => {
                help.update(|h| *h = !*h);
                true
            }
            _ => false,
        };
        if handled {
            e.prevent_default();
        }
    });
    on_cleanup(move || handle.remove());
    let close = NodeRef::<leptos::html::Button>::new();
    let opener = NodeRef::<leptos::html::Button>::new();
    // Focus goes into the list when it opens and back to its button when it closes.
    Effect::new(move |was_open: Option<bool>| {
        let open = help.get();
        if open {
            if let Some(el) = close.get() {
                let _ = el.focus();
            }
        } else if was_open == Some(true)
            && let Some(el) = opener.get_untracked()
        {
            let _ = el.focus();
        }
        open
    });
    view! {
        <button class="keys-help" type="button" node_ref=opener aria-label="Keyboard shortcuts" aria-keyshortcuts="?"
            title="Keyboard shortcuts (?)" on:click=move |_| help.set(true)>"?"</button>
        // Out of the top bar, whose colours it must not take.
        <Portal>
            <Show when=move || help.get()>
                <div class="modal-backdrop" on:click=move |_| help.set(false)>
                    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="keys-title"
                        on:click=|e| e.stop_propagation()
                        // Its one control keeps the focus: Tab does not wander behind it.
                        on:keydown=|e| if e.key() == "Tab" { e.prevent_default() }>
                        <h2 id="keys-title">"Keyboard shortcuts"</h2>
                        <dl class="keys">
                            {SHORTCUTS.iter().map(|(key, what)| view! {
                                <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd>
                            }).collect_view()}
                        </dl>
                        <div class="actions">
                            <button type="button" class="primary" node_ref=close on:click=move |_| help.set(false)>"Close"</button>
                        </div>
                    </div>
                </div>
            </Show>
        </Portal>
    }
}
