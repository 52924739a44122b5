//! `kiln::migrations!()`: a crate's `migrations/` folder, embedded.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;

pub(crate) fn embed(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let (folder, span) = if input.is_empty() {
        ("migrations".to_string(), Span::call_site())
    } else {
        let lit: LitStr = syn::parse2(input.clone()).map_err(|_| {
            syn::Error::new_spanned(
                &input,
                "`migrations!` takes the folder as a string: `kiln::migrations!(\"migrations\")`",
            )
        })?;
        (lit.value(), lit.span())
    };
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|_| {
        syn::Error::new(
            span,
            "`migrations!` needs CARGO_MANIFEST_DIR (run it through cargo)",
        )
    })?;
    let dir = PathBuf::from(manifest).join(&folder);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
        // No folder yet: no migrations (the first `makemigrations` makes it).
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut entries = Vec::new();
    for name in &names {
        let mut files = Vec::new();
        for file in ["sqlite.sql", "postgres.sql", "schema.json"] {
            let path = dir.join(name).join(file);
            if !path.is_file() {
                return Err(syn::Error::new(
                    span,
                    format!("migration `{name}` has no `{file}` ({})", path.display()),
                ));
            }
            let path = path.display().to_string();
            files.push(quote!(::core::include_str!(#path)));
        }
        let [sqlite, postgres, schema] = [&files[0], &files[1], &files[2]];
        entries.push(quote! {
            ::kiln::__private::orm::EmbeddedMigration {
                name: #name,
                sqlite: #sqlite,
                postgres: #postgres,
                schema: #schema,
            }
        });
    }
    Ok(quote! {
        ::kiln::__private::orm::Migrations::__new(&[#(#entries),*])
    })
}
