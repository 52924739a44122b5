//! Checks across fields: the `id` field, SQL names, and names used twice.

use std::collections::HashMap;

use syn::Type;

use super::ast::{Table, last_segment, single_type_argument};
use kiln_macro_support::Ctxt;

/// PostgreSQL silently truncates longer identifiers (`NAMEDATALEN - 1`).
const MAX_NAME: usize = 63;

/// Why `name` can't be an SQL identifier, if it can't.
fn bad_name(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    if !starts_well || !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
        return Some("use ASCII letters, digits and `_`, not starting with a digit".into());
    }
    if name.len() > MAX_NAME {
        return Some(format!(
            "it is {} bytes long and PostgreSQL allows {MAX_NAME}",
            name.len()
        ));
    }
    None
}

/// Whether `ty` is `Id<Self>` or `Id<Name>`.
fn is_id_of_self(ty: &Type, name: &syn::Ident) -> bool {
    let Some(segment) = last_segment(ty) else {
        return false;
    };
    if segment.ident != "Id" {
        return false;
    }
    let Some(arg) = single_type_argument(segment) else {
        return false;
    };
    match last_segment(arg) {
        Some(inner) if inner.arguments.is_empty() => inner.ident == "Self" || inner.ident == *name,
        _ => false,
    }
}

/// Records every problem in `table`.
pub fn check(cx: &mut Ctxt, table: &Table<'_>) {
    if let Some(why) = bad_name(&table.name) {
        let what = if table.name_given {
            format!("`{}` can't be a table name: {why}", table.name)
        } else {
            format!(
                "the table name `{}` (from the struct's name) is not usable: {why}; \
                 choose one with `#[table(name = \"...\")]`",
                table.name
            )
        };
        cx.error_at(table.name_span, what);
    }

    match table.id() {
        None => cx.error_spanned_by(
            table.ident,
            format!(
                "a table needs a primary key field `id: Id<Self>`; `{}` has no `id` field",
                table.ident
            ),
        ),
        Some(id) => {
            if !is_id_of_self(id.ty, table.ident) {
                cx.error_spanned_by(
                    id.ty,
                    format!(
                        "the `id` field is the primary key and must be `Id<Self>` (or `Id<{}>`)",
                        table.ident
                    ),
                );
            }
            if let Some(attr) = &id.attrs.attr {
                cx.error_spanned_by(
                    attr,
                    "the `id` column takes no `#[column]` options: it is always `id`, the primary key",
                );
            }
        }
    }

    let mut columns: HashMap<&str, &super::ast::Field<'_>> = HashMap::new();
    let mut constants: HashMap<String, &super::ast::Field<'_>> = HashMap::new();
    for field in &table.fields {
        if field.is_id {
            columns.insert("id", field);
            constants.insert(field.constant.to_string(), field);
            continue;
        }
        if let Some(why) = bad_name(&field.column) {
            let what = if field.column_given {
                format!("`{}` can't be a column name: {why}", field.column)
            } else {
                format!(
                    "the column name `{}` is not usable: {why}; choose one with `#[column(name = \"...\")]`",
                    field.column
                )
            };
            cx.error_at(field.column_span, what);
        }
        match columns.get(field.column.as_str()) {
            Some(first) => {
                cx.error_at(
                    field.column_span,
                    format!(
                        "two fields are stored in the column `{}`; give one another `#[column(name = \"...\")]`",
                        field.column
                    ),
                );
                cx.error_at(
                    first.column_span,
                    format!("`{}` is first used here", field.column),
                );
            }
            None => {
                columns.insert(&field.column, field);
            }
        }
        let constant = field.constant.to_string();
        match constants.get(&constant) {
            Some(first) => {
                cx.error_spanned_by(
                    field.member,
                    format!(
                        "the fields `{}` and `{}` would both have the column constant `{constant}`",
                        first.member, field.member
                    ),
                );
            }
            None => {
                constants.insert(constant, field);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(bad_name("book_review2"), None);
        assert_eq!(bad_name("_x"), None);
        assert!(bad_name("2books").is_some());
        assert!(bad_name("bad name").is_some());
        assert!(bad_name("quo\"te").is_some());
        assert!(bad_name("").is_some());
        assert!(bad_name(&"x".repeat(64)).is_some());
    }

    #[test]
    fn id_types() {
        let name: syn::Ident = syn::parse_quote!(Book);
        let ok: [Type; 3] = [
            syn::parse_quote!(Id<Self>),
            syn::parse_quote!(Id<Book>),
            syn::parse_quote!(kiln::orm::Id<Book>),
        ];
        for ty in &ok {
            assert!(is_id_of_self(ty, &name));
        }
        let bad: [Type; 4] = [
            syn::parse_quote!(i64),
            syn::parse_quote!(Id<Author>),
            syn::parse_quote!(Id),
            syn::parse_quote!(Option<Id<Book>>),
        ];
        for ty in &bad {
            assert!(!is_id_of_self(ty, &name));
        }
    }
}
