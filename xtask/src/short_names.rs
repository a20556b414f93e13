//! The names by which the widget's wasm and its JS glue call each other, shortened in both.
//!
//! wasm-bindgen names each import `__wbg_{method}_{16 hex digits}` and keeps Rust paths in the
//! names of exported closures; every name is written once in the wasm and again in the glue,
//! and the hex digits do not compress. Shortened to one or two letters (measured on the
//! widget: 4.7 KB less brotli, 6 KB less gzip, for the two files together).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::Result;
use crate::install::node_bin;

/// The module binaryen 132 (the pinned npm `binaryen`) gives every import once it minifies
/// module names; it prints the new import and export names but not this one.
const MODULE: &str = "a";

/// Shortens the import and export names of `wasm` in place, and rewrites `glue` (wasm-bindgen's
/// unminified output for `--target web`) to match.
pub fn shorten(wasm: &Path, glue: &Path, features: &[&str]) -> Result {
    let out = Command::new(node_bin("wasm-opt"))
        .arg(wasm)
        .args(features)
        .args(["--minify-imports-and-exports-and-modules", "-o"])
        .arg(wasm)
        .output()
        .map_err(|e| format!("wasm-opt: {e}"))?;
    if !out.status.success() {
        return Err(format!("wasm-opt --minify-imports-and-exports-and-modules: {}", out.status));
    }
    let map: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("wasm-opt's name map is not JSON: {e}"))?;
    let (module, imports) = import_names(&map)?;
    let exports = export_names(&map)?;
    let text = std::fs::read_to_string(glue).map_err(|e| format!("{}: {e}", glue.display()))?;
    let text = rename_imports(&text, &module, &imports)?;
    let text = rename_exports(&text, &exports)?;
    std::fs::write(glue, text).map_err(|e| format!("{}: {e}", glue.display()))
}

fn pairs<'a>(map: &'a serde_json::Value, key: &str) -> Result<&'a Vec<serde_json::Value>> {
    map.get(key)
        .and_then(|v| v.as_array())
        .ok_or_else(|| format!("wasm-opt's name map has no {key}"))
}

fn strings(entry: &serde_json::Value) -> Vec<&str> {
    entry.as_array().map(|a| a.iter().filter_map(|s| s.as_str()).collect()).unwrap_or_default()
}

/// The one module the glue offers, and each import's new name.
fn import_names(map: &serde_json::Value) -> Result<(String, HashMap<String, String>)> {
    let mut module = None;
    let mut names = HashMap::new();
    for entry in pairs(map, "imports")? {
        let [m, old, new] = strings(entry)[..] else {
            return Err(format!("wasm-opt's name map: unexpected import {entry}"));
        };
        if module.get_or_insert(m) != &m {
            return Err(format!("the wasm imports from {m} as well: the glue offers one module"));
        }
        names.insert(old.to_owned(), new.to_owned());
    }
    let module = module.ok_or("the wasm imports nothing: is this wasm-bindgen's output?")?;
    Ok((module.to_owned(), names))
}

fn export_names(map: &serde_json::Value) -> Result<HashMap<String, String>> {
    let mut names = HashMap::new();
    for entry in pairs(map, "exports")? {
        let [old, new] = strings(entry)[..] else {
            return Err(format!("wasm-opt's name map: unexpected export {entry}"));
        };
        names.insert(old.to_owned(), new.to_owned());
    }
    Ok(names)
}

/// The glue builds its imports as one object literal, one `name: function(…) {` per import at
/// a fixed indent, and offers it as `"{module}": import0`.
fn rename_imports(text: &str, module: &str, names: &HashMap<String, String>) -> Result<String> {
    let offer = format!("\"{module}\": import0,");
    if text.matches(&offer).count() != 1 {
        return Err(format!("the glue does not offer its imports as {offer}"));
    }
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    let mut renamed = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == "const import0 = {" {
            inside = true;
        } else if inside && line.trim_end() == "    };" {
            inside = false;
        } else if inside
            && let Some(rest) = line.strip_prefix("        ")
            && let Some((name, tail)) = rest.split_once(": function(")
            && let Some(new) = names.get(name)
        {
            out.push_str(&format!("        {new}: function({tail}"));
            renamed += 1;
            continue;
        }
        out.push_str(line);
    }
    if renamed != names.len() {
        return Err(format!("the glue defines {renamed} of the wasm's {} imports", names.len()));
    }
    Ok(out.replace(&offer, &format!("\"{MODULE}\": import0,")))
}

/// Every `wasm.{export}` in the glue: `wasm` is what it names the instance's exports.
fn rename_exports(text: &str, names: &HashMap<String, String>) -> Result<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("wasm.") {
        let before = rest[..at].chars().next_back();
        let (head, tail) = rest.split_at(at + "wasm.".len());
        out.push_str(head);
        let len = tail.find(|c| !ident(c)).unwrap_or(tail.len());
        let name = &tail[..len];
        if before.is_some_and(|c| ident(c) || c == '.') || name.is_empty() {
            rest = tail;
            continue;
        }
        let new =
            names.get(name).ok_or_else(|| format!("the glue calls wasm.{name}, not exported"))?;
        out.push_str(new);
        rest = &tail[len..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn renames_each_import_key_and_the_module() {
        let glue = "function __wbg_get_imports() {\n    const import0 = {\n        __proto__: null,\n        __wbg_log_0123: function(arg0) {\n            console.log(arg0);\n        },\n    };\n    return {\n        \"./w.js\": import0,\n    };\n}\n";
        let out = rename_imports(glue, "./w.js", &map(&[("__wbg_log_0123", "q")])).unwrap();
        assert!(out.contains("        q: function(arg0) {\n"), "{out}");
        assert!(out.contains("\"a\": import0,") && !out.contains("__wbg_log"), "{out}");
        let missing = map(&[("__wbg_log_0123", "q"), ("__wbg_gone_4567", "r")]);
        assert!(rename_imports(glue, "./w.js", &missing).is_err());
    }

    #[test]
    fn renames_exports_only_where_the_glue_reads_them() {
        let names = map(&[("memory", "m"), ("__wbindgen_start", "s")]);
        let glue = "wasm.memory.buffer; wasm.__wbindgen_start(); my_wasm.memory; x.wasm.memory";
        let out = rename_exports(glue, &names).unwrap();
        assert_eq!(out, "wasm.m.buffer; wasm.s(); my_wasm.memory; x.wasm.memory");
        assert!(rename_exports("wasm.nope()", &names).is_err());
    }
}
