//! kiln's route path parser (`kiln_route::RoutePath`), the one grammar the macros and
//! the runtime share: any input either fails with a message or parses to a path that
//! renders back to itself, with identifier parameters and a tail only at the end.
#![no_main]

use kiln_route::{RoutePath, Segment, Syntax};
use libfuzzer_sys::fuzz_target;

fn check(input: &str, syntax: Syntax) {
    let Ok(path) = RoutePath::parse_as(input, syntax) else {
        return;
    };
    for (i, segment) in path.segments.iter().enumerate() {
        match segment {
            Segment::Param(name) | Segment::Tail(name) => {
                assert!(
                    name.chars()
                        .next()
                        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
                        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()),
                    "{input:?}: parameter name {name:?} is not an identifier"
                );
                if matches!(segment, Segment::Tail(_)) {
                    assert_eq!(
                        i + 1,
                        path.segments.len(),
                        "{input:?}: a tail before the end"
                    );
                }
            }
            Segment::Static(s) => assert!(!s.contains('/'), "{input:?}: `/` in a segment"),
        }
    }
    // The path, rendered in kiln syntax, parses back to the same segments, in the syntax
    // `App` parses a route's path with at launch (`Syntax::Runtime`): what the macros
    // accept must not be refused at start-up. `KILN_FUZZ_KNOWN=launch` checks the round
    // trip in the input's own syntax instead, to fuzz on past that known finding
    // (a static segment starting with `:` or `*`).
    let rendered = path.path_string();
    let known = std::env::var("KILN_FUZZ_KNOWN").is_ok_and(|v| v.contains("launch"));
    let again = RoutePath::parse_as(&rendered, if known { syntax } else { Syntax::Runtime })
        .unwrap_or_else(|e| panic!("{input:?} rendered as {rendered:?} does not parse: {e}"));
    assert_eq!(again.segments, path.segments, "{input:?} -> {rendered:?}");
    assert_eq!(
        again.trailing_slash, path.trailing_slash,
        "{input:?} -> {rendered:?}"
    );
    let _ = path.axum_path(|i| format!("p{i}"));
    let parts = path.parts();
    let _ = path.shape(&parts);
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    check(input, Syntax::Attribute);
    check(input, Syntax::Runtime);
});
