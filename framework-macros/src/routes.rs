//! `routes![..]` and `catchers![..]`: collect handlers, and refuse at compile time two
//! entries that answer the same method on the same path shape (or catch one status).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token};

fn entries(input: TokenStream) -> syn::Result<Vec<Path>> {
    let list = Punctuated::<Path, Token![,]>::parse_terminated.parse2(input)?;
    Ok(list.into_iter().collect())
}

/// `routes![index, hello, Books]`.
pub(crate) fn routes(input: TokenStream) -> TokenStream {
    let entries = match entries(input) {
        Ok(e) => e,
        Err(e) => return e.to_compile_error(),
    };
    // One `const` per entry, checked against all earlier ones: a collision fails
    // constant evaluation, and the error points at the later entry.
    let checks = entries.iter().enumerate().skip(1).map(|(j, later)| {
        let earlier = &entries[..j];
        quote_spanned! {later.span()=>
            const _: () = ::kiln::__private::assert_no_collision(
                &[#(#earlier::__KILN_ROUTES),*],
                #later::__KILN_ROUTES,
            );
        }
    });
    let pushes = entries
        .iter()
        .map(|e| quote_spanned!(e.span()=> #e::__kiln_routes(&mut __routes);));
    quote! {{
        #(#checks)*
        #[allow(unused_mut)]
        let mut __routes = ::kiln::__private::Routes::new();
        #(#pushes)*
        __routes
    }}
}

/// `catchers![not_found, server_error]`.
pub(crate) fn catchers(input: TokenStream) -> TokenStream {
    let entries = match entries(input) {
        Ok(e) => e,
        Err(e) => return e.to_compile_error(),
    };
    let checks = entries.iter().enumerate().skip(1).map(|(j, later)| {
        let earlier = &entries[..j];
        quote_spanned! {later.span()=>
            const _: () = ::kiln::__private::assert_distinct_catchers(
                &[#(&#earlier::__KILN_CATCHER),*],
                &#later::__KILN_CATCHER,
            );
        }
    });
    let items = entries
        .iter()
        .map(|e| quote_spanned!(e.span()=> #e::__kiln_catcher()));
    quote! {{
        #(#checks)*
        <::kiln::__private::Vec<::kiln::__private::Catcher> as ::core::convert::From<_>>::from([#(#items),*])
    }}
}
