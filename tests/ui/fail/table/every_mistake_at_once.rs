use kiln::prelude::*;

// Each mistake is reported, in one compilation.
#[derive(Table)]
#[table(name = "the books", colour = "red")]
struct Book {
    #[column(unique)]
    id: i64,
    #[column(indexed)]
    title: String,
    #[column(name = "title")]
    other: String,
}

fn main() {}
