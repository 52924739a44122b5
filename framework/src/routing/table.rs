//! Turning mounted routes into one axum router: collisions (kiln-route's rule, the
//! same `routes!` applies at compile time), parameter names, the matchit checks that
//! would otherwise be panics inside axum, and the answers for no route (404) and a
//! route without the request's method (405, with `Allow`).

use std::collections::HashMap;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use kiln_route::{RoutePath, Segment, collides, same_shape};

use super::{RouteDef, filter_of};
use crate::error::Error;
use crate::launch::{Problem, ProblemKind};
use crate::pipeline::{AppState, Endpoint};

/// What a path no route matches answers: 404, for the catchers.
async fn not_found(_req: Request, _state: AppState) -> Response {
    Error::not_found().into_response()
}

/// What a path that exists answers for a method it lacks: 405, for the catchers.
/// (axum adds the `Allow` header listing the path's methods.)
async fn method_not_allowed(_req: Request, _state: AppState) -> Response {
    Error::from_status(StatusCode::METHOD_NOT_ALLOWED).into_response()
}

/// The answer to a request no route takes: the 404 endpoint, unless static files at
/// the root take it.
pub(crate) fn with_fallbacks(
    router: Router<AppState>,
    root_files: Option<crate::static_files::StaticService>,
) -> Router<AppState> {
    let router = router.method_not_allowed_fallback(Endpoint(method_not_allowed));
    match root_files {
        // Files at the root answer whatever no route does.
        Some(service) => router.fallback_service(service),
        None => router.fallback(Endpoint(not_found)),
    }
}

/// A route with its full path (mount prefix included).
pub(crate) struct Entry {
    pub(crate) full: RoutePath,
    pub(crate) def: RouteDef,
}

/// Routes sharing one shape, registered on one axum path.
struct Group {
    path: RoutePath,
    members: Vec<Entry>,
    names: Vec<String>,
}

fn param_names(p: &RoutePath) -> Vec<(usize, String)> {
    p.segments
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Segment::Param(n) | Segment::Tail(n) => Some((i, n.clone())),
            Segment::Static(_) => None,
        })
        .collect()
}

/// A key naming the shape of the first `n` segments of `p`: `/book/<>`.
fn shape_prefix(p: &RoutePath, n: usize) -> String {
    let mut out = String::new();
    for seg in &p.segments[..n] {
        out.push('/');
        match seg {
            Segment::Static(s) => out.push_str(s),
            Segment::Param(_) => out.push_str("<>"),
            Segment::Tail(_) => out.push_str("<..>"),
        }
    }
    out
}

/// Builds the router of `entries`, or every problem found (all at once).
pub(crate) fn build(
    entries: Vec<Entry>,
    static_prefixes: &[RoutePath],
) -> Result<Router<AppState>, Vec<Problem>> {
    let mut problems = Vec::new();
    let shown: Vec<String> = entries.iter().map(|e| e.full.path_string()).collect();
    let parts: Vec<_> = entries.iter().map(|e| e.full.parts()).collect();
    let shapes: Vec<_> = entries
        .iter()
        .zip(&parts)
        .map(|(e, p)| e.full.shape(p))
        .collect();

    // 1. Collisions: one method on one shape, defined twice.
    for i in 0..entries.len() {
        for j in i + 1..entries.len() {
            let (a, b) = (&entries[i].def, &entries[j].def);
            if collides(a.methods, &shapes[i], b.methods, &shapes[j]) {
                let both = a
                    .methods
                    .names()
                    .filter(|m| b.methods.names().any(|n| n == *m));
                let both: Vec<&str> = both.collect();
                let route = format!("{} {}", both.join(","), shown[j]);
                problems.push(Problem::new(
                    ProblemKind::DuplicateRoute,
                    route.clone(),
                    Some(b.location.to_string()),
                    format!(
                        "{route} is defined twice: by `{}` ({}) and by `{}` ({})",
                        a.name, a.location, b.name, b.location
                    ),
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
        let parts = entry.full.parts();
        let shape = entry.full.shape(&parts);
        match groups.iter_mut().find(|g| {
            let theirs = g.path.parts();
            same_shape(&g.path.shape(&theirs), &shape)
        }) {
            Some(g) => {
                if !entry.def.positional {
                    let theirs = param_names(&g.path);
                    let ours = param_names(&entry.full);
                    if theirs != ours {
                        problems.push(Problem::new(
                            ProblemKind::RouterConflict,
                            entry.full.path_string(),
                            Some(entry.def.location.to_string()),
                            format!(
                                "`{}` ({}) names the parameters of `{}` differently from `{}`; \
                                 handlers added with `App::route` on one path must use the same names",
                                entry.def.name,
                                entry.def.location,
                                entry.full.path_string(),
                                g.path.path_string()
                            ),
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
            let key = shape_prefix(&g.path, i)
                + if matches!(g.path.segments[i], Segment::Tail(_)) {
                    "/<..>"
                } else {
                    "/<>"
                };
            let chosen = match by_prefix.get(&key) {
                Some((existing, _)) if *existing == name => name,
                Some((existing, owner)) if fixed => {
                    problems.push(Problem::new(
                        ProblemKind::RouterConflict,
                        g.path.path_string(),
                        None,
                        format!(
                            "`{}` names a parameter `{name}` where `{owner}` names it `{existing}`; \
                             use one name for the parameter at that position",
                            g.path.path_string()
                        ),
                    ));
                    name
                }
                Some((existing, _)) => existing.clone(),
                None => {
                    by_prefix.insert(key, (name.clone(), g.path.path_string()));
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
            let location = g.members.first().map(|m| m.def.location.to_string());
            problems.push(Problem::new(
                ProblemKind::RouterConflict,
                g.path.path_string(),
                location,
                format!(
                    "route `{}` can't be routed: {}",
                    g.path.path_string(),
                    explain(&e)
                ),
            ));
        }
        axum_paths.push(path);
    }

    // Static folders are nested services: axum registers their prefix and everything under it.
    for prefix in static_prefixes.iter().filter(|p| !p.segments.is_empty()) {
        let shown = prefix.path_string();
        let base = prefix.axum_path(|_| String::new());
        let base = base.trim_end_matches('/');
        for path in [base.to_string(), format!("{base}/{{*kiln_static_path}}")] {
            if let Err(e) = trie.insert(path, usize::MAX) {
                problems.push(Problem::new(
                    ProblemKind::StaticFiles,
                    shown.clone(),
                    None,
                    format!(
                        "static files at `{shown}` can't be served there: {}",
                        explain(&e)
                    ),
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
            let filter = filter_of(m.def.methods).expect("methods checked before building");
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
                None => RoutePath::parse_as(with, kiln_route::Syntax::Runtime).map_or_else(
                    |_| format!("`{with}`"),
                    |p| format!("`{}`", p.path_string()),
                ),
            };
            format!(
                "it conflicts with {other}: axum's router can't hold a parameter and a rest-of-path \
                 parameter (or differently named parameters) at the same segment"
            )
        }
        other => other.to_string(),
    }
}
