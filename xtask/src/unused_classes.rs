//! Classes the widget's glue exports for Rust types it never hands to JavaScript.
//!
//! Every Leptos app links wasm-streams (through server_fn, which leptos always depends on), and
//! wasm-bindgen exports its three stream adapters as JS classes: methods in the wasm, a class
//! each in the glue. The widget never creates one, but an export is a root no optimiser may
//! remove. Taking the exports out before wasm-opt lets it drop their code (measured: 1.2 KB
//! brotli of wasm, and the glue's classes besides).

use std::path::Path;

use crate::Result;

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

fn leb(bytes: &[u8], at: &mut usize) -> Result<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at).ok_or("the wasm ends inside a number")?;
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("the wasm has a number longer than 32 bits".into())
}

fn put_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

const EXPORT_SECTION: u8 = 7;

/// `wasm` with the exports whose names `drop` picks taken out, and how many there were.
fn without_exports(wasm: &[u8], drop: impl Fn(&str) -> bool) -> Result<(Vec<u8>, usize)> {
    if wasm.get(..4) != Some(b"\0asm") {
        return Err("not a wasm module".into());
    }
    let mut out = wasm[..8].to_vec();
    let mut at = 8;
    let mut removed = 0;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let body = wasm.get(at..at + size).ok_or("the wasm ends inside a section")?;
        at += size;
        if id != EXPORT_SECTION {
            out.push(id);
            put_leb(&mut out, size as u32);
            out.extend_from_slice(body);
            continue;
        }
        let mut pos = 0;
        let count = leb(body, &mut pos)?;
        let mut kept = 0u32;
        let mut entries = Vec::new();
        for _ in 0..count {
            let start = pos;
            let len = leb(body, &mut pos)? as usize;
            let name = body.get(pos..pos + len).ok_or("an export name runs past its section")?;
            let name = std::str::from_utf8(name).map_err(|_| "an export name is not UTF-8")?;
            pos += len + 1;
            leb(body, &mut pos)?;
            if drop(name) {
                removed += 1;
            } else {
                kept += 1;
                entries.extend_from_slice(&body[start..pos]);
            }
        }
        let mut section = Vec::new();
        put_leb(&mut section, kept);
        section.extend(entries);
        out.push(id);
        put_leb(&mut out, section.len() as u32);
        out.extend(section);
    }
    Ok((out, removed))
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

    #[test]
    fn takes_out_only_the_exports_named() {
        // (module (func) (export "pipe_pull" (func 0)) (export "mount" (func 0))
        //   (export "__wbg_pipe_free" (func 0)))
        let mut wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\0".to_vec();
        let mut exports = vec![3];
        for name in ["pipe_pull", "mount", "__wbg_pipe_free"] {
            exports.push(name.len() as u8);
            exports.extend(name.as_bytes());
            exports.extend([0, 0]);
        }
        wasm.push(EXPORT_SECTION);
        wasm.push(exports.len() as u8);
        wasm.extend(&exports);
        wasm.extend(b"\x0a\x04\x01\x02\0\x0b");
        let (out, removed) =
            without_exports(&wasm, |n| n.starts_with("pipe_") || n == "__wbg_pipe_free").unwrap();
        assert_eq!(removed, 2);
        let expected_exports = b"\x07\x09\x01\x05mount\0\0";
        assert!(out.windows(expected_exports.len()).any(|w| w == expected_exports), "{out:?}");
        assert!(out.ends_with(b"\x0a\x04\x01\x02\0\x0b"));
    }
}
