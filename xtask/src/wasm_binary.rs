//! Reading and rewriting the few parts of a wasm binary the build touches: its imports, its
//! exports, the functions its table holds and their names, and function bodies
//! (<https://webassembly.github.io/spec/core/binary/modules.html>).

use std::collections::{HashMap, HashSet};

use crate::Result;

const IMPORT_SECTION: u8 = 2;

/// Each import's module and kind (0 for a function), in order.
fn imports(wasm: &[u8]) -> Result<Vec<(&str, u8)>> {
    let mut all = Vec::new();
    for (id, body) in sections(wasm)? {
        if id != IMPORT_SECTION {
            continue;
        }
        let mut pos = 0;
        for _ in 0..leb(body, &mut pos)? {
            let module = name(body, &mut pos)?;
            name(body, &mut pos)?;
            all.push((module, *body.get(pos).ok_or("an import runs past its section")?));
            skip_import_kind(body, &mut pos)?;
        }
    }
    Ok(all)
}

/// The modules `wasm` imports from, each once, in the order first named.
pub fn import_modules(wasm: &[u8]) -> Result<Vec<String>> {
    let mut modules: Vec<String> = Vec::new();
    for (module, _) in imports(wasm)? {
        if !modules.iter().any(|m| m == module) {
            modules.push(module.to_owned());
        }
    }
    Ok(modules)
}

const CUSTOM_SECTION: u8 = 0;
const ELEMENT_SECTION: u8 = 9;
const CODE_SECTION: u8 = 10;

/// Each function's name, by index, from the `name` section (none when it was removed).
fn function_names(wasm: &[u8]) -> Result<HashMap<u32, String>> {
    let mut names = HashMap::new();
    for (id, body) in sections(wasm)? {
        let mut pos = 0;
        if id != CUSTOM_SECTION || name(body, &mut pos)? != "name" {
            continue;
        }
        while pos < body.len() {
            let kind = body[pos];
            pos += 1;
            let size = leb(body, &mut pos)? as usize;
            let end = pos + size;
            if kind == 1 {
                let mut at = pos;
                for _ in 0..leb(body, &mut at)? {
                    let index = leb(body, &mut at)?;
                    names.insert(index, name(body, &mut at)?.to_owned());
                }
                if at != end {
                    return Err("the function names do not fill their subsection".into());
                }
            }
            pos = end;
        }
    }
    Ok(names)
}

/// The functions the table holds: what `call_indirect` can reach through a vtable or a
/// closure. Only the element segments rustc emits are read (active, table 0, an `i32.const`
/// offset, function indices); anything else is refused rather than misread.
fn table_functions(wasm: &[u8]) -> Result<HashSet<u32>> {
    let mut functions = HashSet::new();
    for (id, body) in sections(wasm)? {
        if id != ELEMENT_SECTION {
            continue;
        }
        let mut pos = 0;
        for _ in 0..leb(body, &mut pos)? {
            let flags = leb(body, &mut pos)?;
            if flags != 0 || body.get(pos) != Some(&0x41) {
                return Err(format!(
                    "an element segment of a kind the build does not read ({flags})"
                ));
            }
            pos += 1;
            leb(body, &mut pos)?;
            if body.get(pos) != Some(&0x0b) {
                return Err("an element segment's offset is not a constant".into());
            }
            pos += 1;
            for _ in 0..leb(body, &mut pos)? {
                functions.insert(leb(body, &mut pos)?);
            }
        }
    }
    Ok(functions)
}

/// `wasm` with the body of each function `stub` picks (by its name, and whether the table
/// holds it) replaced by `unreachable`, and how many were.
pub fn with_unreachable_bodies(
    wasm: &[u8],
    mut stub: impl FnMut(&str, bool) -> bool,
) -> Result<(Vec<u8>, usize)> {
    let names = function_names(wasm)?;
    if names.is_empty() {
        return Err("the wasm has no function names to pick functions by".into());
    }
    let table = table_functions(wasm)?;
    // Imported functions come first in the function index space.
    let imported = imports(wasm)?.iter().filter(|(_, kind)| *kind == 0).count() as u32;
    let mut stubbed = 0;
    let out = with_section(wasm, CODE_SECTION, |code| {
        let bodies = bodies_in(code)?;
        let mut section = Vec::new();
        put_leb(&mut section, bodies.len() as u32);
        for (index, body) in (imported..).zip(bodies) {
            let named = names.get(&index).map_or("", String::as_str);
            if stub(named, table.contains(&index)) {
                // No locals; `unreachable` fits every signature.
                section.extend([3, 0, 0x00, 0x0b]);
                stubbed += 1;
            } else {
                put_leb(&mut section, body.len() as u32);
                section.extend_from_slice(body);
            }
        }
        Ok(section)
    })?;
    Ok((out, stubbed))
}

/// `wasm` with the contents of each section `id` replaced by what `rewrite` makes of them;
/// every other section as it was.
fn with_section(
    wasm: &[u8],
    id: u8,
    mut rewrite: impl FnMut(&[u8]) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    let all = sections(wasm)?;
    let mut out = wasm[..8].to_vec();
    for (this, body) in all {
        let rewritten;
        let section = if this == id {
            rewritten = rewrite(body)?;
            &rewritten[..]
        } else {
            body
        };
        out.push(this);
        put_leb(&mut out, section.len() as u32);
        out.extend_from_slice(section);
    }
    Ok(out)
}

/// Past an import's description: a function's type index, a table, a memory or a global.
fn skip_import_kind(body: &[u8], pos: &mut usize) -> Result {
    let kind = *body.get(*pos).ok_or("an import runs past its section")?;
    *pos += 1;
    let limits = |pos: &mut usize| -> Result {
        let flags = leb(body, pos)?;
        leb(body, pos)?;
        if flags & 1 == 1 {
            leb(body, pos)?;
        }
        Ok(())
    };
    match kind {
        0 => leb(body, pos).map(drop),
        1 => {
            *pos += 1;
            limits(pos)
        }
        2 => limits(pos),
        3 => {
            *pos += 2;
            Ok(())
        }
        _ => Err(format!("an import of unknown kind {kind}")),
    }
}

fn name<'a>(body: &'a [u8], pos: &mut usize) -> Result<&'a str> {
    let len = leb(body, pos)? as usize;
    let bytes = body.get(*pos..*pos + len).ok_or("a name runs past its section")?;
    *pos += len;
    std::str::from_utf8(bytes).map_err(|_| "a name is not UTF-8".into())
}

/// Each section's id and contents, in order.
fn sections(wasm: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    if wasm.len() < 8 || wasm[..4] != *b"\0asm" {
        return Err("not a wasm module".into());
    }
    let mut all = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let body = wasm.get(at..at + size).ok_or("the wasm ends inside a section")?;
        at += size;
        all.push((id, body));
    }
    Ok(all)
}

fn leb(bytes: &[u8], at: &mut usize) -> Result<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at).ok_or("the wasm ends inside a number")?;
        *at += 1;
        if shift == 28 && byte & 0x70 != 0 {
            break;
        }
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

/// The body of each function the module defines (its locals and code), in index order: the
/// `i`th is function `i` after the imported ones.
pub fn function_bodies(wasm: &[u8]) -> Result<Vec<&[u8]>> {
    match sections(wasm)?.into_iter().find(|(id, _)| *id == CODE_SECTION) {
        Some((_, code)) => bodies_in(code),
        None => Ok(Vec::new()),
    }
}

/// The bodies a code section's contents hold, each without its size.
fn bodies_in(code: &[u8]) -> Result<Vec<&[u8]>> {
    let mut pos = 0;
    let mut bodies = Vec::new();
    for _ in 0..leb(code, &mut pos)? {
        let size = leb(code, &mut pos)? as usize;
        bodies.push(code.get(pos..pos + size).ok_or("a function runs past its section")?);
        pos += size;
    }
    if pos != code.len() {
        return Err("the code section holds more than its functions".into());
    }
    Ok(bodies)
}

/// `wasm` with its `name` section replaced by one that names the functions it defines and
/// nothing else: the `i`th after the imported ones `names[i]`.
pub fn with_function_names(wasm: &[u8], names: &[String]) -> Result<Vec<u8>> {
    let imported = imports(wasm)?.iter().filter(|(_, kind)| *kind == 0).count() as u32;
    let mut list = Vec::new();
    put_leb(&mut list, names.len() as u32);
    for (i, name) in names.iter().enumerate() {
        put_leb(&mut list, imported + i as u32);
        put_leb(&mut list, name.len() as u32);
        list.extend(name.as_bytes());
    }
    let mut section = Vec::new();
    put_leb(&mut section, 4);
    section.extend(b"name");
    section.push(1);
    put_leb(&mut section, list.len() as u32);
    section.extend(list);
    let mut out = wasm[..8].to_vec();
    for (id, body) in sections(wasm)? {
        let mut pos = 0;
        if id == CUSTOM_SECTION && name(body, &mut pos)? == "name" {
            continue;
        }
        out.push(id);
        put_leb(&mut out, body.len() as u32);
        out.extend_from_slice(body);
    }
    out.push(CUSTOM_SECTION);
    put_leb(&mut out, section.len() as u32);
    out.extend(section);
    Ok(out)
}

const EXPORT_SECTION: u8 = 7;

/// `wasm` with the exports whose names `drop` picks taken out, and how many there were.
pub fn without_exports(wasm: &[u8], drop: impl Fn(&str) -> bool) -> Result<(Vec<u8>, usize)> {
    let mut removed = 0;
    let out = with_section(wasm, EXPORT_SECTION, |body| {
        let mut pos = 0;
        let mut kept = 0u32;
        let mut entries = Vec::new();
        for _ in 0..leb(body, &mut pos)? {
            let start = pos;
            let export = name(body, &mut pos)?;
            pos += 1;
            leb(body, &mut pos)?;
            let entry = body.get(start..pos).ok_or("an export runs past its section")?;
            if drop(export) {
                removed += 1;
            } else {
                kept += 1;
                entries.extend_from_slice(entry);
            }
        }
        let mut section = Vec::new();
        put_leb(&mut section, kept);
        section.extend(entries);
        Ok(section)
    })?;
    Ok((out, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(without_exports(b"\0asm", |_| true).is_err(), "too short to be a module");
    }

    #[test]
    fn stubs_the_functions_picked_by_name_and_table() {
        // (module (import "m" "f" (func)) (func $keep nop nop) (func $dead nop nop)
        //   (table 1 funcref) (elem (i32.const 0) $dead))
        let mut wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0".to_vec();
        wasm.extend(b"\x02\x07\x01\x01m\x01f\0\0\x03\x03\x02\0\0\x04\x04\x01\x70\0\x01");
        wasm.extend(b"\x09\x07\x01\0\x41\0\x0b\x01\x02");
        wasm.extend(b"\x0a\x0b\x02\x04\0\x01\x01\x0b\x04\0\x01\x01\x0b");
        wasm.extend(b"\0\x14\x04name\x01\x0d\x02\x01\x04keep\x02\x04dead");
        let seen = std::cell::RefCell::new(Vec::new());
        let (out, stubbed) = with_unreachable_bodies(&wasm, |name, in_table| {
            seen.borrow_mut().push((name.to_owned(), in_table));
            in_table
        })
        .unwrap();
        assert_eq!(stubbed, 1);
        assert_eq!(seen.into_inner(), [("keep".into(), false), ("dead".into(), true)]);
        let code = b"\x0a\x0a\x02\x04\0\x01\x01\x0b\x03\0\0\x0b";
        assert!(out.windows(code.len()).any(|w| w == code), "{out:?}");
        assert_eq!(out.len(), wasm.len() - 1);
    }

    #[test]
    fn reads_bodies_and_renames_the_defined_functions() {
        // (module (import "m" "f" (func)) (func $keep nop nop) (func $dead nop nop))
        let mut wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0".to_vec();
        wasm.extend(b"\x02\x07\x01\x01m\x01f\0\0\x03\x03\x02\0\0");
        wasm.extend(b"\x0a\x0b\x02\x04\0\x01\x01\x0b\x04\0\x01\x00\x0b");
        wasm.extend(b"\0\x14\x04name\x01\x0d\x02\x01\x04keep\x02\x04dead");
        assert_eq!(function_bodies(&wasm).unwrap(), [&[0, 1, 1, 0x0b][..], &[0, 1, 0, 0x0b]]);
        let renamed = with_function_names(&wasm, &["b".into(), "a".into()]).unwrap();
        let names = function_names(&renamed).unwrap();
        assert_eq!(names.len(), 2);
        assert_eq!((names[&1].as_str(), names[&2].as_str()), ("b", "a"));
        assert_eq!(function_bodies(&renamed).unwrap(), function_bodies(&wasm).unwrap());
    }

    #[test]
    fn names_each_imported_module_once() {
        // (module (import "m" "f" (func)) (import "n" "g" (func)) (import "m" "h" (func))
        //   (import "env" "mem" (memory 1 2)))
        let mut wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0".to_vec();
        let mut imports = vec![4];
        for (m, f) in [("m", "f"), ("n", "g"), ("m", "h")] {
            imports.extend([1, m.as_bytes()[0], 1, f.as_bytes()[0], 0, 0]);
        }
        imports.extend(b"\x03env\x03mem\x02\x01\x01\x02");
        wasm.push(IMPORT_SECTION);
        wasm.push(imports.len() as u8);
        wasm.extend(&imports);
        assert_eq!(import_modules(&wasm).unwrap(), ["m", "n", "env"]);
    }
}
