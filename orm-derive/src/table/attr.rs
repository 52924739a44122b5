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
    /// The table's name before a rename, for migrations.
    pub renamed_from: Option<LitStr>,
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
    /// The column's name before a rename, for migrations.
    pub renamed_from: Option<LitStr>,
    /// The value old rows get when the column is added: `default = 0`.
    pub default: Option<syn::Expr>,
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

/// `name = "…"` (or `renamed_from = "…"`), reporting a duplicate.
fn name_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    slot: &mut Option<LitStr>,
) -> syn::Result<()> {
    let key = path_text(&meta.path);
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` needs a value: `{key} = \"...\"`"),
        );
        return skip_value(meta);
    }
    let lit: LitStr = meta.value()?.parse()?;
    if slot.is_some() {
        cx.error_spanned_by(&lit, format!("`{key}` is given twice"));
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
            } else if meta.path.is_ident("renamed_from") {
                name_value(cx, &meta, &mut out.renamed_from)
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown `table` option `{}`; expected `name = \"...\"` or `renamed_from = \"...\"`",
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
            } else if meta.path.is_ident("renamed_from") {
                name_value(cx, &meta, &mut out.renamed_from)
            } else if meta.path.is_ident("default") {
                if !meta.input.peek(Token![=]) {
                    cx.error_spanned_by(&meta.path, "`default` needs a value: `default = 0`");
                    return skip_value(&meta);
                }
                let value: syn::Expr = meta.value()?.parse()?;
                if !is_default_literal(&value) {
                    cx.error_spanned_by(
                        &value,
                        "`default` must be a literal: a number, a string, `true` or `false`",
                    );
                } else if out.default.is_some() {
                    cx.error_spanned_by(&value, "`default` is given twice");
                } else {
                    out.default = Some(value);
                }
                Ok(())
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown `column` option `{}`; expected `name = \"...\"`, `unique`, `index`, `renamed_from = \"...\"` or `default = ..`",
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

/// Whether `expr` can be a column default: a literal number (maybe negative), string
/// or `bool`.
fn is_default_literal(expr: &syn::Expr) -> bool {
    use syn::{Expr, ExprLit, ExprUnary, Lit, UnOp};
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => matches!(
            lit,
            Lit::Int(_) | Lit::Float(_) | Lit::Bool(_) | Lit::Str(_)
        ),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => matches!(
            &**expr,
            Expr::Lit(ExprLit {
                lit: Lit::Int(_) | Lit::Float(_),
                ..
            })
        ),
        _ => false,
    }
}

fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}
