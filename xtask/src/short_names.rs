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
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "wasm-opt --minify-imports-and-exports-and-modules: {}\n{why}",
            out.status
        ));
    }
    let map: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("wasm-opt's name map is not JSON: {e}"))?;
    let (module, imports) = import_names(&map)?;
    let exports = export_names(&map)?;
    // binaryen prints the new names but not the one module it puts every import in: read
    // from the wasm itself.
    let bytes = std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let [short_module] = &crate::wasm_binary::import_modules(&bytes)?[..] else {
        return Err("the minified wasm does not import from exactly one module".into());
    };
    let text = std::fs::read_to_string(glue).map_err(|e| format!("{}: {e}", glue.display()))?;
    let text = rename_imports(&text, &module, short_module, &imports)?;
    let text = rename_exports(&text, &exports)?;
    if let Some(old) = still_reached(&text, imports.keys().chain(exports.keys())) {
        return Err(format!("the glue still reaches the wasm by {old} after renaming"));
    }
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

/// An old name the glue still reaches the wasm by. A glue that reaches it some other way than
/// the two renamed here (a newer wasm-bindgen) would load and then fail: the build refuses it
/// instead. A name still read as a property (`.name`, `["name"]`) or written as a key
/// (`name:`) is such a way; the glue's own functions may keep an export's name, being only
/// JavaScript.
fn still_reached<'a>(text: &str, old: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    old.filter(|n| n.len() > 8).map(String::as_str).find(|old| {
        text.match_indices(old).any(|(at, _)| {
            let (before, after) = (&text[..at], &text[at + old.len()..]);
            !before.ends_with(ident)
                && !after.starts_with(ident)
                && (before.ends_with(['.', '"', '\'']) || after.trim_start().starts_with(':'))
        })
    })
}

/// The glue builds its imports as one object literal, one `name: function(…) {` per import at
/// a fixed indent, closed by `},` at that indent, and offers it as `"{module}": import0`. An
/// import wasm-opt found unused is left out.
fn rename_imports(
    text: &str,
    module: &str,
    short_module: &str,
    names: &HashMap<String, String>,
) -> Result<String> {
    let offer = format!("\"{module}\": import0,");
    if text.matches(&offer).count() != 1 {
        return Err(format!("the glue does not offer its imports as {offer}"));
    }
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    let mut unused = false;
    let mut renamed = 0;
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    for line in text.split_inclusive('\n') {
        // An entry starts at its indent with its name; its end is wherever the next one (or
        // the object's end) starts: `},` alone, or `}, arguments); },` for one wrapped in
        // handleError.
        let entry = line
            .strip_prefix("        ")
            .and_then(|rest| rest.split_once(": function("))
            .filter(|(name, _)| !name.is_empty() && name.chars().all(ident));
        let closed = line.trim_end() == "    };";
        if unused && entry.is_none() && !closed {
            continue;
        }
        unused = false;
        if line.trim() == "const import0 = {" {
            inside = true;
        } else if inside && closed {
            inside = false;
        } else if inside && let Some((name, tail)) = entry {
            match names.get(name) {
                Some(new) => {
                    out.push_str(&format!("        {new}: function({tail}"));
                    renamed += 1;
                }
                None => unused = true,
            }
            continue;
        }
        out.push_str(line);
    }
    if renamed != names.len() || unused {
        let mut missing: Vec<&str> = names
            .keys()
            .filter(|n| !text.contains(&format!("        {n}: function(")))
            .map(String::as_str)
            .collect();
        missing.sort_unstable();
        return Err(format!(
            "the glue defines {renamed} of the wasm's {} imports; not {missing:?}",
            names.len()
        ));
    }
    Ok(out.replace(&offer, &format!("\"{short_module}\": import0,")))
}

/// Every `wasm.{export}` in the glue: `wasm` is what it names the instance's exports.
fn rename_exports(text: &str, names: &HashMap<String, String>) -> Result<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices("wasm.") {
        if at < copied || text[..at].ends_with(|c| ident(c) || c == '.') {
            continue;
        }
        let start = at + "wasm.".len();
        let len = text[start..].find(|c| !ident(c)).unwrap_or(text.len() - start);
        let name = &text[start..start + len];
        if name.is_empty() {
            continue;
        }
        let new =
            names.get(name).ok_or_else(|| format!("the glue calls wasm.{name}, not exported"))?;
        out.push_str(&text[copied..start]);
        out.push_str(new);
        copied = start + len;
    }
    out.push_str(&text[copied..]);
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
        let out = rename_imports(glue, "./w.js", "a", &map(&[("__wbg_log_0123", "q")])).unwrap();
        assert!(out.contains("        q: function(arg0) {\n"), "{out}");
        assert!(out.contains("\"a\": import0,") && !out.contains("__wbg_log"), "{out}");
        let missing = map(&[("__wbg_log_0123", "q"), ("__wbg_gone_4567", "r")]);
        assert!(rename_imports(glue, "./w.js", "a", &missing).is_err());
        // An import the wasm no longer makes leaves the glue, body and all.
        let unused = glue.replace(
            "        },\n    };",
            "        },\n        __wbg_old_89ab: function() {\n            return {\n            };\n        },\n    };",
        );
        let out = rename_imports(&unused, "./w.js", "a", &map(&[("__wbg_log_0123", "q")])).unwrap();
        assert!(!out.contains("__wbg_old") && out.contains("        },\n    };"), "{out}");
        // One wrapped in handleError ends in `}, arguments); },`: the entry after it stays.
        let wrapped = glue.replace(
            "        __wbg_log_0123:",
            "        __wbg_shut_cdef: function() { return handleError(function (arg0) {\n            arg0.close();\n        }, arguments); },\n        __wbg_log_0123:",
        );
        let out =
            rename_imports(&wrapped, "./w.js", "a", &map(&[("__wbg_log_0123", "q")])).unwrap();
        assert!(
            !out.contains("__wbg_shut") && out.contains("        q: function(arg0) {\n"),
            "{out}"
        );
    }

    #[test]
    fn renames_exports_only_where_the_glue_reads_them() {
        let names = map(&[("memory", "m"), ("__wbindgen_start", "s")]);
        let glue = "wasm.memory.buffer; wasm.__wbindgen_start(); my_wasm.memory; x.wasm.memory; \
                    a_wasm.wasm.memory";
        let out = rename_exports(glue, &names).unwrap();
        assert_eq!(
            out,
            "wasm.m.buffer; wasm.s(); my_wasm.memory; x.wasm.memory; a_wasm.wasm.memory"
        );
        assert!(rename_exports("wasm.nope()", &names).is_err());
    }

    #[test]
    fn a_name_still_reached_after_renaming_is_found() {
        let old = ["__wbindgen_start".to_string(), "__wbg_log_0123".to_string()];
        let own = "function __wbindgen_start() { wasm.s(); } __wbindgen_start();";
        assert_eq!(still_reached(own, old.iter()), None, "the glue's own function");
        for reached in [
            "instance.exports.__wbindgen_start()",
            "exports[\"__wbindgen_start\"]()",
            "{ __wbg_log_0123: function() {} }",
        ] {
            assert!(still_reached(reached, old.iter()).is_some(), "{reached}");
        }
    }
}
