//! Run-time parsing of route paths, for `App::route`, mount prefixes and building
//! the axum path of each route. Accepts kiln syntax (`/book/<id>`, `/files/<p..>`)
//! and axum syntax (`/book/{id}`, `/files/{*p}`).

use std::fmt::Write as _;

/// One segment of a parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// Literal text, already escaped for axum (`{` written `{{`).
    Static(String),
    /// A one-segment parameter and its name.
    Param(String),
    /// A rest-of-path parameter and its name.
    Tail(String),
}

/// A parsed path: segments and whether it ends in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedPath {
    pub segs: Vec<Seg>,
    pub trailing_slash: bool,
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl ParsedPath {
    /// Parses `path`, returning a message for the user on a mistake.
    pub(crate) fn parse(path: &str) -> Result<ParsedPath, String> {
        let Some(body) = path.strip_prefix('/') else {
            return Err(format!("path `{path}` must start with `/`"));
        };
        if path.contains('?') {
            return Err(format!("path `{path}` must not contain a query (`?`)"));
        }
        let trailing_slash = body.ends_with('/');
        let body = body.strip_suffix('/').unwrap_or(body);
        if body.is_empty() && trailing_slash {
            return Err(format!("empty segment (`//`) in `{path}`"));
        }
        let mut segs = Vec::new();
        if !body.is_empty() {
            let pieces: Vec<&str> = body.split('/').collect();
            for (i, piece) in pieces.iter().enumerate() {
                let seg = parse_seg(piece).map_err(|e| format!("{e} in `{path}`"))?;
                if matches!(seg, Seg::Tail(_)) && (i + 1 != pieces.len() || trailing_slash) {
                    return Err(format!(
                        "the rest-of-path parameter must come last in `{path}`"
                    ));
                }
                segs.push(seg);
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for s in &segs {
            if let Seg::Param(n) | Seg::Tail(n) = s {
                if names.contains(&n.as_str()) {
                    return Err(format!("parameter `{n}` appears twice in `{path}`"));
                }
                names.push(n);
            }
        }
        Ok(ParsedPath {
            segs,
            trailing_slash,
        })
    }

    /// Whether the path has any parameter.
    pub(crate) fn is_static(&self) -> bool {
        self.segs.iter().all(|s| matches!(s, Seg::Static(_)))
    }

    /// This path under `prefix` (which must be static): `/api` + `/books` = `/api/books`.
    pub(crate) fn under(&self, prefix: &ParsedPath) -> ParsedPath {
        let mut segs = prefix.segs.clone();
        segs.extend(self.segs.iter().cloned());
        let trailing_slash = if self.segs.is_empty() {
            // `/api` + `/` is `/api`; `/api/` + `/` is `/api/`.
            prefix.trailing_slash
        } else {
            self.trailing_slash
        };
        ParsedPath {
            segs,
            trailing_slash,
        }
    }

    /// The path in kiln syntax, as users read it in messages.
    pub(crate) fn display(&self) -> String {
        self.render(|out, seg, _| match seg {
            Seg::Static(s) => out.push_str(&s.replace("{{", "{").replace("}}", "}")),
            Seg::Param(n) => {
                let _ = write!(out, "<{n}>");
            }
            Seg::Tail(n) => {
                let _ = write!(out, "<{n}..>");
            }
        })
    }

    /// The path in axum syntax, each parameter named by `name(index_of_segment)`.
    pub(crate) fn axum_path(&self, mut name: impl FnMut(usize) -> String) -> String {
        self.render(|out, seg, i| match seg {
            Seg::Static(s) => out.push_str(s),
            Seg::Param(_) => {
                let _ = write!(out, "{{{}}}", name(i));
            }
            Seg::Tail(_) => {
                let _ = write!(out, "{{*{}}}", name(i));
            }
        })
    }

    /// A key naming the shape of the first `n` segments: `/book/<>/<..>`.
    pub(crate) fn shape_prefix(&self, n: usize) -> String {
        let mut out = String::new();
        for seg in &self.segs[..n] {
            out.push('/');
            match seg {
                Seg::Static(s) => out.push_str(s),
                Seg::Param(_) => out.push_str("<>"),
                Seg::Tail(_) => out.push_str("<..>"),
            }
        }
        out
    }

    fn render(&self, mut f: impl FnMut(&mut String, &Seg, usize)) -> String {
        let mut out = String::new();
        for (i, seg) in self.segs.iter().enumerate() {
            out.push('/');
            f(&mut out, seg, i);
        }
        if out.is_empty() || self.trailing_slash {
            out.push('/');
        }
        out
    }
}

fn parse_seg(piece: &str) -> Result<Seg, String> {
    if piece.is_empty() {
        return Err("empty segment (`//`)".into());
    }
    if let Some(inner) = piece.strip_prefix('<') {
        let Some(inner) = inner.strip_suffix('>') else {
            return Err(format!("unclosed `<` in `{piece}`"));
        };
        return match inner.strip_suffix("..") {
            Some(n) if is_name(n) => Ok(Seg::Tail(n.into())),
            None if is_name(inner) => Ok(Seg::Param(inner.into())),
            _ => Err(format!("bad parameter `{piece}`")),
        };
    }
    if piece.starts_with('{') && !piece.starts_with("{{") {
        let Some(inner) = piece[1..].strip_suffix('}') else {
            return Err(format!("unclosed `{{` in `{piece}`"));
        };
        return match inner.strip_prefix('*') {
            Some(n) if is_name(n) => Ok(Seg::Tail(n.into())),
            None if is_name(inner) => Ok(Seg::Param(inner.into())),
            _ => Err(format!("bad parameter `{piece}`")),
        };
    }
    if piece.starts_with(':') || piece.starts_with('*') {
        return Err(format!(
            "`{piece}` is the old axum syntax; write `<name>` (or `{{name}}`)"
        ));
    }
    if piece.contains('<') || piece.contains('>') {
        return Err(format!("parameter in `{piece}` must be a whole segment"));
    }
    // A lone brace in a static segment is escaped for axum; `{{`/`}}` already are.
    let mut out = String::with_capacity(piece.len());
    let mut chars = piece.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' if chars.peek() == Some(&c) => {
                chars.next();
                out.push(c);
                out.push(c);
            }
            '{' | '}' => {
                out.push(c);
                out.push(c);
            }
            c if c.is_whitespace() || c.is_control() => {
                return Err(format!(
                    "`{}` is not allowed in a path segment",
                    c.escape_debug()
                ));
            }
            c => out.push(c),
        }
    }
    Ok(Seg::Static(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ParsedPath {
        ParsedPath::parse(s).unwrap()
    }

    #[test]
    fn both_syntaxes_parse_alike() {
        assert_eq!(p("/book/<id>"), p("/book/{id}"));
        assert_eq!(p("/f/<rest..>"), p("/f/{*rest}"));
        assert_eq!(p("/book/<id>").display(), "/book/<id>");
        assert_eq!(p("/").display(), "/");
        assert_eq!(p("/a/").display(), "/a/");
    }

    #[test]
    fn mounting_joins_paths() {
        let api = p("/api");
        assert_eq!(p("/").under(&api).display(), "/api");
        assert_eq!(p("/books").under(&api).display(), "/api/books");
        assert_eq!(p("/books/").under(&api).display(), "/api/books/");
        assert_eq!(p("/x").under(&p("/")).display(), "/x");
        assert_eq!(p("/").under(&p("/")).display(), "/");
        assert_eq!(p("/").under(&p("/api/")).display(), "/api/");
    }

    #[test]
    fn axum_paths_and_shapes() {
        let path = p("/book/<id>/<rest..>");
        assert_eq!(path.axum_path(|i| format!("p{i}")), "/book/{p1}/{*p2}");
        assert_eq!(path.shape_prefix(2), "/book/<>");
        assert_eq!(p("/a{b").axum_path(|_| String::new()), "/a{{b");
    }

    #[test]
    fn rejects_mistakes() {
        assert!(
            ParsedPath::parse("book")
                .unwrap_err()
                .contains("must start with `/`")
        );
        assert!(
            ParsedPath::parse("/:id")
                .unwrap_err()
                .contains("old axum syntax")
        );
        assert!(ParsedPath::parse("/<id").unwrap_err().contains("unclosed"));
        assert!(
            ParsedPath::parse("/<a..>/b")
                .unwrap_err()
                .contains("must come last")
        );
        assert!(ParsedPath::parse("/<a>/<a>").unwrap_err().contains("twice"));
        assert!(ParsedPath::parse("/a?b").unwrap_err().contains("query"));
        assert!(
            ParsedPath::parse("/a b")
                .unwrap_err()
                .contains("not allowed")
        );
    }
}
