//! Writes the `Table` impl and the column constants. Cannot fail: `valid` has checked.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::ast::{Field, Table};

/// `<ty as ColumnType>`, spanned at the field's type so that an unsupported type is
/// reported there.
fn column_type(ty: &Type) -> TokenStream {
    let span = ty.span();
    quote_spanned!(span=> <#ty as ::kiln::__private::orm::ColumnType>)
}

/// The SQL of `INSERT`, `UPDATE` and `DELETE` by id.
pub fn statements(table: &Table<'_>) -> (String, String, String) {
    let name = &table.name;
    let columns: Vec<&str> = table.columns().map(|f| f.column.as_str()).collect();
    let insert = if columns.is_empty() {
        format!("INSERT INTO \"{name}\" DEFAULT VALUES RETURNING \"id\"")
    } else {
        let names: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let params: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO \"{name}\" ({}) VALUES ({}) RETURNING \"id\"",
            names.join(", "),
            params.join(", ")
        )
    };
    let update = if columns.is_empty() {
        format!("UPDATE \"{name}\" SET \"id\" = \"id\" WHERE \"id\" = $1")
    } else {
        let sets: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("\"{c}\" = ${}", i + 1))
            .collect();
        format!(
            "UPDATE \"{name}\" SET {} WHERE \"id\" = ${}",
            sets.join(", "),
            columns.len() + 1
        )
    };
    let delete = format!("DELETE FROM \"{name}\" WHERE \"id\" = $1");
    (insert, update, delete)
}

/// The column constants: `pub const TITLE: Column<Book, String>`.
pub fn constants(table: &Table<'_>) -> TokenStream {
    let ident = table.ident;
    let vis = table.vis;
    let consts = table.fields.iter().map(|f: &Field<'_>| {
        let constant = &f.constant;
        let ty = &f.ty_named;
        let column = &f.column;
        let doc = format!(
            "The `{column}` column of `{}`, for queries: `{ident}::{constant}.eq(..)`.",
            table.name
        );
        quote! {
            #[doc = #doc]
            #vis const #constant: ::kiln::__private::orm::Column<#ident, #ty> =
                ::kiln::__private::orm::Column::__new(#column);
        }
    });
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#consts)*
        }
    }
}

/// A column default as a `DefaultLit` (a number, a string, `true` or `false`); the
/// derive's checks have refused anything else.
fn default_lit(expr: &syn::Expr) -> TokenStream {
    use syn::{Expr, ExprLit, ExprUnary, Lit, UnOp};
    let d = quote!(::kiln::__private::orm::DefaultLit);
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Int(i) => quote!(#d::Int(#i)),
            Lit::Float(f) => quote!(#d::Float(#f)),
            Lit::Bool(b) => quote!(#d::Bool(#b)),
            Lit::Str(s) => quote!(#d::Text(#s)),
            _ => quote!(#d::Int(0)),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit {
                lit: Lit::Int(i), ..
            }) => quote!(#d::Int(-#i)),
            Expr::Lit(ExprLit {
                lit: Lit::Float(f), ..
            }) => quote!(#d::Float(-#f)),
            _ => quote!(#d::Int(0)),
        },
        _ => quote!(#d::Int(0)),
    }
}

/// The whole expansion.
pub fn expand(table: &Table<'_>) -> TokenStream {
    let ident = table.ident;
    let name = &table.name;
    let id = table
        .id()
        .map(|f| f.member)
        .expect("valid::check ensures an `id` field");
    let (insert, update, delete) = statements(table);
    let table_renamed = table
        .renamed_from
        .as_ref()
        .map(|r| quote!(.__renamed_from(#r)));

    let infos = table.columns().map(|f| {
        let ct = column_type(&f.ty_named);
        let column = &f.column;
        let unique = f.attrs.unique.is_some();
        let index = f.attrs.index.is_some();
        let renamed = f
            .attrs
            .renamed_from
            .as_ref()
            .map(|r| quote!(.__renamed_from(#r)));
        let default = f.attrs.default.as_ref().map(|d| {
            let lit = default_lit(d);
            quote!(.__default(#lit))
        });
        quote! {
            ::kiln::__private::orm::ColumnInfo::__new(
                #column, #ct::SQL, #ct::NULLABLE, #unique, #index, #ct::REFERENCES,
            )#renamed #default
        }
    });

    let binds = table.columns().map(|f| {
        let ct = column_type(f.ty);
        let member = f.member;
        let column = &f.column;
        quote! {
            #ct::bind(&self.#member, args).map_err(|e| e.__in_column(#name, #column))?;
        }
    });

    let vars: Vec<_> = (0..table.fields.len())
        .map(|i| format_ident!("__kiln_field_{}", i))
        .collect();
    let decode_columns = table.columns().zip(vars.iter().skip(1)).map(|(f, var)| {
        let ct = column_type(f.ty);
        quote!(let #var = #ct::decode(row)?;)
    });
    let id_var = &vars[0];
    let members = std::iter::once(id).chain(table.columns().map(|f| f.member));

    let constants = constants(table);

    quote! {
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl ::kiln::__private::orm::Table for #ident {
                fn table_name() -> &'static str {
                    #name
                }

                fn id(&self) -> ::kiln::__private::orm::Id<Self> {
                    self.#id
                }

                fn __set_id(&mut self, id: ::kiln::__private::orm::Id<Self>) {
                    self.#id = id;
                }

                fn __info() -> &'static ::kiln::__private::orm::TableInfo {
                    static INFO: ::kiln::__private::orm::TableInfo =
                        ::kiln::__private::orm::TableInfo::__new(
                            #name,
                            &[
                                ::kiln::__private::orm::ColumnInfo::__new(
                                    "id",
                                    ::kiln::__private::orm::SqlType::BigInt,
                                    false,
                                    false,
                                    false,
                                    ::kiln::__private::None,
                                ),
                                #(#infos,)*
                            ],
                            #insert,
                            #update,
                            #delete,
                        )#table_renamed;
                    &INFO
                }

                fn __bind(
                    &self,
                    args: &mut ::kiln::__private::orm::Args,
                ) -> ::kiln::__private::Result<(), ::kiln::__private::orm::Error> {
                    #(#binds)*
                    ::kiln::__private::Ok(())
                }

                fn __decode(
                    row: &mut ::kiln::__private::orm::RowReader<'_>,
                ) -> ::kiln::__private::Result<Self, ::kiln::__private::orm::Error> {
                    let #id_var = <::kiln::__private::orm::Id<Self>
                        as ::kiln::__private::orm::ColumnType>::decode(row)?;
                    #(#decode_columns)*
                    ::kiln::__private::Ok(#ident { #(#members: #vars,)* })
                }
            }

            #constants
        };
    }
}
