//! Typed parsing of `#[table(..)]` and `#[column(..)]`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Token};

use kiln_macro_support::Ctxt;

/// `#[table(name = "..")]` on the struct.
#[derive(Default)]
pub struct TableAttrs {
    /// The table's SQL name.
    pub name: Option<LitStr>,
}

/// `#[column(name = "..", unique, index)]` on a field.
#[derive(Default)]
pub struct ColumnAttrs {
    /// The first `#[column]` attribute, to point at.
    pub attr: Option<proc_macro2::TokenStream>,
    /// The column's SQL name.
    pub name: Option<LitStr>,
    /// Where `unique` was written.
    pub unique: Option<Span>,
    /// Where `index` was written.
    pub index: Option<Span>,
}

/// Moves past an option's value (`= expr` or `(..)`) after reporting it.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// `name = "…"`, reporting a duplicate.
fn name_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    slot: &mut Option<LitStr>,
) -> syn::Result<()> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, "`name` needs a value: `name = \"...\"`");
        return skip_value(meta);
    }
    let lit: LitStr = meta.value()?.parse()?;
    if slot.is_some() {
        cx.error_spanned_by(&lit, "`name` is given twice");
    } else {
        *slot = Some(lit);
    }
    Ok(())
}

/// A flag such as `unique`, reporting a value or a duplicate.
fn flag(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    word: &str,
    slot: &mut Option<Span>,
) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{word}` takes no value: write `{word}`"),
        );
        return skip_value(meta);
    }
    if slot.is_some() {
        cx.error_spanned_by(&meta.path, format!("`{word}` is given twice"));
    } else {
        *slot = Some(meta.path.span());
    }
    Ok(())
}

/// Reads the struct's `#[table(..)]` attributes.
pub fn table_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> TableAttrs {
    let mut out = TableAttrs::default();
    for attr in attrs {
        if attr.path().is_ident("column") {
            cx.error_spanned_by(
                attr,
                "`#[column(..)]` goes on a field; the struct takes `#[table(name = \"...\")]`",
            );
            continue;
        }
        if !attr.path().is_ident("table") {
            continue;
        }
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name_value(cx, &meta, &mut out.name)
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown `table` option `{}`; expected `name = \"...\"`",
                        path_text(&meta.path)
                    ),
                );
                skip_value(&meta)
            }
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    out
}

/// Reads a field's `#[column(..)]` attributes.
pub fn column_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ColumnAttrs {
    let mut out = ColumnAttrs::default();
    for attr in attrs {
        if attr.path().is_ident("table") {
            cx.error_spanned_by(
                attr,
                "`#[table(..)]` goes on the struct; a field takes `#[column(..)]`",
            );
            continue;
        }
        if !attr.path().is_ident("column") {
            continue;
        }
        out.attr
            .get_or_insert_with(|| quote::ToTokens::to_token_stream(attr));
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name_value(cx, &meta, &mut out.name)
            } else if meta.path.is_ident("unique") {
                flag(cx, &meta, "unique", &mut out.unique)
            } else if meta.path.is_ident("index") {
                flag(cx, &meta, "index", &mut out.index)
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown `column` option `{}`; expected `name = \"...\"`, `unique` or `index`",
                        path_text(&meta.path)
                    ),
                );
                skip_value(&meta)
            }
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    out
}

fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}
