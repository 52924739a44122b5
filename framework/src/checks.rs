//! Compile-time checks evaluated in `const` items that `routes!` and `catchers!`
//! emit: a collision panics during constant evaluation, which is a compile error.

use crate::catcher::CatcherInfo;
use kiln_route::{METHODS, Methods, collides, router_conflict};

use crate::routing::RouteInfo;

/// A message built in `const` context (no allocation there), up to 1 KiB.
#[doc(hidden)]
pub struct ConstMessage {
    buf: [u8; 1024],
    len: usize,
}

impl ConstMessage {
    const fn new() -> ConstMessage {
        ConstMessage {
            buf: [0; 1024],
            len: 0,
        }
    }

    const fn push(mut self, s: &str) -> ConstMessage {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn push_u32(self, n: u32) -> ConstMessage {
        let mut digits = [0u8; 10];
        let (mut n, mut count) = (n, 0);
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut out = self;
        while count > 0 {
            count -= 1;
            if out.len < out.buf.len() {
                out.buf[out.len] = digits[count];
                out.len += 1;
            }
        }
        out
    }

    const fn push_methods(self, m: Methods) -> ConstMessage {
        let mut out = self;
        let (mut i, mut first) = (0, true);
        while i < METHODS.len() {
            if m.intersects(METHODS[i].set) {
                if !first {
                    out = out.push(",");
                }
                out = out.push(METHODS[i].name);
                first = false;
            }
            i += 1;
        }
        out
    }

    /// `name` (file:line)
    const fn push_site(self, name: &str, file: &str, line: u32) -> ConstMessage {
        self.push("`")
            .push(name)
            .push("` (")
            .push(file)
            .push(":")
            .push_u32(line)
            .push(")")
    }

    const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => "(message cut inside a character)",
        }
    }
}

/// Fails compilation if a route of `later` collides with a route of `earlier`.
#[doc(hidden)]
pub const fn assert_no_collision(earlier: &[&[RouteInfo]], later: &[RouteInfo]) {
    let mut e = 0;
    while e < earlier.len() {
        let mut i = 0;
        while i < earlier[e].len() {
            let a = &earlier[e][i];
            let mut j = 0;
            while j < later.len() {
                let b = &later[j];
                if router_conflict(&a.shape, &b.shape) {
                    let msg = ConstMessage::new()
                        .push("routes ")
                        .push_site(a.name, a.file, a.line)
                        .push(" and ")
                        .push_site(b.name, b.file, b.line)
                        .push(" can't both be routed: `")
                        .push(a.path)
                        .push("` and `")
                        .push(b.path)
                        .push(
                            "` have a parameter and a rest-of-path parameter at the same segment",
                        );
                    panic!("{}", msg.as_str());
                }
                if collides(a.methods, &a.shape, b.methods, &b.shape) {
                    let msg = ConstMessage::new()
                        .push("routes ")
                        .push_site(a.name, a.file, a.line)
                        .push(" and ")
                        .push_site(b.name, b.file, b.line)
                        .push(" both answer ")
                        .push_methods(a.methods.intersection(b.methods))
                        .push(" ")
                        .push(b.path);
                    panic!("{}", msg.as_str());
                }
                j += 1;
            }
            i += 1;
        }
        e += 1;
    }
}

/// Fails compilation if `later` catches a status an earlier catcher already catches.
#[doc(hidden)]
pub const fn assert_distinct_catchers(earlier: &[&CatcherInfo], later: &CatcherInfo) {
    let mut i = 0;
    while i < earlier.len() {
        let a = earlier[i];
        let same = match (a.code, later.code) {
            (Some(x), Some(y)) => x == y,
            (None, None) => true,
            _ => false,
        };
        if same {
            let msg = ConstMessage::new()
                .push("catchers ")
                .push_site(a.name, a.file, a.line)
                .push(" and ")
                .push_site(later.name, later.file, later.line)
                .push(" both catch ");
            let msg = match later.code {
                Some(code) => msg.push_u32(code as u32),
                None => msg.push("default"),
            };
            panic!("{}", msg.as_str());
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_build_in_const_context() {
        const M: ConstMessage = ConstMessage::new()
            .push("GET ")
            .push_u32(4041)
            .push(" ")
            .push_methods(Methods::GET.union(Methods::POST));
        assert_eq!(M.as_str(), "GET 4041 GET,POST");
        assert_eq!(ConstMessage::new().push_u32(0).as_str(), "0");
    }

    #[test]
    #[should_panic(expected = "routes `a` (x.rs:1) and `b` (y.rs:2) both answer GET /book/<name>")]
    fn collisions_panic_with_both_names() {
        let a = [RouteInfo {
            name: "a",
            methods: Methods::GET,
            path: "/book/<id>",
            shape: kiln_route::Shape {
                parts: &[kiln_route::Part::Static("book"), kiln_route::Part::Param],
                trailing_slash: false,
            },
            query: &[],
            csrf: true,
            module: "m",
            file: "x.rs",
            line: 1,
        }];
        let b = [RouteInfo {
            name: "b",
            methods: Methods::GET.union(Methods::PUT),
            path: "/book/<name>",
            shape: kiln_route::Shape {
                parts: &[kiln_route::Part::Static("book"), kiln_route::Part::Param],
                trailing_slash: false,
            },
            query: &[],
            csrf: true,
            module: "m",
            file: "y.rs",
            line: 2,
        }];
        assert_no_collision(&[&a], &b);
    }
}
