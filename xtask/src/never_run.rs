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
    // tachys delegates an event only with its `delegation` feature, which the widget leaves
    // off (checked in `stub`): every listener is attached to its element instead.
    Rule { what: "tachys' delegated event listener", in_table: false, matches: delegated_listener },
];

/// Makes the code of every rule `unreachable` in `wasm`, which must still have its names.
pub fn stub(wasm: &Path) -> Result {
    if tachys_delegates()? {
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

/// `js_sys[…]::futures::future_to_promise::<…wasm_streams[…]…>::{closure#0}`: the body
/// `future_to_promise` runs for a future of wasm-streams' own.
fn stream_future(name: &str) -> bool {
    name.starts_with("js_sys[")
        && name.contains("]::futures::future_to_promise::<")
        && name.contains("wasm_streams[")
}

/// `<tachys[…]::renderer::dom::Dom>::add_event_listener_delegated`, and its closures.
fn delegated_listener(name: &str) -> bool {
    name.starts_with("<tachys[")
        && name
            .split_once("]::renderer::dom::Dom>::add_event_listener_delegated")
            .is_some_and(|(_, rest)| rest.is_empty() || rest.starts_with("::"))
}

/// Whether the widget's build turns on tachys' `delegation` feature.
fn tachys_delegates() -> Result<bool> {
    let out = Command::new("cargo")
        .args(["tree", "-p", "takeover-widget", "--target", "wasm32-unknown-unknown"])
        .args(["-e", "features", "-i", "tachys", "--prefix", "none"])
        .current_dir(crate::root())
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains("tachys feature \"default\"") {
        return Err("cargo tree did not list tachys' features".into());
    }
    Ok(text.contains("tachys feature \"delegation\""))
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

        let listener =
            "<tachys[e997dcd6b1073fae]::renderer::dom::Dom>::add_event_listener_delegated";
        assert!(delegated_listener(listener));
        assert!(delegated_listener(&format!("{listener}::{{closure#0}}::{{closure#0}}")));
        let attached = "<tachys[e997dcd6b1073fae]::renderer::dom::Dom>::add_event_listener";
        assert!(!delegated_listener(attached));
        assert!(!delegated_listener(&format!("{attached}_use_capture")));
    }
}
