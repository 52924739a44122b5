//! Procedural macros for kiln. Use them through `kiln` (`use kiln::prelude::*;`).
use proc_macro::TokenStream;
macro_rules! stub { ($($n:ident),*) => {$(
    #[allow(missing_docs)]
    #[proc_macro_attribute]
    pub fn $n(_a: TokenStream, i: TokenStream) -> TokenStream { i }
)*} }
stub!(
    get, post, put, patch, delete, head, options, route, resource, catch
);
#[allow(missing_docs)]
#[proc_macro]
pub fn routes(_i: TokenStream) -> TokenStream {
    "::kiln::Routes::new()".parse().unwrap()
}
#[allow(missing_docs)]
#[proc_macro]
pub fn catchers(_i: TokenStream) -> TokenStream {
    "::std::vec::Vec::new()".parse().unwrap()
}
