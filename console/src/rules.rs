//! The settings that decide when a person takes over, and what visitors read meanwhile:
//! takeover switches and timeouts, business hours, reminders by mail, the owner's texts per
//! language, and the origins allowed to embed the widget.

use leptos::prelude::*;
use shared::api::{SiteSettings, WhenNobodyAvailable};
use shared::hours::{BusinessHours, Opening};
use shared::texts::{Texts, english};
use wasm_bindgen::{JsCast, JsValue};

/// The settings being edited; `None` until they are loaded.
pub(crate) type Draft = RwSignal<Option<SiteSettings>>;

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

pub(crate) fn edit(draft: Draft, f: impl Fn(&mut SiteSettings)) {
    draft.update(|s| s.iter_mut().for_each(f));
}

pub(crate) fn read<T: Default>(draft: Draft, f: impl Fn(&SiteSettings) -> T) -> T {
    draft.with(|s| s.as_ref().map(f).unwrap_or_default())
}

fn minutes(secs: u32) -> String {
    (secs / 60).to_string()
}

fn browser_time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".into())
}

/// One on/off setting.
#[component]
fn Toggle(
    draft: Draft,
    label: &'static str,
    get: fn(&SiteSettings) -> bool,
    set: fn(&mut SiteSettings, bool),
) -> impl IntoView {
    view! {
        <label class="check"><input type="checkbox" prop:checked=move || read(draft, get)
            on:change=move |e| { let on = event_target_checked(&e); edit(draft, |s| set(s, on)) }/>
            {label}</label>
    }
}

/// The takeover switches and timeouts (the "Human takeover" part).
pub fn take_takeover(from: &SiteSettings, to: &mut SiteSettings) {
    let (f, t) = (&from.takeover, &mut to.takeover);
    t.enabled = f.enabled;
    t.show_button = f.show_button;
    t.unclaimed_timeout_secs = f.unclaimed_timeout_secs;
    t.assignee_offline_secs = f.assignee_offline_secs;
    t.ai_answers_while_waiting = f.ai_answers_while_waiting;
    t.idle_close_secs = f.idle_close_secs;
    t.ask_email = f.ask_email;
    t.email_replies = f.email_replies;
}

/// Who is there and when (the "Availability & hours" part).
pub fn take_hours(from: &SiteSettings, to: &mut SiteSettings) {
    to.takeover.when_nobody_available = from.takeover.when_nobody_available;
    to.takeover.usual_wait_secs = from.takeover.usual_wait_secs;
    to.business_hours.clone_from(&from.business_hours);
}

/// The site's part in team mail (the "Team email" part).
pub fn take_email(from: &SiteSettings, to: &mut SiteSettings) {
    to.email.clone_from(&from.email);
}

/// Whether signed identities are required (the "Visitor identity" part).
pub fn take_identity(from: &SiteSettings, to: &mut SiteSettings) {
    to.identity.clone_from(&from.identity);
}

pub fn take_texts(from: &SiteSettings, to: &mut SiteSettings) {
    to.texts.clone_from(&from.texts);
}

pub fn take_origins(from: &SiteSettings, to: &mut SiteSettings) {
    to.allowed_origins.clone_from(&from.allowed_origins);
}

#[component]
pub fn Takeover(draft: Draft) -> impl IntoView {
    view! {
        <Toggle draft label="Visitors and the AI can bring in a person"
            get=|s| s.takeover.enabled set=|s, on| s.takeover.enabled = on/>
        <Toggle draft label="Show the \"Talk to a human\" button"
            get=|s| s.takeover.show_button set=|s, on| s.takeover.show_button = on/>
        <Toggle draft label="While a visitor waits for a person, the AI keeps answering what it can"
            get=|s| s.takeover.ai_answers_while_waiting
            set=|s, on| s.takeover.ai_answers_while_waiting = on/>
        <Toggle draft
            label="Ask a waiting visitor for their email, so the team can reply if they leave (not when only signed identities are accepted)"
            get=|s| s.takeover.ask_email set=|s, on| s.takeover.ask_email = on/>
        <Toggle draft
            label="Email a teammate's replies to a visitor who left before seeing them (gathered for 2 minutes, at most one mail per 10 minutes)"
            get=|s| s.takeover.email_replies set=|s, on| s.takeover.email_replies = on/>
        <label>"If nobody claims a request within (minutes, 0 = wait however long), tell the visitor and let the AI resume"
            <input type="number" min="0" max="10080" prop:value=move || read(draft, |s| minutes(s.takeover.unclaimed_timeout_secs))
                on:input=move |e| { let m: u32 = event_target_value(&e).parse().unwrap_or(0); edit(draft, |s| s.takeover.unclaimed_timeout_secs = m.saturating_mul(60)) }/></label>
        <label>"Close a conversation with the AI or a teammate after nothing new for (hours, 0 = never); the visitor writing again reopens it"
            <input type="number" min="0" max="2160" prop:value=move || read(draft, |s| (s.takeover.idle_close_secs / 3600).to_string())
                on:input=move |e| { let h: u32 = event_target_value(&e).parse().unwrap_or(0); edit(draft, |s| s.takeover.idle_close_secs = h.saturating_mul(3600)) }/></label>
        <label>"Return a conversation to Pending when its assignee has been offline for (minutes, 0 = never)"
            <input type="number" min="0" max="10080" prop:value=move || read(draft, |s| minutes(s.takeover.assignee_offline_secs))
                on:input=move |e| { let m: u32 = event_target_value(&e).parse().unwrap_or(0); edit(draft, |s| s.takeover.assignee_offline_secs = m.saturating_mul(60)) }/></label>
    }
}

/// Reminders about requests nobody has claimed (each teammate chooses, under Account, which
/// mail they take).
#[component]
pub fn TeamEmail(draft: Draft) -> impl IntoView {
    view! {
        <p class="hint">"Each teammate chooses under Account whether they get a mail for every \
            request for a person; by default owners and admins do."</p>
        <label>"Remind by mail when a request is still unclaimed after (minutes, 0 = no reminders)"
            <input type="number" min="0" max="1440" prop:value=move || read(draft, |s| minutes(s.email.remind_after_secs))
                on:input=move |e| { let m: u32 = event_target_value(&e).parse().unwrap_or(0); edit(draft, |s| s.email.remind_after_secs = m.saturating_mul(60)) }/></label>
        <label class="check"><input type="checkbox" prop:checked=move || read(draft, |s| s.email.remind_everyone)
            on:change=move |e| { let on = event_target_checked(&e); edit(draft, |s| s.email.remind_everyone = on) }/>
            "Send reminders to every teammate who takes them, not only those mailed about new requests"</label>
    }
}

/// Signed visitor identity: whether the site takes only identities its backend signed.
#[component]
pub fn IdentityRules(draft: Draft) -> impl IntoView {
    view! {
        <p class="hint">"With a token from your backend, Takeover.identify({ user_id, name, email, token }) \
            marks the visitor verified in the console (README: Signed visitor identity)."</p>
        <label class="check"><input type="checkbox" prop:checked=move || read(draft, |s| s.identity.require_verified)
            on:change=move |e| { let on = event_target_checked(&e); edit(draft, |s| s.identity.require_verified = on) }/>
            "Take only signed identities (names and emails the page gives without a token are refused)"</label>
    }
}

/// The first opening on `day`, as the form edits one interval per day.
fn opening(s: &SiteSettings, day: &str) -> Option<Opening> {
    s.business_hours.as_ref()?.weekly.iter().find(|o| o.day == day).cloned()
}

fn hours(s: &mut SiteSettings) -> &mut BusinessHours {
    s.business_hours.get_or_insert_with(|| BusinessHours {
        enabled: false,
        time_zone: browser_time_zone(),
        weekly: Vec::new(),
    })
}

fn set_opening(s: &mut SiteSettings, day: &str, change: impl Fn(&mut Opening)) {
    let weekly = &mut hours(s).weekly;
    match weekly.iter_mut().find(|o| o.day == day) {
        Some(o) => change(o),
        None => {
            let mut o = Opening { day: day.into(), start: "09:00".into(), end: "17:00".into() };
            change(&mut o);
            weekly.push(o);
        }
    }
}

/// Every IANA zone the browser knows, with `current` kept even if it does not know it.
fn time_zones(current: &str) -> Vec<String> {
    let known = js_sys::Reflect::get(&js_sys::global(), &"Intl".into())
        .and_then(|intl| js_sys::Reflect::get(&intl, &"supportedValuesOf".into()))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call1(&JsValue::NULL, &"timeZone".into()).ok())
        .map(|list| js_sys::Array::from(&list).iter().filter_map(|z| z.as_string()).collect())
        .unwrap_or_else(|| vec!["UTC".to_owned()]);
    let mut zones: Vec<String> = known;
    if !zones.iter().any(|z| z == current) {
        zones.push(current.to_owned());
    }
    if !zones.iter().any(|z| z == "UTC") {
        zones.push("UTC".to_owned());
    }
    zones.sort();
    zones
}

#[component]
pub fn Hours(draft: Draft) -> impl IntoView {
    let enabled = move || read(draft, |s| s.business_hours.as_ref().is_some_and(|h| h.enabled));
    let zone = move || {
        read(draft, |s| s.business_hours.as_ref().map(|h| h.time_zone.clone()))
            .unwrap_or_else(browser_time_zone)
    };
    let zones = Memo::new(move |_| time_zones(&zone()));
    let day_row = move |(day, label): (&'static str, &'static str)| {
        let open = move || read(draft, |s| opening(s, day).is_some());
        let time = move |end: bool| {
            move || {
                read(draft, |s| opening(s, day).map(|o| if end { o.end } else { o.start }))
                    .unwrap_or_else(|| if end { "17:00".into() } else { "09:00".into() })
            }
        };
        view! {
            <div class="day" role="group" aria-label=label>
                <label class="check"><input type="checkbox" prop:checked=open on:change=move |e| {
                    let on = event_target_checked(&e);
                    edit(draft, |s| if on { set_opening(s, day, |_| {}) } else { hours(s).weekly.retain(|o| o.day != day) });
                }/>{label}</label>
                <label>"Opens" <input type="time" prop:value=time(false) disabled=move || !open()
                    on:change=move |e| { let v = event_target_value(&e); edit(draft, |s| set_opening(s, day, |o| o.start = v.clone())) }/></label>
                <label>"Closes" <input type="time" prop:value=time(true) disabled=move || !open()
                    on:change=move |e| { let v = event_target_value(&e); edit(draft, |s| set_opening(s, day, |o| o.end = v.clone())) }/></label>
            </div>
        }
    };
    view! {
        <label>"When a visitor asks for a person and no teammate is available (nobody has the console open, or all are Away)"
            <select prop:value=move || if read(draft, |s| s.takeover.when_nobody_available == WhenNobodyAvailable::Wait) { "wait" } else { "leave_message" }
                on:change=move |e| {
                    let wait = event_target_value(&e) == "wait";
                    edit(draft, |s| s.takeover.when_nobody_available = if wait { WhenNobodyAvailable::Wait } else { WhenNobodyAvailable::LeaveMessage });
                }>
                <option value="leave_message">"Offer the contact form at once"</option>
                <option value="wait">"Let them wait for someone to come online"</option>
            </select></label>
        <label>"Tell waiting visitors we usually reply within (minutes, 0 = estimate from the team's recent claims)"
            <input type="number" min="0" max="1440" prop:value=move || read(draft, |s| minutes(s.takeover.usual_wait_secs))
                on:input=move |e| { let m: u32 = event_target_value(&e).parse().unwrap_or(0); edit(draft, |s| s.takeover.usual_wait_secs = m.saturating_mul(60)) }/></label>
        <h3>"Business hours"</h3>
        <label class="check"><input type="checkbox" prop:checked=enabled
            on:change=move |e| { let on = event_target_checked(&e); edit(draft, |s| hours(s).enabled = on) }/>
            "Outside these hours, visitors who ask for a person get the contact form"</label>
        <label>"Time zone"
            <select prop:value=zone on:change=move |e| { let v = event_target_value(&e); edit(draft, |s| hours(s).time_zone = v.clone()) }>
                <For each=move || zones.get() key=|z| z.clone() let:z>
                    <option value=z.clone() selected=move || zone() == z>{z.replace('_', " ")}</option>
                </For>
            </select></label>
        {DAYS.into_iter().map(day_row).collect_view()}
    }
}

type TextField = (&'static str, &'static str, fn(&mut Texts) -> &mut Option<String>);

const TEXT_FIELDS: [TextField; 6] = [
    ("When the chat opens (the assistant's greeting)", english::GREETING, |t| &mut t.greeting),
    ("While the visitor waits for a person", english::HANDOVER, |t| &mut t.handover),
    ("Out of hours, above the contact form", english::OUT_OF_HOURS, |t| &mut t.out_of_hours),
    ("When an agent joins ({name} is their name)", english::JOINED, |t| &mut t.joined),
    ("When an agent leaves", english::LEFT, |t| &mut t.left),
    ("When nobody claimed in time", english::UNCLAIMED, |t| &mut t.unclaimed),
];

#[component]
pub fn TextsEditor(draft: Draft) -> impl IntoView {
    let languages = move || read(draft, |s| s.texts.keys().cloned().collect::<Vec<_>>());
    let new_language = RwSignal::new(String::new());
    let language_block = move |lang: String| {
        let title =
            if lang == "*" { "Every language".to_owned() } else { format!("Language: {lang}") };
        let rows = TEXT_FIELDS.into_iter().map(|(label, default, field)| {
            let (l1, l2) = (lang.clone(), lang.clone());
            let value = move || {
                read(draft, |s| s.texts.get(&l1).cloned()).and_then(|mut t| field(&mut t).clone()).unwrap_or_default()
            };
            view! {
                <label>{label}
                    <textarea rows="2" placeholder=default prop:value=value on:change=move |e| {
                        let v = event_target_value(&e);
                        let v = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
                        edit(draft, |s| *field(s.texts.entry(l2.clone()).or_default()) = v.clone());
                    }></textarea></label>
            }
        }).collect_view();
        let gone = lang.clone();
        view! {
            <div class="texts" role="group" aria-label=title.clone()>
                <h3>{title.clone()}</h3>
                {rows}
                <button type="button" class="danger" on:click=move |_| edit(draft, |s| { s.texts.remove(&gone); })>
                    {format!("Remove texts for {}", if lang == "*" { "every language" } else { lang.as_str() })}
                </button>
            </div>
        }
    };
    view! {
            <p class="hint">"Empty lines keep the widget's own wording, translated into the visitor's language. Texts for a language win over texts for every language (*)."</p>
            <For each=languages key=|l| l.clone() let:lang>{language_block(lang)}</For>
            <div class="row">
                <label>"Language code (en, de, pt…) or * for every language"
                    <input maxlength="3" prop:value=move || new_language.get() on:input=move |e| new_language.set(event_target_value(&e))/></label>
                <button type="button" on:click=move |_| {
                    let lang = new_language.get_untracked().trim().to_ascii_lowercase();
                    if !lang.is_empty() {
                        edit(draft, |s| { s.texts.entry(lang.clone()).or_default(); });
                        new_language.set(String::new());
                    }
                }>"Add texts for this language"</button>
            </div>
    }
}

#[component]
pub fn Origins(draft: Draft) -> impl IntoView {
    view! {
            <label>"Pages that may show the chat, one origin per line (https://shop.example, https://*.example.com); empty allows every site"
                <textarea rows="3" prop:value=move || read(draft, |s| s.allowed_origins.join("\n"))
                    on:change=move |e| {
                        let lines: Vec<String> = event_target_value(&e).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
                        edit(draft, |s| s.allowed_origins = lines.clone());
                    }></textarea></label>
    }
}
