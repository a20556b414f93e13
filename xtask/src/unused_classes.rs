//! Classes the widget's glue exports for Rust types it never hands to JavaScript.
//!
//! Every Leptos app links wasm-streams (through server_fn, which leptos always depends on), and
//! wasm-bindgen exports its three stream adapters as JS classes: methods in the wasm, a class
//! each in the glue. The widget never creates one, but an export is a root no optimiser may
//! remove. Taking the exports out before wasm-opt lets it drop their code (measured: 1.2 KB
//! brotli of wasm, and the glue's classes besides).
//! What their methods would have started stays behind in the function table: see
//! `never_run`.

use std::path::Path;

use crate::Result;
use crate::wasm_binary::without_exports;

pub const STREAM_ADAPTERS: [&str; 3] =
    ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];

/// Removes `classes` from `glue` (wasm-bindgen's unminified `--target web` output) and their
/// methods from the exports of `wasm`. Refuses if the glue uses a class anywhere else, which
/// is how it would hand one to JavaScript.
pub fn remove(wasm: &Path, glue: &Path, classes: &[&str]) -> Result {
    let mut text = std::fs::read_to_string(glue).map_err(|e| format!("{}: {e}", glue.display()))?;
    let mut bytes = std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    for class in classes {
        text = remove_class(&text, class)?;
        let prefix = class.to_lowercase();
        let (kept, removed) = without_exports(&bytes, |name| {
            name.starts_with(&format!("{prefix}_")) || name == format!("__wbg_{prefix}_free")
        })?;
        if removed == 0 {
            return Err(format!("the wasm exports no method of {class}"));
        }
        bytes = kept;
    }
    std::fs::write(glue, text).map_err(|e| format!("{}: {e}", glue.display()))?;
    std::fs::write(wasm, bytes).map_err(|e| format!("{}: {e}", wasm.display()))
}

/// The glue without `export class {class} { … }`, the line after it that makes it disposable,
/// and its `{class}Finalization` registry.
fn remove_class(text: &str, class: &str) -> Result<String> {
    let start = format!("export class {class} {{\n");
    let dispose = format!(
        "if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n"
    );
    let registry = format!("const {class}Finalization = ");
    let cut = |text: &str, from: &str, to: &str| -> Result<String> {
        let a = text.find(from).ok_or_else(|| format!("the glue has no `{}`", from.trim()))?;
        let b = text[a..].find(to).ok_or_else(|| format!("`{}` does not end", from.trim()))?;
        Ok(format!("{}{}", &text[..a], &text[a + b + to.len()..]))
    };
    let text = cut(text, &start, &dispose)?;
    let text = cut(&text, &registry, ");\n")?;
    let used = text.match_indices(class).any(|(at, _)| {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
        let before = text[..at].chars().next_back().is_some_and(word);
        let after = text[at + class.len()..].chars().next().is_some_and(word);
        !before && !after
    });
    if used {
        return Err(format!("the glue still uses {class}: the wasm hands it to JavaScript"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_out_a_class_and_refuses_one_still_used() {
        let glue = "export class Pipe {\n    free() {\n        wasm.__wbg_pipe_free(this.__wbg_ptr, 0);\n    }\n}\nif (Symbol.dispose) Pipe.prototype[Symbol.dispose] = Pipe.prototype.free;\n\nexport function mount() {}\nconst PipeFinalization = (typeof FinalizationRegistry === 'undefined')\n    ? { register: () => {}, unregister: () => {} }\n    : new FinalizationRegistry(ptr => wasm.__wbg_pipe_free(ptr >>> 0, 1));\nconst Piper = 1;\n";
        let out = remove_class(glue, "Pipe").unwrap();
        assert_eq!(out, "\nexport function mount() {}\nconst Piper = 1;\n");
        let handed = format!("{glue}function f(p) {{ return Pipe.__wrap(p); }}\n");
        assert!(remove_class(&handed, "Pipe").unwrap_err().contains("still uses"));
    }
}
