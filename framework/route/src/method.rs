//! The HTTP methods kiln routes: one table, read by the macros (attribute names,
//! `methods = [..]`, `#[resource]` verbs) and the runtime (`Allow`, axum's filters).

use std::fmt;

/// A set of HTTP methods, usable in `const` context.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Methods(u16);

/// One row of the method table.
#[derive(Debug, Clone, Copy)]
pub struct MethodDef {
    /// The set holding just this method.
    pub set: Methods,
    /// Its name on the wire: `GET`.
    pub name: &'static str,
    /// Whether it has a route attribute of its own (`#[get]`) and is a `#[resource]`
    /// verb (`fn get`); the others are reached through `#[route(methods = [..])]`.
    pub verb: bool,
}

/// Every method kiln routes, in the order they are listed in messages and `Allow`.
pub const METHODS: [MethodDef; 9] = [
    MethodDef {
        set: Methods::GET,
        name: "GET",
        verb: true,
    },
    MethodDef {
        set: Methods::HEAD,
        name: "HEAD",
        verb: true,
    },
    MethodDef {
        set: Methods::POST,
        name: "POST",
        verb: true,
    },
    MethodDef {
        set: Methods::PUT,
        name: "PUT",
        verb: true,
    },
    MethodDef {
        set: Methods::PATCH,
        name: "PATCH",
        verb: true,
    },
    MethodDef {
        set: Methods::DELETE,
        name: "DELETE",
        verb: true,
    },
    MethodDef {
        set: Methods::OPTIONS,
        name: "OPTIONS",
        verb: true,
    },
    MethodDef {
        set: Methods::TRACE,
        name: "TRACE",
        verb: false,
    },
    MethodDef {
        set: Methods::CONNECT,
        name: "CONNECT",
        verb: false,
    },
];

impl Methods {
    /// No method.
    pub const NONE: Methods = Methods(0);
    /// `GET` (which also answers `HEAD`).
    pub const GET: Methods = Methods(1);
    /// `HEAD`.
    pub const HEAD: Methods = Methods(1 << 1);
    /// `POST`.
    pub const POST: Methods = Methods(1 << 2);
    /// `PUT`.
    pub const PUT: Methods = Methods(1 << 3);
    /// `PATCH`.
    pub const PATCH: Methods = Methods(1 << 4);
    /// `DELETE`.
    pub const DELETE: Methods = Methods(1 << 5);
    /// `OPTIONS`.
    pub const OPTIONS: Methods = Methods(1 << 6);
    /// `TRACE`.
    pub const TRACE: Methods = Methods(1 << 7);
    /// `CONNECT`.
    pub const CONNECT: Methods = Methods(1 << 8);

    /// Both sets together.
    pub const fn union(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// The methods in both sets.
    pub const fn intersection(self, other: Methods) -> Methods {
        Methods(self.0 & other.0)
    }

    /// Whether the sets share a method.
    pub const fn intersects(self, other: Methods) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set holding just the method named `name` (`GET`, exact case), if kiln routes it.
    pub fn from_name(name: &str) -> Option<Methods> {
        METHODS.iter().find(|m| m.name == name).map(|m| m.set)
    }

    /// The rows of the table in this set, in table order.
    pub fn defs(self) -> impl Iterator<Item = &'static MethodDef> {
        METHODS.iter().filter(move |m| self.intersects(m.set))
    }

    /// The names of the methods in the set, in table order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        self.defs().map(|m| m.name)
    }
}

impl MethodDef {
    /// The method whose attribute or `#[resource]` function is named `name` (`get`).
    pub fn verb(name: &str) -> Option<&'static MethodDef> {
        METHODS
            .iter()
            .find(|m| m.verb && m.name.eq_ignore_ascii_case(name) && name == name.to_lowercase())
    }

    /// The method spelt `name` in a `methods = [..]` list (`GET`, exact case).
    pub fn named(name: &str) -> Option<&'static MethodDef> {
        METHODS.iter().find(|m| m.name == name)
    }
}

impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Methods({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table() {
        let all = METHODS.iter().fold(Methods::NONE, |a, m| a.union(m.set));
        assert_eq!(
            all.names().count(),
            METHODS.len(),
            "every row has its own bit"
        );
        assert_eq!(Methods::from_name("PATCH"), Some(Methods::PATCH));
        assert_eq!(Methods::from_name("patch"), None);
        assert_eq!(Methods::GET.union(Methods::POST).to_string(), "GET,POST");
        assert_eq!(MethodDef::verb("get").map(|m| m.name), Some("GET"));
        assert!(MethodDef::verb("Get").is_none());
        assert!(MethodDef::verb("trace").is_none());
        assert_eq!(MethodDef::named("TRACE").map(|m| m.name), Some("TRACE"));
    }
}
