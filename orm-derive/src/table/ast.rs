//! kiln's own model of a `#[derive(Table)]` struct; every node keeps its span.

use proc_macro2::{Ident, Span};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Data, DeriveInput, Fields, Type, Visibility};

use super::attr::{self, ColumnAttrs};
use kiln_macro_support::Ctxt;
use syn::LitStr;

/// A struct to store as a table.
pub struct Table<'a> {
    /// The struct's name.
    pub ident: &'a Ident,
    /// The struct's visibility, given to the column constants.
    pub vis: &'a Visibility,
    /// The SQL table name.
    pub name: String,
    /// Where the name came from: `#[table(name = "..")]`, or the struct's name.
    pub name_span: Span,
    /// Whether the name was given explicitly.
    pub name_given: bool,
    /// The table's name before a rename (`#[table(renamed_from = "..")]`).
    pub renamed_from: Option<String>,
    /// The fields, in declaration order.
    pub fields: Vec<Field<'a>>,
}

/// A field, stored as a column.
pub struct Field<'a> {
    /// The field as written (maybe a raw identifier).
    pub member: &'a Ident,
    /// Its type as written.
    pub ty: &'a Type,
    /// Its type with `Self` spelled as the struct's name, for use outside the impl.
    pub ty_named: Type,
    /// The SQL column name.
    pub column: String,
    /// Where the column name came from.
    pub column_span: Span,
    /// Whether the name was given explicitly.
    pub column_given: bool,
    /// The name of its column constant (`TITLE`).
    pub constant: Ident,
    /// Its `#[column]` options.
    pub attrs: ColumnAttrs,
    /// Whether this is the `id` field.
    pub is_id: bool,
}

impl<'a> Table<'a> {
    /// Reads the struct; `None` (with errors recorded) if it can't be a table at all.
    pub fn from_syn(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Table<'a>> {
        let table_attrs = attr::table_attrs(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(unnamed) => {
                    cx.error_at(
                        unnamed.paren_token.span.join(),
                        format!(
                            "a table needs named fields; `{}` is a tuple struct",
                            input.ident
                        ),
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        format!(
                            "a table needs named fields, one of them `id: Id<Self>`; `{}` has none",
                            input.ident
                        ),
                    );
                    return None;
                }
            },
            Data::Enum(e) => {
                cx.error_spanned_by(
                    e.enum_token,
                    format!(
                        "`#[derive(Table)]` needs a struct with named fields; `{}` is an enum",
                        input.ident
                    ),
                );
                return None;
            }
            Data::Union(u) => {
                cx.error_spanned_by(
                    u.union_token,
                    format!(
                        "`#[derive(Table)]` needs a struct with named fields; `{}` is a union",
                        input.ident
                    ),
                );
                return None;
            }
        };
        if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
            cx.error_spanned_by(&input.generics, "a table can't have generic parameters");
            return None;
        }

        let (name, name_span, name_given) = match &table_attrs.name {
            Some(lit) => (lit.value(), lit.span(), true),
            None => (
                snake_case(&input.ident.unraw().to_string()),
                input.ident.span(),
                false,
            ),
        };

        let fields = fields
            .iter()
            .filter_map(|f| {
                let member = f.ident.as_ref()?;
                let attrs = attr::column_attrs(cx, &f.attrs);
                let plain = member.unraw().to_string();
                let is_id = plain == "id";
                let (column, column_span, column_given) = match &attrs.name {
                    Some(lit) => (lit.value(), lit.span(), true),
                    None if is_foreign_key(&f.ty) => (format!("{plain}_id"), member.span(), false),
                    None => (plain.clone(), member.span(), false),
                };
                let mut ty_named = f.ty.clone();
                ReplaceSelf(&input.ident).visit_type_mut(&mut ty_named);
                Some(Field {
                    member,
                    ty: &f.ty,
                    ty_named,
                    column,
                    column_span,
                    column_given,
                    constant: Ident::new(&plain.to_uppercase(), member.span()),
                    attrs,
                    is_id,
                })
            })
            .collect();

        Some(Table {
            ident: &input.ident,
            vis: &input.vis,
            name,
            name_span,
            name_given,
            renamed_from: table_attrs.renamed_from.as_ref().map(LitStr::value),
            fields,
        })
    }

    /// The `id` field, if there is one.
    pub fn id(&self) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.is_id)
    }

    /// The fields other than `id`, in order: the columns after `id`.
    pub fn columns(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| !f.is_id)
    }
}

/// Whether the type is written `ForeignKey<..>` or `Option<ForeignKey<..>>`.
fn is_foreign_key(ty: &Type) -> bool {
    let Some(last) = last_segment(ty) else {
        return false;
    };
    if last.ident == "ForeignKey" {
        return true;
    }
    last.ident == "Option"
        && single_type_argument(last)
            .and_then(last_segment)
            .is_some_and(|s| s.ident == "ForeignKey")
}

/// The last path segment of a plain path type.
pub fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// `T` of `Segment<T>`, if it has exactly one type argument.
pub fn single_type_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    (args.args.len() == 1).then_some(first)
}

/// `BookReview` → `book_review`, `HTTPLog` → `http_log`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) => p.is_uppercase() && next.is_some_and(char::is_lowercase),
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Spells `Self` as the struct's name, so a type can be used outside the impl.
struct ReplaceSelf<'a>(&'a Ident);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
        if ty.qself.is_none() && ty.path.is_ident("Self") {
            let span = ty.path.span();
            let mut ident = self.0.clone();
            ident.set_span(span);
            ty.path = ident.into();
            return;
        }
        syn::visit_mut::visit_type_path_mut(self, ty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("Book"), "book");
        assert_eq!(snake_case("BookReview"), "book_review");
        assert_eq!(snake_case("HTTPLog"), "http_log");
        assert_eq!(snake_case("Book2Author"), "book2_author");
        assert_eq!(snake_case("ABC"), "abc");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn foreign_keys_are_seen_through_option() {
        let fk: Type = syn::parse_quote!(ForeignKey<Author>);
        let opt: Type = syn::parse_quote!(Option<kiln::orm::ForeignKey<Author>>);
        let plain: Type = syn::parse_quote!(Option<String>);
        assert!(is_foreign_key(&fk));
        assert!(is_foreign_key(&opt));
        assert!(!is_foreign_key(&plain));
    }
}
