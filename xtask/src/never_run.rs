//! Library code the widget links but can never run, made `unreachable` so that wasm-opt drops
//! it and everything only it calls.
//!
//! An optimiser keeps every function the table holds (any of them may be called through a
//! vtable) and every function a kept one calls, whether or not a branch that leads there can
//! be taken. Each rule below names such code, found by its name while the wasm still carries
//! them, and why it cannot run; a rule that finds nothing fails the build, because a renamed
//! function would otherwise quietly bring the code back. Measured on the served wasm (brotli):
//! the stream futures 3.0 KB, the delegated listener 1.4 KB.

use std::path::Path;
use std::process::Command;

use crate::Result;
use crate::wasm_binary::with_unreachable_bodies;

struct Rule {
    what: &'static str,
    /// Whether only functions the table holds are taken (the roots, where a function of the
    /// same name called directly could be shared with live code).
    in_table: bool,
    matches: fn(&str) -> bool,
}

const RULES: [Rule; 2] = [
    // wasm-streams' adapters are never made (`unused_classes` takes their classes out), so no
    // future of theirs is ever handed to `future_to_promise`, which polls it via the table.
    Rule {
        what: "the futures wasm-streams' stream adapters start",
        in_table: true,
        matches: stream_future,
    },
    // tachys (0.2.19, read for this) delegates an event only with its `delegation` feature,
    // which the widget leaves off: every listener is attached to its element instead. Both
    // are checked in `stub`; another version of tachys must be read again.
    Rule { what: "tachys' delegated event listener", in_table: false, matches: delegated_listener },
];

/// Makes the code of every rule `unreachable` in `wasm`, which must still have its names.
pub fn stub(wasm: &Path) -> Result {
    let tree = tachys_features()?;
    if !tree.lines().any(|l| l.trim() == TACHYS_READ) {
        return Err(format!(
            "the widget no longer links {TACHYS_READ}: read its event code again for never_run's listener rule"
        ));
    }
    if delegates(&tree) {
        return Err("tachys' `delegation` feature is on: its delegated listener runs".into());
    }
    let bytes = std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let mut found = [0; RULES.len()];
    let (out, _) = with_unreachable_bodies(&bytes, |name, in_table| {
        let rule = RULES.iter().position(|r| (in_table || !r.in_table) && (r.matches)(name));
        if let Some(i) = rule {
            found[i] += 1;
        }
        rule.is_some()
    })?;
    if let Some(i) = found.iter().position(|n| *n == 0) {
        return Err(format!("none of {} was found by name in the widget's wasm", RULES[i].what));
    }
    std::fs::write(wasm, out).map_err(|e| format!("{}: {e}", wasm.display()))
}

const TACHYS_READ: &str = "tachys v0.2.19";

/// `name` past `{krate}[{hash}]`, when it starts so.
fn after_crate<'a>(name: &'a str, krate: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(krate)?.strip_prefix('[')?;
    let (hash, rest) = rest.split_once(']')?;
    hash.chars().all(|c| c.is_ascii_hexdigit()).then_some(rest)
}

/// `name` without the `[n]` the linker adds to tell apart copies of one name.
fn without_copy_number(name: &str) -> &str {
    match name.rsplit_once('[') {
        Some((base, n)) if n.strip_suffix(']').is_some_and(|n| n.parse::<u32>().is_ok()) => base,
        _ => name,
    }
}

/// `js_sys[…]::futures::future_to_promise::<…<wasm_streams[…]::…::IntoUnderlying…>::{method}
/// ::{closure#0}…>`: the body `future_to_promise` runs for the future one of the adapters'
/// methods starts. Not any future whose type merely mentions wasm-streams: one over a stream
/// the widget reads could run.
fn stream_future(name: &str) -> bool {
    let Some(future) = after_crate(name, "js_sys")
        .and_then(|rest| rest.strip_prefix("::futures::future_to_promise::<"))
    else {
        return false;
    };
    future.match_indices("<wasm_streams[").any(|(at, _)| {
        after_crate(&future[at + 1..], "wasm_streams").is_some_and(|rest| {
            ADAPTERS.iter().any(|a| rest.strip_prefix(a).is_some_and(|r| r.starts_with(">::")))
        })
    })
}

/// The adapters' paths in wasm-streams (see `unused_classes::STREAM_ADAPTERS`).
const ADAPTERS: [&str; 3] = [
    "::readable::into_underlying_source::IntoUnderlyingSource",
    "::readable::into_underlying_byte_source::IntoUnderlyingByteSource",
    "::writable::into_underlying_sink::IntoUnderlyingSink",
];

/// `<tachys[…]::renderer::dom::Dom>::add_event_listener_delegated`, and its closures.
fn delegated_listener(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('<').and_then(|n| after_crate(n, "tachys")) else {
        return false;
    };
    rest.strip_prefix("::renderer::dom::Dom>::add_event_listener_delegated")
        .map(without_copy_number)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Whether `tree` (`cargo tree -e features -i tachys`) shows its `delegation` feature on.
fn delegates(tree: &str) -> bool {
    tree.lines().any(|l| l.trim().starts_with("tachys feature \"delegation\""))
}

/// tachys as the widget's build links it: its version and the features turned on.
fn tachys_features() -> Result<String> {
    let out = Command::new("cargo")
        .args(["tree", "-p", "takeover-widget", "--target", "wasm32-unknown-unknown"])
        .args(["-e", "features", "-i", "tachys", "--prefix", "none"])
        .current_dir(crate::root())
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !text.contains("tachys feature \"default\"") {
        return Err("cargo tree did not list tachys' features".into());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_knows_its_code_by_name() {
        let future = "js_sys[2f296fd780c8e89a]::futures::future_to_promise::<core[79aa79c6299ed9a6]::panic::unwind_safe::AssertUnwindSafe<<wasm_streams[f352227da08ce090]::writable::into_underlying_sink::IntoUnderlyingSink>::write::{closure#0}>>::{closure#0}";
        assert!(stream_future(future));
        let ours = "js_sys[2f296fd780c8e89a]::futures::future_to_promise::<takeover_widget[c00f3000534320b9]::api::fetch::{closure#0}>::{closure#0}";
        assert!(!stream_future(ours));
        let drop = "core[79aa79c6299ed9a6]::ptr::drop_glue::<js_sys[2f296fd780c8e89a]::futures::future_to_promise<core[79aa79c6299ed9a6]::panic::unwind_safe::AssertUnwindSafe<<wasm_streams[f352227da08ce090]::writable::into_underlying_sink::IntoUnderlyingSink>::close::{closure#0}>>::{closure#0}>";
        assert!(!stream_future(drop), "drop glue may be shared with live code");
        let byte_pull = "js_sys[2f296fd780c8e89a]::futures::future_to_promise::<core[79aa79c6299ed9a6]::panic::unwind_safe::AssertUnwindSafe<futures_util[ee75264bb6c69d31]::future::try_future::UnwrapOrElse<futures_util[ee75264bb6c69d31]::abortable::Abortable<<wasm_streams[f352227da08ce090]::readable::into_underlying_byte_source::IntoUnderlyingByteSource>::pull::{closure#0}>, x>>>::{closure#0}";
        assert!(stream_future(byte_pull));
        let reading = "js_sys[2f296fd780c8e89a]::futures::future_to_promise::<core[79aa79c6299ed9a6]::panic::unwind_safe::AssertUnwindSafe<futures_util[ee75264bb6c69d31]::stream::Next<wasm_streams[f352227da08ce090]::readable::into_stream::IntoStream>>>::{closure#0}";
        assert!(!stream_future(reading), "a future over a stream the widget reads may run");
        assert!(!stream_future(&future.replacen("js_sys[", "my_js_sys[", 1)));

        let listener =
            "<tachys[e997dcd6b1073fae]::renderer::dom::Dom>::add_event_listener_delegated";
        assert!(delegated_listener(listener));
        assert!(delegated_listener(&format!("{listener}::{{closure#0}}::{{closure#0}}")));
        assert!(delegated_listener(&format!("{listener}[1]")), "a numbered copy");
        let attached = "<tachys[e997dcd6b1073fae]::renderer::dom::Dom>::add_event_listener";
        assert!(!delegated_listener(attached));
        assert!(!delegated_listener(&format!("{listener}_twice")));
    }

    #[test]
    fn reads_the_delegation_feature_from_cargo_tree() {
        let tree =
            "tachys v0.2.19\ntachys feature \"default\"\ntachys feature \"reactive_stores\" (*)\n";
        assert!(!delegates(tree));
        assert!(delegates(&format!("{tree}tachys feature \"delegation\"\n")));
        assert!(tree.lines().any(|l| l.trim() == TACHYS_READ));
    }
}
