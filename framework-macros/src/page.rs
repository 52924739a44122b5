//! `#[page("home.html")]`: a struct rendered by an askama template from the crate's
//! `templates/` folder, answering as an HTML page.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{DeriveInput, Ident, LitStr, Token};

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

/// Expands `#[page(..)]` on a struct.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "`#[page]` goes on a struct whose fields the template reads",
            )
            .to_compile_error();
            return quote! { #err #item };
        }
    };
    let template = match PageArgs::parse.parse2(args) {
        Ok(PageArgs::Path(path)) => {
            if let Some(err) = missing_template(&path) {
                let err = err.to_compile_error();
                return quote! { #err #input };
            }
            quote!(path = #path)
        }
        Ok(PageArgs::Source { source, ext }) => quote!(source = #source, ext = #ext),
        Err(e) => {
            let e = e.to_compile_error();
            return quote! { #e #input };
        }
    };
    if let syn::Data::Union(u) = &input.data {
        let err = syn::Error::new(u.union_token.span, "`#[page]` goes on a struct or an enum")
            .to_compile_error();
        return quote! { #err #input };
    }
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[derive(::kiln::askama::Template)]
        #[template(#template, askama = ::kiln::askama)]
        #input

        impl #impl_generics ::kiln::__private::IntoResponse for #name #ty_generics #where_clause {
            fn into_response(self) -> ::kiln::__private::Response {
                ::kiln::__private::render_page(&self)
            }
        }
    }
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
