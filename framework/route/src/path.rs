//! The route path grammar: `/book/<id>/<rest..>?<q>&<page>`.
//!
//! - A path starts with `/`; segments are separated by `/`; a final `/` is kept
//!   (`/books/` and `/books` are different routes).
//! - `<name>` is one segment bound to the argument `name` (a Rust identifier);
//!   `<name..>` is the rest of the path, slashes included, and must come last.
//! - A static segment holds the characters RFC 3986 allows in a path segment, or
//!   `%XX` escapes.
//! - `?<q>&<page>` binds query parameters by name (route attributes only).
//! - At run time ([`Syntax::Runtime`]), axum's `{name}` and `{*name}` mean the same
//!   as `<name>` and `<name..>`, for handlers that read parameters with axum's `Path`.
//!
//! Pure string logic, no spans: the macros turn a [`PathError`] into a compile error
//! at the path literal, the runtime into a start-up problem.

use std::fmt::{self, Write as _};

use crate::collide::{Part, Shape};

/// Which form of the grammar a path is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A route attribute's path: kiln syntax, with an optional `?<query>` part.
    Attribute,
    /// A path given to the `App` at run time (`App::route`, mount prefixes, static
    /// folders): kiln or axum syntax, no query part.
    Runtime,
}

/// One `/`-separated piece of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text that must match exactly.
    Static(String),
    /// `<name>`: one segment, bound to the argument `name`.
    Param(String),
    /// `<name..>`: the rest of the path, slashes included.
    Tail(String),
}

/// A parsed route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePath {
    /// The segments after the leading `/`; empty for `/`.
    pub segments: Vec<Segment>,
    /// Whether the path ends in `/` after at least one segment (`/books/`).
    pub trailing_slash: bool,
    /// Names bound from the query string, in order (`?<q>&<page>`).
    pub query: Vec<String>,
}

/// A mistake in a path, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

fn err<T>(msg: impl Into<String>) -> Result<T, PathError> {
    Err(PathError(msg.into()))
}

fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    name != "_" && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Characters RFC 3986 allows in a path segment, besides `%XX` escapes.
fn is_pchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c)
}

impl RoutePath {
    /// Parses a route attribute's path, such as `/book/<id>?<q>`.
    pub fn parse(input: &str) -> Result<RoutePath, PathError> {
        RoutePath::parse_as(input, Syntax::Attribute)
    }

    /// Parses `input` written in `syntax`.
    pub fn parse_as(input: &str, syntax: Syntax) -> Result<RoutePath, PathError> {
        let (path, query) = match input.split_once('?') {
            Some(_) if syntax == Syntax::Runtime => {
                return err(format!(
                    "path `{input}` must not contain a query (`?`); read it with `Query<T>`"
                ));
            }
            Some((p, q)) => (p, Some(q)),
            None => (input, None),
        };
        if !path.starts_with('/') {
            return err(format!("route path `{input}` must start with `/`"));
        }
        let body = &path[1..];
        let trailing_slash = body.ends_with('/');
        let body = body.strip_suffix('/').unwrap_or(body);
        let mut segments = Vec::new();
        let mut names: Vec<String> = Vec::new();
        if !body.is_empty() {
            let pieces: Vec<&str> = body.split('/').collect();
            for (i, piece) in pieces.iter().enumerate() {
                let seg = parse_segment(piece, syntax)?;
                if let Segment::Tail(name) = &seg
                    && (i + 1 != pieces.len() || trailing_slash)
                {
                    return err(format!(
                        "`<{name}..>` takes the rest of the path, so it must be the last segment"
                    ));
                }
                if let Segment::Param(name) | Segment::Tail(name) = &seg {
                    if names.contains(name) {
                        return err(format!("parameter `{name}` appears twice in `{input}`"));
                    }
                    names.push(name.clone());
                }
                segments.push(seg);
            }
        } else if trailing_slash {
            return err(format!("empty segment (`//`) in `{input}`"));
        }
        let mut query_names = Vec::new();
        if let Some(query) = query {
            if query.is_empty() {
                return err(format!("nothing after `?` in `{input}`"));
            }
            for piece in query.split('&') {
                let name = match piece.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
                    Some(name) if !piece.contains("..") => name,
                    _ => {
                        return err(format!(
                            "query segment `{piece}` must be a parameter like `<name>`"
                        ));
                    }
                };
                check_name(name, piece)?;
                if names.iter().any(|n| n == name) {
                    return err(format!("parameter `{name}` appears twice in `{input}`"));
                }
                names.push(name.to_string());
                query_names.push(name.to_string());
            }
        }
        Ok(RoutePath {
            segments,
            trailing_slash,
            query: query_names,
        })
    }

    /// Names of the path parameters (not the query ones), in order.
    pub fn path_params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(n) | Segment::Tail(n) => Some(n.as_str()),
            Segment::Static(_) => None,
        })
    }

    /// Whether the path has no parameter.
    pub fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Static(_)))
    }

    /// This path under `prefix` (a static path): `/api` + `/books` = `/api/books`.
    pub fn under(&self, prefix: &RoutePath) -> RoutePath {
        let mut segments = prefix.segments.clone();
        segments.extend(self.segments.iter().cloned());
        let trailing_slash = if self.segments.is_empty() {
            // `/api` + `/` is `/api`; `/api/` + `/` is `/api/`.
            prefix.trailing_slash
        } else {
            self.trailing_slash
        };
        RoutePath {
            segments,
            trailing_slash,
            query: self.query.clone(),
        }
    }

    /// The path without its query part, in kiln syntax: `/book/<id>`.
    pub fn path_string(&self) -> String {
        self.render(|out, seg, _| match seg {
            Segment::Static(s) => out.push_str(s),
            Segment::Param(n) => {
                let _ = write!(out, "<{n}>");
            }
            Segment::Tail(n) => {
                let _ = write!(out, "<{n}..>");
            }
        })
    }

    /// The path in axum syntax, the parameter at segment `i` named `name(i)`.
    pub fn axum_path(&self, mut name: impl FnMut(usize) -> String) -> String {
        self.render(|out, seg, i| match seg {
            Segment::Static(s) => out.push_str(s),
            Segment::Param(_) => {
                let _ = write!(out, "{{{}}}", name(i));
            }
            Segment::Tail(_) => {
                let _ = write!(out, "{{*{}}}", name(i));
            }
        })
    }

    /// The parts of the path's shape, for [`Shape`]: what the collision rule compares.
    pub fn parts(&self) -> Vec<Part<'_>> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Static(s) => Part::Static(s),
                Segment::Param(_) => Part::Param,
                Segment::Tail(_) => Part::Tail,
            })
            .collect()
    }

    /// The path's shape over `parts` (from [`parts`](RoutePath::parts)).
    pub fn shape<'a>(&self, parts: &'a [Part<'a>]) -> Shape<'a> {
        Shape {
            parts,
            trailing_slash: self.trailing_slash,
        }
    }

    fn render(&self, mut f: impl FnMut(&mut String, &Segment, usize)) -> String {
        let mut out = String::new();
        for (i, seg) in self.segments.iter().enumerate() {
            out.push('/');
            f(&mut out, seg, i);
        }
        if out.is_empty() || self.trailing_slash {
            out.push('/');
        }
        out
    }
}

impl fmt::Display for RoutePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path_string())?;
        for (i, q) in self.query.iter().enumerate() {
            write!(f, "{}<{q}>", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

fn check_name(name: &str, segment: &str) -> Result<(), PathError> {
    if name.is_empty() {
        return err(format!("parameter `{segment}` has no name"));
    }
    if !is_ident(name) {
        return err(format!(
            "parameter name `{name}` in `{segment}` is not a valid identifier"
        ));
    }
    Ok(())
}

fn parse_segment(piece: &str, syntax: Syntax) -> Result<Segment, PathError> {
    if piece.is_empty() {
        return err("empty segment (`//`) in route path");
    }
    if let Some(rest) = piece.strip_prefix('<') {
        let Some(inner) = rest.strip_suffix('>') else {
            return if rest.contains('>') {
                err(format!("parameter `{piece}` must be a whole segment"))
            } else {
                err(format!("unclosed `<` in `{piece}`; add `>`"))
            };
        };
        if inner.contains('<') || inner.contains('>') {
            return err(format!("parameter `{piece}` must be a whole segment"));
        }
        if let Some(name) = inner.strip_suffix("..") {
            check_name(name, piece)?;
            return Ok(Segment::Tail(name.to_string()));
        }
        check_name(inner, piece)?;
        return Ok(Segment::Param(inner.to_string()));
    }
    if syntax == Syntax::Runtime
        && let Some(rest) = piece.strip_prefix('{')
    {
        let Some(inner) = rest.strip_suffix('}') else {
            return err(format!("unclosed `{{` in `{piece}`; add `}}`"));
        };
        if let Some(name) = inner.strip_prefix('*') {
            check_name(name, piece)?;
            return Ok(Segment::Tail(name.to_string()));
        }
        check_name(inner, piece)?;
        return Ok(Segment::Param(inner.to_string()));
    }
    // axum refuses a segment starting with `:` or `*` (its old syntax), so both
    // syntaxes do: what the macros accept is never refused at start-up.
    if piece.starts_with(':') || piece.starts_with('*') {
        return err(match syntax {
            Syntax::Runtime => {
                format!("`{piece}` is the old axum syntax; write `<name>` (or `{{name}}`)")
            }
            Syntax::Attribute => format!(
                "`{piece}` looks like axum's old syntax; write `<name>`, or percent-encode the first character"
            ),
        });
    }
    if piece.contains('<') || piece.contains('>') {
        return err(format!(
            "parameter in `{piece}` must be a whole segment, like `/<name>`"
        ));
    }
    let bytes = piece.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = piece[i..].chars().next().unwrap_or('\0');
        if c == '%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return err(format!("`%` in `{piece}` must start an escape like `%20`"));
            }
            i += 3;
            continue;
        }
        if !is_pchar(c) {
            return err(format!(
                "character `{}` is not allowed in a route path (in `{piece}`); percent-encode it",
                c.escape_debug()
            ));
        }
        i += c.len_utf8();
    }
    Ok(Segment::Static(piece.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> RoutePath {
        RoutePath::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn run(s: &str) -> RoutePath {
        RoutePath::parse_as(s, Syntax::Runtime).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn bad(s: &str) -> String {
        RoutePath::parse(s).expect_err(s).0
    }
    fn bad_run(s: &str) -> String {
        RoutePath::parse_as(s, Syntax::Runtime).expect_err(s).0
    }

    #[test]
    fn parses_static_params_tail_and_query() {
        assert_eq!(ok("/").segments, vec![]);
        let p = ok("/book/<id>");
        assert_eq!(
            p.segments,
            vec![Segment::Static("book".into()), Segment::Param("id".into())]
        );
        let p = ok("/files/<path..>");
        assert_eq!(p.segments[1], Segment::Tail("path".into()));
        let p = ok("/search?<q>&<page>");
        assert_eq!(p.query, vec!["q".to_string(), "page".to_string()]);
        assert_eq!(p.path_string(), "/search");
        assert_eq!(p.to_string(), "/search?<q>&<page>");
        assert!(ok("/books/").trailing_slash);
        assert_eq!(ok("/books/").path_string(), "/books/");
        assert_eq!(ok("/a%20b/<x>").path_string(), "/a%20b/<x>");
        assert_eq!(ok("/?<q>").path_string(), "/");
    }

    #[test]
    fn rejects_malformed_paths() {
        assert_eq!(bad("book"), "route path `book` must start with `/`");
        assert_eq!(bad("/book/<id"), "unclosed `<` in `<id`; add `>`");
        assert_eq!(bad("/book/<>"), "parameter `<>` has no name");
        assert_eq!(bad("/book/<..>"), "parameter `<..>` has no name");
        assert_eq!(
            bad("/book/<1d>"),
            "parameter name `1d` in `<1d>` is not a valid identifier"
        );
        assert_eq!(
            bad("/book/a<id>"),
            "parameter in `a<id>` must be a whole segment, like `/<name>`"
        );
        assert_eq!(
            bad("/book/<id>x"),
            "parameter `<id>x` must be a whole segment"
        );
        assert_eq!(
            bad("/<p..>/x"),
            "`<p..>` takes the rest of the path, so it must be the last segment"
        );
        assert_eq!(bad("/a//b"), "empty segment (`//`) in route path");
        assert_eq!(
            bad("/<id>/<id>"),
            "parameter `id` appears twice in `/<id>/<id>`"
        );
        assert_eq!(bad("/<q>?<q>"), "parameter `q` appears twice in `/<q>?<q>`");
        assert_eq!(
            bad("/s?q=1"),
            "query segment `q=1` must be a parameter like `<name>`"
        );
        assert_eq!(bad("/s?"), "nothing after `?` in `/s?`");
        assert!(bad("/a b").contains("character ` ` is not allowed"));
        assert!(bad("/a%zz").contains("must start an escape"));
        // Axum's syntax is for run-time paths only.
        assert!(bad("/book/{id}").contains("character `{` is not allowed"));
    }

    #[test]
    fn runtime_syntax_reads_both_forms_alike() {
        assert_eq!(run("/book/<id>"), run("/book/{id}"));
        assert_eq!(run("/f/<rest..>"), run("/f/{*rest}"));
        assert_eq!(run("/book/{id}").path_string(), "/book/<id>");
        assert_eq!(run("/a/").path_string(), "/a/");
        let path = run("/book/<id>/<rest..>");
        assert_eq!(path.axum_path(|i| format!("p{i}")), "/book/{p1}/{*p2}");
        assert!(bad_run("/:id").contains("old axum syntax"));
        // Found by fuzzing (scripts/battery.sh, B9): the attribute syntax accepted `/:/`,
        // which the runtime syntax (and axum) refuse.
        for p in ["/:/:/", "/:id", "/*rest", "/a/:"] {
            assert!(RoutePath::parse_as(p, Syntax::Attribute).is_err(), "{p}");
            assert!(RoutePath::parse_as(p, Syntax::Runtime).is_err(), "{p}");
        }
        assert!(
            RoutePath::parse_as("/a:b/%3A", Syntax::Attribute).is_ok(),
            "`:` inside is fine"
        );
        assert!(bad_run("/{id").contains("unclosed `{`"));
        assert!(bad_run("/a?b").contains("must not contain a query"));
        assert!(bad_run("/{*a}/b").contains("must be the last segment"));
        // The compile-time and run-time rules for names are one rule.
        assert_eq!(
            bad_run("/<1a>"),
            "parameter name `1a` in `<1a>` is not a valid identifier"
        );
        assert_eq!(bad_run("/{1a}"), bad_run("/{1a}"));
        assert!(bad_run("/{1a}").contains("not a valid identifier"));
    }

    #[test]
    fn mounting_joins_paths() {
        let api = run("/api");
        assert_eq!(run("/").under(&api).path_string(), "/api");
        assert_eq!(run("/books").under(&api).path_string(), "/api/books");
        assert_eq!(run("/books/").under(&api).path_string(), "/api/books/");
        assert_eq!(run("/x").under(&run("/")).path_string(), "/x");
        assert_eq!(run("/").under(&run("/")).path_string(), "/");
        assert_eq!(run("/").under(&run("/api/")).path_string(), "/api/");
    }
}
