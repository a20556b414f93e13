//! Every console page and conversation has its own address (`/admin/c/{id}`, `/admin/tickets`
//! …): a link opens it, Back and Forward move between them, a reload stays put.

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Page {
    Inbox,
    Tickets,
    Team,
    Settings,
    Account,
}

/// What an address shows: a page, and on the inbox the open conversation.
pub fn parse(path: &str) -> (Page, Option<String>) {
    let rest = path.trim_start_matches("/admin").trim_matches('/');
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["tickets"] => (Page::Tickets, None),
        ["team"] => (Page::Team, None),
        ["settings"] => (Page::Settings, None),
        ["account"] => (Page::Account, None),
        // Only a conversation id's shape is taken from the address.
        ["c", id] if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (Page::Inbox, Some(id.to_ascii_lowercase()))
        }
        _ => (Page::Inbox, None),
    }
}

/// The address of a page (and conversation).
pub fn path(page: Page, selected: Option<&str>) -> String {
    match (page, selected) {
        (Page::Inbox, Some(id)) => format!("/admin/c/{id}"),
        (Page::Inbox, None) => "/admin".into(),
        (Page::Tickets, _) => "/admin/tickets".into(),
        (Page::Team, _) => "/admin/team".into(),
        (Page::Settings, _) => "/admin/settings".into(),
        (Page::Account, _) => "/admin/account".into(),
    }
}

/// A new history entry for `address`.
fn push(address: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(address));
    }
}

fn location_path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}

/// Keeps `page` and `selected` and the address in step: they start from the address, a change
/// of either adds a history entry, and Back or Forward sets them from the address again.
/// Back or Forward away from unsaved settings asks first, and stays (the address put back) if
/// told to.
pub fn sync(
    page: RwSignal<Page>,
    selected: RwSignal<Option<String>>,
    unsaved: crate::settings::Unsaved,
) {
    let (p, s) = parse(&location_path());
    page.set(p);
    selected.set(s);
    Effect::new(move |_| {
        let want = path(page.get(), selected.get().as_deref());
        if want != location_path() {
            push(&want);
        }
    });
    let handle = window_event_listener(leptos::ev::popstate, move |_| {
        let (p, s) = parse(&location_path());
        let here = page.try_get_untracked();
        if let Some(h) = here.filter(|h| *h != p)
            && !unsaved.may_leave()
        {
            push(&path(h, None));
            return;
        }
        // Signed out meanwhile, the signals are gone: nothing to set.
        let _ = page.try_set(p);
        let _ = selected.try_set(s);
    });
    on_cleanup(move || handle.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_pages_map_both_ways() {
        let id = "0123456789abcdef0123456789abcdef";
        for (page, sel) in [
            (Page::Inbox, None),
            (Page::Inbox, Some(id)),
            (Page::Tickets, None),
            (Page::Team, None),
            (Page::Settings, None),
            (Page::Account, None),
        ] {
            assert_eq!(parse(&path(page, sel)), (page, sel.map(str::to_owned)));
        }
        assert_eq!(parse("/admin/"), (Page::Inbox, None));
        assert_eq!(parse("/admin/c/not-an-id"), (Page::Inbox, None));
        assert_eq!(parse("/admin/c/<script>"), (Page::Inbox, None));
        assert_eq!(parse("/admin/whatever/else"), (Page::Inbox, None));
    }
}
