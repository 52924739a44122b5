//! When two routes collide: one pure rule, `const` so that `routes!` applies it during
//! compilation (over the shapes the route attributes emit) and `App` applies the same
//! function at start-up (over the shapes of parsed paths).
//!
//! kiln routes through axum's matchit trie, which ranks every request the same way,
//! segment by segment from the left: a static segment beats a `<param>`, which beats a
//! `<tail..>`. Two routes with different *shapes* (the sequence of static texts,
//! parameters and tails) therefore never compete: one of them always ranks higher.
//! Two routes collide exactly when they share a method and a shape: `/book/<id>` and
//! `/book/<name>` collide, `/book/new` and `/book/<id>` do not.

use crate::method::Methods;

/// One segment of a path's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    /// Literal text.
    Static(&'a str),
    /// A one-segment parameter (its name does not matter).
    Param,
    /// A rest-of-path parameter.
    Tail,
}

/// A path's shape: what the collision rule compares. Made from a parsed
/// [`RoutePath`](crate::RoutePath) by [`RoutePath::shape`](crate::RoutePath::shape), or
/// written as a constant by the route attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape<'a> {
    /// The segments after the leading `/`.
    pub parts: &'a [Part<'a>],
    /// Whether the path ends in `/` after at least one segment.
    pub trailing_slash: bool,
}

const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn same_part(a: Part<'_>, b: Part<'_>) -> bool {
    match (a, b) {
        (Part::Static(x), Part::Static(y)) => same_text(x, y),
        (Part::Param, Part::Param) | (Part::Tail, Part::Tail) => true,
        _ => false,
    }
}

/// Whether two paths have the same shape: the same static texts at the same places,
/// and parameters and tails at the same places (their names do not matter).
pub const fn same_shape(a: &Shape<'_>, b: &Shape<'_>) -> bool {
    if a.parts.len() != b.parts.len() || a.trailing_slash != b.trailing_slash {
        return false;
    }
    let mut i = 0;
    while i < a.parts.len() {
        if !same_part(a.parts[i], b.parts[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether axum's router can't hold both paths, whatever their methods: where they
/// first differ, one has a `<param>` and the other a `<rest..>`.
/// (`/files/<name>` and `/files/<path..>` can't both be routed; `/files/new` and
/// `/files/<path..>` can.)
pub const fn router_conflict(a: &Shape<'_>, b: &Shape<'_>) -> bool {
    let mut i = 0;
    while i < a.parts.len() && i < b.parts.len() {
        match (a.parts[i], b.parts[i]) {
            (Part::Param, Part::Tail) | (Part::Tail, Part::Param) => return true,
            (Part::Param, Part::Param) => {}
            (x, y) if same_part(x, y) && matches!(x, Part::Static(_)) => {}
            _ => return false,
        }
        i += 1;
    }
    false
}

/// Whether two routes collide: they share a method and a shape.
pub const fn collides(
    a_methods: Methods,
    a: &Shape<'_>,
    b_methods: Methods,
    b: &Shape<'_>,
) -> bool {
    a_methods.intersects(b_methods) && same_shape(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::{RoutePath, Syntax};

    const GET: Methods = Methods::GET;

    /// Applies `f` to the shapes of two run-time paths.
    fn with<R>(a: &str, b: &str, f: impl Fn(&Shape<'_>, &Shape<'_>) -> R) -> R {
        let pa = RoutePath::parse_as(a, Syntax::Runtime).unwrap();
        let pb = RoutePath::parse_as(b, Syntax::Runtime).unwrap();
        let (xa, xb) = (pa.parts(), pb.parts());
        f(&pa.shape(&xa), &pb.shape(&xb))
    }

    #[test]
    fn collisions() {
        let table = [
            ("/", "/"),
            ("/book/<id>", "/book/<name>"),
            ("/book/<id>", "/book/{id}"),
            ("/<a>/<b>", "/<x>/<y>"),
            ("/files/<p..>", "/files/<rest..>"),
            ("/files/<p..>", "/files/{*rest}"),
            ("/a/<b>/c", "/a/<x>/c"),
            ("/books/", "/books/"),
            ("/a%20b", "/a%20b"),
        ];
        for (a, b) in table {
            assert!(
                with(a, b, |x, y| collides(GET, x, GET, y)),
                "{a} should collide with {b}"
            );
            assert!(
                with(b, a, |x, y| collides(GET, x, GET, y)),
                "symmetric: {b} / {a}"
            );
        }
    }

    #[test]
    fn non_collisions() {
        let table = [
            ("/book/new", "/book/<id>"),
            ("/book/<id>", "/<x>/1"),
            ("/a", "/b"),
            ("/a", "/aa"),
            ("/a/b", "/a"),
            ("/", "/a"),
            ("/hello", "/hello/"),
            ("/<a>", "/<a>/"),
            ("/files/<p..>", "/files/<p>"),
            ("/files/<p..>", "/files"),
            ("/a/<b>", "/b/<b>"),
        ];
        for (a, b) in table {
            assert!(
                !with(a, b, |x, y| collides(GET, x, GET, y)),
                "{a} should not collide with {b}"
            );
            assert!(
                !with(b, a, |x, y| collides(GET, x, GET, y)),
                "{b} should not collide with {a}"
            );
        }
    }

    #[test]
    fn router_conflicts() {
        let conflicts = [
            ("/files/<name>", "/files/<path..>"),
            ("/<a>", "/<rest..>"),
            ("/u/<id>/<x>", "/u/<id>/<rest..>"),
            ("/u/<id>", "/u/{*rest}"),
        ];
        for (a, b) in conflicts {
            assert!(
                with(a, b, router_conflict),
                "{a} and {b} can't share the router"
            );
            assert!(with(b, a, router_conflict), "symmetric: {b} / {a}");
        }
        let fine = [
            ("/files/new", "/files/<path..>"),
            ("/u/<id>/x", "/u/<id>/<rest..>"),
            ("/files/<name>", "/files/<name>/<rest..>"),
            ("/a/<x>", "/b/<rest..>"),
            ("/book/<id>", "/book/<slug>"),
            ("/files/<p..>", "/files/<q..>"),
            ("/", "/<rest..>"),
        ];
        for (a, b) in fine {
            assert!(
                !with(a, b, router_conflict),
                "{a} and {b} can share the router"
            );
        }
    }

    #[test]
    fn methods_must_overlap() {
        let x = Shape {
            parts: &[Part::Static("x")],
            trailing_slash: false,
        };
        assert!(!collides(Methods::GET, &x, Methods::POST, &x));
        assert!(!collides(Methods::GET, &x, Methods::HEAD, &x));
        let both = Methods::GET.union(Methods::POST);
        assert!(collides(both, &x, Methods::POST, &x));
    }

    #[test]
    fn usable_in_const_context() {
        const BOOK_ID: Shape<'static> = Shape {
            parts: &[Part::Static("book"), Part::Param],
            trailing_slash: false,
        };
        const BOOK_NEW: Shape<'static> = Shape {
            parts: &[Part::Static("book"), Part::Static("new")],
            trailing_slash: false,
        };
        const { assert!(collides(Methods::GET, &BOOK_ID, Methods::GET, &BOOK_ID)) };
        const { assert!(!collides(Methods::GET, &BOOK_NEW, Methods::GET, &BOOK_ID)) };
    }
}
