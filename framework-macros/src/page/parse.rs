//! Reading `#[page(..)]`'s arguments into the [`Page`] model, checking the template
//! file exists.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{DeriveInput, Ident, LitStr, Token};

use super::{Page, Template};
use kiln_macro_support::Ctxt;

/// Reads the attribute's arguments and checks the item; every mistake is reported.
pub(crate) fn page(args: TokenStream, input: &DeriveInput) -> syn::Result<Page> {
    let mut cx = Ctxt::new();
    let template = match PageArgs::parse.parse2(args) {
        Ok(PageArgs::Path(path)) => {
            if let Some(err) = not_escaped(&path, &path.value()) {
                cx.push(err);
            } else if let Some(err) = missing_template(&path) {
                cx.push(err);
            }
            Some(Template::Path(path))
        }
        Ok(PageArgs::Source { source, ext }) => {
            if let Some(err) = not_escaped(&ext, &format!("ext = \"{}\"", ext.value())) {
                cx.push(err);
            }
            Some(Template::Source { source, ext })
        }
        Err(e) => {
            cx.push(e);
            None
        }
    };
    if let syn::Data::Union(u) = &input.data {
        cx.error_at(u.union_token.span, "`#[page]` goes on a struct or an enum");
    }
    match (template, cx.into_error()) {
        (Some(template), None) => Ok(Page { template }),
        (_, Some(err)) => Err(err),
        (None, None) => Err(syn::Error::new(
            Span::call_site(),
            "invalid `#[page]` arguments",
        )),
    }
}

/// `"home.html"`, or `source = "..", ext = "html"` for an inline template.
enum PageArgs {
    Path(LitStr),
    Source { source: LitStr, ext: LitStr },
}

impl Parse for PageArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<PageArgs> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected a template path, like `#[page(\"home.html\")]`",
            ));
        }
        if input.peek(LitStr) {
            let path: LitStr = input.parse()?;
            if !input.is_empty() {
                return Err(input.error("`#[page]` takes only the template path"));
            }
            return Ok(PageArgs::Path(path));
        }
        let (mut source, mut ext) = (None, None);
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: LitStr = input.parse()?;
            match key.to_string().as_str() {
                "source" => source = Some(value),
                "ext" => ext = Some(value),
                "path" => return Ok(PageArgs::Path(value)),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{other}`; use a path (`#[page(\"home.html\")]`) or `source = \"..\", ext = \"html\"`"
                        ),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        match (source, ext) {
            (Some(source), Some(ext)) => Ok(PageArgs::Source { source, ext }),
            (Some(source), None) => Ok(PageArgs::Source {
                source,
                ext: LitStr::new("html", Span::call_site()),
            }),
            _ => Err(syn::Error::new(
                Span::call_site(),
                "expected a template path, like `#[page(\"home.html\")]`",
            )),
        }
    }
}

/// The extensions askama HTML-escapes by default (also under `.j2`, `.jinja`, `.jinja2`).
const ESCAPED: &[&str] = &["html", "htm", "svg", "xml"];

/// A `#[page]` is served as `text/html`: its template must be one askama escapes, or
/// `{{ user_text }}` would reach the browser as markup.
fn not_escaped(at: &LitStr, name: &str) -> Option<syn::Error> {
    let mut parts = name.trim_end_matches('"').rsplit(['.', '"']);
    let mut ext = parts.next().unwrap_or_default().to_ascii_lowercase();
    if matches!(ext.as_str(), "j2" | "jinja" | "jinja2") {
        ext = parts.next().unwrap_or_default().to_ascii_lowercase();
    }
    if ESCAPED.contains(&ext.as_str()) {
        return None;
    }
    Some(syn::Error::new(
        at.span(),
        format!(
            "`#[page]` serves text/html, but askama escapes HTML only in `.html`, `.htm`, `.svg` and `.xml` templates, so `{name}` would send `{{{{ value }}}}` unescaped; name the template `.html`, or answer other formats with your own `IntoResponse`"
        ),
    ))
}

/// A clear error when `templates/<path>` does not exist, in the usual setup (no
/// `askama.toml` naming other folders; then askama itself reports it).
fn missing_template(path: &LitStr) -> Option<syn::Error> {
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if dir.join("askama.toml").exists() {
        return None;
    }
    let name = path.value();
    if dir.join("templates").join(&name).is_file() {
        return None;
    }
    Some(syn::Error::new(
        path.span(),
        format!(
            "template `{name}` not found: expected the file `templates/{name}` next to the crate's Cargo.toml"
        ),
    ))
}
