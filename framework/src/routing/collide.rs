//! When two routes collide: one pure rule, used by `routes!` at compile time (through
//! `const` evaluation) and by [`App`](crate::App) at start-up.
//!
//! kiln routes through axum's matchit trie, which ranks every request the same way,
//! segment by segment from the left: a static segment beats a `<param>`, which beats a
//! `<tail..>`. Two routes with different *shapes* (the sequence of static texts,
//! parameters and tails) therefore never compete: one of them always ranks higher.
//! Two routes collide exactly when they share a method and a shape: `/book/<id>` and
//! `/book/<name>` collide, `/book/new` and `/book/<id>` do not.
//!
//! Paths are written in kiln syntax (`<id>`, `<rest..>`) or axum syntax (`{id}`,
//! `{*rest}`); both mean the same shape.

use super::Methods;

/// What one segment of a path is, for comparing shapes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Static,
    Param,
    Tail,
}

/// The kind of the segment `bytes[start..end]`.
const fn kind(bytes: &[u8], start: usize, end: usize) -> Kind {
    if end > start && (bytes[start] == b'<' || bytes[start] == b'{') {
        let tail = (bytes[start] == b'{' && end > start + 1 && bytes[start + 1] == b'*')
            || (bytes[start] == b'<'
                && end >= start + 4
                && bytes[end - 2] == b'.'
                && bytes[end - 3] == b'.');
        // `{{` is an escaped literal brace in axum syntax, not a parameter.
        if bytes[start] == b'{' && end > start + 1 && bytes[start + 1] == b'{' {
            return Kind::Static;
        }
        if tail { Kind::Tail } else { Kind::Param }
    } else {
        Kind::Static
    }
}

/// The end of the segment starting at `start` (the index of the next `/` or the length).
const fn segment_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && bytes[i] != b'/' {
        i += 1;
    }
    i
}

const fn same_bytes(
    a: &[u8],
    a_start: usize,
    a_end: usize,
    b: &[u8],
    b_start: usize,
    b_end: usize,
) -> bool {
    if a_end - a_start != b_end - b_start {
        return false;
    }
    let mut i = 0;
    while i < a_end - a_start {
        if a[a_start + i] != b[b_start + i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two paths have the same shape: the same static texts at the same places,
/// and parameters and tails at the same places (their names do not matter).
pub const fn same_shape(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        let a_done = i >= a.len();
        let b_done = j >= b.len();
        if a_done || b_done {
            return a_done && b_done;
        }
        let (a_end, b_end) = (segment_end(a, i), segment_end(b, j));
        let (ka, kb) = (kind(a, i, a_end), kind(b, j, b_end));
        let same = match (ka, kb) {
            (Kind::Static, Kind::Static) => same_bytes(a, i, a_end, b, j, b_end),
            (Kind::Param, Kind::Param) | (Kind::Tail, Kind::Tail) => true,
            _ => false,
        };
        if !same {
            return false;
        }
        // Step over the `/` too, keeping "ends here" and "ends in `/`" apart.
        if a_end < a.len() && b_end < b.len() {
            i = a_end + 1;
            j = b_end + 1;
            if i >= a.len() || j >= b.len() {
                return i >= a.len() && j >= b.len();
            }
        } else {
            return a_end >= a.len() && b_end >= b.len();
        }
    }
}

/// Whether axum's router can't hold both paths, whatever their methods: where they
/// first differ, one has a `<param>` and the other a `<rest..>`.
/// (`/files/<name>` and `/files/<path..>` can't both be routed; `/files/new` and
/// `/files/<path..>` can.)
pub const fn router_conflict(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (a_end, b_end) = (segment_end(a, i), segment_end(b, j));
        match (kind(a, i, a_end), kind(b, j, b_end)) {
            (Kind::Param, Kind::Tail) | (Kind::Tail, Kind::Param) => return true,
            (Kind::Static, Kind::Static) if same_bytes(a, i, a_end, b, j, b_end) => {}
            (Kind::Param, Kind::Param) => {}
            _ => return false,
        }
        i = a_end + 1;
        j = b_end + 1;
    }
    false
}

/// Whether two routes collide: they share a method and a shape.
pub const fn collides(a_methods: Methods, a_path: &str, b_methods: Methods, b_path: &str) -> bool {
    a_methods.intersects(b_methods) && same_shape(a_path, b_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: Methods = Methods::GET;

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
            assert!(collides(GET, a, GET, b), "{a} should collide with {b}");
            assert!(
                collides(GET, b, GET, a),
                "collisions are symmetric: {b} / {a}"
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
            ("/{{x}}", "/{x}"),
        ];
        for (a, b) in table {
            assert!(!collides(GET, a, GET, b), "{a} should not collide with {b}");
            assert!(!collides(GET, b, GET, a), "{b} should not collide with {a}");
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
            assert!(router_conflict(a, b), "{a} and {b} can't share the router");
            assert!(router_conflict(b, a), "symmetric: {b} / {a}");
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
            assert!(!router_conflict(a, b), "{a} and {b} can share the router");
        }
    }

    #[test]
    fn methods_must_overlap() {
        assert!(!collides(Methods::GET, "/x", Methods::POST, "/x"));
        assert!(!collides(Methods::GET, "/x", Methods::HEAD, "/x"));
        let both = Methods::GET.union(Methods::POST);
        assert!(collides(both, "/x", Methods::POST, "/x"));
    }

    #[test]
    fn usable_in_const_context() {
        const {
            assert!(collides(
                Methods::GET,
                "/book/<id>",
                Methods::GET,
                "/book/<slug>"
            ))
        };
        const {
            assert!(!collides(
                Methods::GET,
                "/book/new",
                Methods::GET,
                "/book/<slug>"
            ))
        };
    }
}
