//! The widget's look on the settings page: title, colour (picker and hex), when "Talk to a
//! human" shows, and a live preview of the panel drawn from the unsaved edits. The widget puts
//! white text on the colour, so a colour white cannot be read on is called out here.

use leptos::prelude::*;
use shared::api::SiteSettings;
use shared::validate::hex_color;

use crate::rules::{Draft, edit, read};

pub fn take(from: &SiteSettings, to: &mut SiteSettings) {
    to.title.clone_from(&from.title);
    to.color.clone_from(&from.color);
    to.human_button_after = from.human_button_after;
}

/// WCAG's contrast ratio of white text on `hex`.
fn white_contrast(hex: &str) -> Option<f64> {
    let lin = |c: u8| {
        let s = f64::from(c) / 255.0;
        if s <= 0.040_45 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
    };
    let [r, g, b] = hex_color(hex)?;
    let luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    Some(1.05 / (luminance + 0.05))
}

#[component]
pub fn Look(draft: Draft) -> impl IntoView {
    let title = move || read(draft, |s| s.title.clone());
    let color = move || read(draft, |s| s.color.clone());
    // What is typed into the hex box, kept even while it is not yet a colour.
    let typed = RwSignal::new(None::<String>);
    let hex_value = move || typed.get().unwrap_or_else(color);
    let hex_invalid = move || typed.with(|t| t.as_deref().is_some_and(|t| hex_color(t).is_none()));
    let low_contrast = move || white_contrast(&color()).filter(|c| *c < 4.5);
    let after = move || read(draft, |s| s.human_button_after);
    // One visitor message in the preview: the button shows if it would after one.
    let button_shows =
        move || after() <= 1 && read(draft, |s| s.takeover.enabled && s.takeover.show_button);
    view! {
        <div class="look">
            <div class="look-fields">
                <label>"Title" <input required maxlength="80" prop:value=title
                    on:input=move |e| { let v = event_target_value(&e); edit(draft, |s| s.title = v.clone()) }/></label>
                <div class="colour" role="group" aria-labelledby="colour-label">
                    <span id="colour-label">"Theme colour"</span>
                    <input type="color" aria-label="Theme colour picker" prop:value=color
                        on:input=move |e| { typed.set(None); let v = event_target_value(&e); edit(draft, |s| s.color = v.clone()) }/>
                    <input class="hex" aria-label="Theme colour as hex" maxlength="7" spellcheck="false"
                        aria-invalid=move || hex_invalid().then_some("true") aria-describedby="colour-help"
                        prop:value=hex_value
                        on:input=move |e| {
                            let v = event_target_value(&e).trim().to_ascii_lowercase();
                            let v = if v.starts_with('#') { v } else { format!("#{v}") };
                            if hex_color(&v).is_some() { edit(draft, |s| s.color = v.clone()); }
                            typed.set(Some(v));
                        }
                        on:blur=move |_| typed.set(None)/>
                </div>
                <p id="colour-help" class="hint" class:error=hex_invalid class:warning=move || !hex_invalid() && low_contrast().is_some()>
                    {move || if hex_invalid() { "Six hex digits, like #0f766e.".to_owned() } else { low_contrast().map(|c| format!("White text on this colour is hard to read ({c:.1}:1, 4.5:1 is the least); a darker colour serves every visitor.")).unwrap_or_default() }}
                </p>
                <label>"Show \"Talk to a human\" after this many visitor messages"
                    <input type="number" min="0" max="50" prop:value=move || after().to_string()
                        on:input=move |e| { let v = event_target_value(&e).parse().unwrap_or(0); edit(draft, |s| s.human_button_after = v) }/></label>
            </div>
            <figure class="preview" style=move || format!("--accent: {}", color())>
                <figcaption>"Preview"</figcaption>
                <div class="preview-panel" aria-hidden="true">
                    <div class="preview-head">{move || { let t = title(); if t.trim().is_empty() { "Chat".to_owned() } else { t } }}</div>
                    <div class="preview-body">
                        <p class="preview-bubble bot">"Hi! How can I help you today?"</p>
                        <p class="preview-bubble visitor">"Where is my order?"</p>
                        <Show when=button_shows>
                            <span class="preview-human">"Talk to a human"</span>
                        </Show>
                    </div>
                </div>
                <span class="preview-launcher" aria-hidden="true"></span>
            </figure>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_of_white_on_the_theme_colour() {
        let teal = white_contrast("#0f766e").unwrap();
        assert!(teal > 5.0 && teal < 5.6, "{teal}");
        assert!((white_contrast("#000000").unwrap() - 21.0).abs() < 0.01);
        assert!(white_contrast("#FFFF00").unwrap() < 1.1);
        assert_eq!(white_contrast("0f766e"), None);
        assert_eq!(white_contrast("#0f766"), None);
        assert_eq!(white_contrast("#0f766g"), None);
        assert_eq!(white_contrast("#+f+f+f"), None);
        assert_eq!(white_contrast("#0f766é"), None);
    }
}
