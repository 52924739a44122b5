//! The shape of kiln's runtime crate: no module of `framework/src` imports one that
//! imports it back, at any level (`pipeline` may read `catcher` and `state`, never the
//! other way round; inside `orm/`, `database`, `row` and `transaction` form no circle).
//!
//! Each `crate::` or `super::` path in a module's code (comments and `#[cfg(test)]`
//! modules aside) is an edge to the module it names. Edges are compared between
//! siblings: `pipeline::guard` naming `catcher::table` is `pipeline` → `catcher`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read framework/src") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let mut name: Vec<String> = rel
                .components()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .collect();
            if name.last().is_some_and(|n| n == "mod" || n == "lib") {
                name.pop();
            }
            out.insert(name, path);
        }
    }
    out
}

/// The code of a module, without comments and test modules.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read a module");
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The module paths a module's code names.
fn references(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut refs = Vec::new();
    let bytes = code.as_bytes();
    for (start, kw) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let mut base: Vec<String> = if kw == "crate::" {
            Vec::new()
        } else {
            module[..module.len().saturating_sub(1)].to_vec()
        };
        let rest = &code[start + kw.len()..];
        for seg in rest.split("::") {
            let ident: String = seg
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if ident.is_empty() || ident.len() != seg.len() && !seg.starts_with(&ident) {
                break;
            }
            base.push(ident.clone());
            if ident.len() != seg.len() {
                break;
            }
        }
        refs.push(base);
    }
    refs
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../framework/src");
    let mods = modules(&src);
    // Sibling edges, grouped by their parent module.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for (module, path) in &mods {
        if module.is_empty() {
            continue; // the crate root declares and re-exports everything
        }
        for target in references(module, &code(path)) {
            // The longest module the path names.
            let Some(target) = (0..=target.len())
                .rev()
                .map(|n| target[..n].to_vec())
                .find(|p| mods.contains_key(p))
            else {
                continue;
            };
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            // A module and its own ancestors or descendants are one room.
            if common == module.len() || common == target.len() {
                continue;
            }
            edges
                .entry(module[..common].to_vec())
                .or_default()
                .insert((module[common].clone(), target[common].clone()));
        }
    }
    let mut cycles = Vec::new();
    for (parent, set) in &edges {
        let graph: BTreeMap<&str, Vec<&str>> = set.iter().fold(BTreeMap::new(), |mut g, (a, b)| {
            g.entry(a.as_str())
                .or_insert_with(Vec::new)
                .push(b.as_str());
            g
        });
        for start in graph.keys() {
            // Depth-first search for a path back to `start`.
            let mut stack = vec![(*start, vec![*start])];
            let mut seen = BTreeSet::new();
            while let Some((node, trail)) = stack.pop() {
                for next in graph.get(node).into_iter().flatten() {
                    if next == start {
                        let mut cycle = trail.clone();
                        cycle.push(next);
                        cycles.push(format!("{}: {}", parent.join("::"), cycle.join(" -> ")));
                    } else if seen.insert(*next) {
                        let mut t = trail.clone();
                        t.push(next);
                        stack.push((next, t));
                    }
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules of framework/src import each other in a circle:\n{}",
        cycles.join("\n")
    );
    // The check sees the edges it must: the pipeline reads the catchers.
    assert!(
        edges
            .get(&Vec::new())
            .is_some_and(|e| e.contains(&("pipeline".into(), "catcher".into()))),
        "expected the edge pipeline -> catcher"
    );
}
