//! Turning mounted routes into one axum router: collisions, parameter names, and the
//! matchit checks that would otherwise be panics inside axum.

use std::collections::HashMap;

use axum::Router;
use axum::routing::MethodRouter;

use super::RouteDef;
use super::collide::collides;
use super::path::{ParsedPath, Seg};
use crate::state::AppState;

/// A route with its full path (mount prefix included).
pub(crate) struct Entry {
    pub(crate) full: ParsedPath,
    pub(crate) def: RouteDef,
}

/// Routes sharing one shape, registered on one axum path.
struct Group {
    path: ParsedPath,
    members: Vec<Entry>,
    names: Vec<String>,
}

fn param_names(p: &ParsedPath) -> Vec<(usize, String)> {
    p.segs
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Seg::Param(n) | Seg::Tail(n) => Some((i, n.clone())),
            Seg::Static(_) => None,
        })
        .collect()
}

/// Builds the router of `entries`, or every problem found (all at once).
pub(crate) fn build(
    entries: Vec<Entry>,
    static_prefixes: &[ParsedPath],
) -> Result<Router<AppState>, Vec<String>> {
    let mut problems = Vec::new();
    let shown: Vec<String> = entries.iter().map(|e| e.full.display()).collect();

    // 1. Collisions: one method on one shape, defined twice.
    for i in 0..entries.len() {
        for j in i + 1..entries.len() {
            let (a, b) = (&entries[i].def, &entries[j].def);
            if collides(a.methods, &shown[i], b.methods, &shown[j]) {
                let both = a
                    .methods
                    .names()
                    .filter(|m| b.methods.names().any(|n| n == *m));
                let both: Vec<&str> = both.collect();
                problems.push(format!(
                    "{} {} is defined twice: by `{}` ({}) and by `{}` ({})",
                    both.join(","),
                    shown[j],
                    a.name,
                    a.location,
                    b.name,
                    b.location
                ));
            }
        }
    }

    // 2. Group routes of one shape; routes added with `App::route` come first so
    //    that the parameter names their handlers rely on win.
    let mut ordered: Vec<Entry> = Vec::with_capacity(entries.len());
    let (named, positional): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| !e.def.positional);
    ordered.extend(named);
    ordered.extend(positional);
    let mut groups: Vec<Group> = Vec::new();
    for entry in ordered {
        let shape = entry.full.display();
        match groups
            .iter_mut()
            .find(|g| super::same_shape(&g.path.display(), &shape))
        {
            Some(g) => {
                if !entry.def.positional {
                    let theirs = param_names(&g.path);
                    let ours = param_names(&entry.full);
                    if theirs != ours {
                        problems.push(format!(
                            "`{}` ({}) names the parameters of `{}` differently from `{}`; \
                             handlers added with `App::route` on one path must use the same names",
                            entry.def.name,
                            entry.def.location,
                            entry.full.display(),
                            g.path.display()
                        ));
                    }
                }
                g.members.push(entry);
            }
            None => groups.push(Group {
                path: entry.full.clone(),
                members: vec![entry],
                names: Vec::new(),
            }),
        }
    }

    // 3. One name per trie position: axum's router needs routes that share a prefix
    //    up to a parameter to give that parameter the same name.
    let mut by_prefix: HashMap<String, (String, String)> = HashMap::new();
    for g in &mut groups {
        let fixed = g.members.iter().any(|m| !m.def.positional);
        for (i, name) in param_names(&g.path) {
            let key = g.path.shape_prefix(i)
                + if matches!(g.path.segs[i], Seg::Tail(_)) {
                    "/<..>"
                } else {
                    "/<>"
                };
            let chosen = match by_prefix.get(&key) {
                Some((existing, _)) if *existing == name => name,
                Some((existing, owner)) if fixed => {
                    problems.push(format!(
                        "`{}` names a parameter `{name}` where `{owner}` names it `{existing}`; \
                         use one name for the parameter at that position",
                        g.path.display()
                    ));
                    name
                }
                Some((existing, _)) => existing.clone(),
                None => {
                    by_prefix.insert(key, (name.clone(), g.path.display()));
                    name
                }
            };
            g.names.push(chosen);
        }
    }

    // 4. Let matchit itself vet every path, so that axum never panics on one.
    let mut trie = matchit::Router::<usize>::new();
    let mut axum_paths = Vec::with_capacity(groups.len());
    for (gi, g) in groups.iter().enumerate() {
        let mut names = g.names.iter();
        let path = g
            .path
            .axum_path(|_| names.next().cloned().unwrap_or_default());
        if let Err(e) = trie.insert(path.clone(), gi) {
            problems.push(format!(
                "route `{}` can't be routed: {}",
                g.path.display(),
                explain(&e)
            ));
        }
        axum_paths.push(path);
    }

    // Static folders are nested services: axum registers their prefix and everything under it.
    for prefix in static_prefixes.iter().filter(|p| !p.segs.is_empty()) {
        let shown = prefix.display();
        let base = prefix.axum_path(|_| String::new());
        let base = base.trim_end_matches('/');
        for path in [base.to_string(), format!("{base}/{{*kiln_static_path}}")] {
            if let Err(e) = trie.insert(path, usize::MAX) {
                problems.push(format!(
                    "static files at `{shown}` can't be served there: {}",
                    explain(&e)
                ));
                break;
            }
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }

    let mut router = Router::new();
    for (g, path) in groups.into_iter().zip(axum_paths) {
        let mut mr = MethodRouter::new();
        for m in g.members {
            let filter = m
                .def
                .methods
                .to_filter()
                .expect("methods checked before building");
            mr = (m.def.make)(mr, filter);
        }
        router = router.route(&path, mr);
    }
    Ok(router)
}

/// A matchit refusal in kiln's terms.
fn explain(e: &matchit::InsertError) -> String {
    match e {
        matchit::InsertError::Conflict { with } => {
            let other = match with.strip_suffix("/{*kiln_static_path}") {
                Some(prefix) => format!("the static files at `{prefix}`"),
                None => ParsedPath::parse(with)
                    .map_or_else(|_| format!("`{with}`"), |p| format!("`{}`", p.display())),
            };
            format!(
                "it conflicts with {other}: axum's router can't hold a parameter and a rest-of-path \
                 parameter (or differently named parameters) at the same segment"
            )
        }
        other => other.to_string(),
    }
}
