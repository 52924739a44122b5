//! Reverse routing: `book::uri(5)` builds `/book/5`, percent-encoding each parameter.

use std::fmt::Display;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What RFC 3986 allows in a path segment as it is (`pchar`: unreserved, sub-delims,
/// `:` and `@`) stays; everything else is encoded: `/`, `?`, `#`, `%`, spaces, quotes,
/// `<>`, non-ASCII.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');
/// A tail parameter keeps its slashes.
const TAIL: &AsciiSet = &SEGMENT.remove(b'/');

/// A reverse-route argument for a parameter of type `T`: anything `Into<T>`, where `T`
/// can be displayed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't fill a `{T}` parameter of a reverse route",
    note = "pass a value that converts into `{T}` with `Into`; `{T}` must implement `Display`"
)]
pub trait UriArg<T> {
    /// Appends the percent-encoded value to `out`.
    fn push_to(self, out: &mut String, tail: bool);
}

impl<A: Into<T>, T: Display> UriArg<T> for A {
    fn push_to(self, out: &mut String, tail: bool) {
        let value: T = self.into();
        let text = value.to_string();
        let set = if tail { TAIL } else { SEGMENT };
        out.extend(utf8_percent_encode(&text, set));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg<T: Display>(v: impl UriArg<T>, tail: bool) -> String {
        let mut s = String::new();
        v.push_to(&mut s, tail);
        s
    }

    #[test]
    fn encodes_segments() {
        assert_eq!(seg::<String>("a b", false), "a%20b");
        assert_eq!(seg::<String>("a/b?c#d", false), "a%2Fb%3Fc%23d");
        assert_eq!(seg::<String>("a/b c", true), "a/b%20c");
        assert_eq!(seg::<i64>(5, false), "5");
        assert_eq!(seg::<String>("é", false), "%C3%A9");
        assert_eq!(seg::<String>("1+", false), "1+", "sub-delims stay");
        assert_eq!(seg::<String>("a:b@c=d", false), "a:b@c=d");
        assert_eq!(seg::<String>("50%<\"'>", false), "50%25%3C%22'%3E");
    }
}
