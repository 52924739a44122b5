use kiln::prelude::*;

#[derive(Table)]
struct Book {
    id: Id<Book>,
    #[column(uniq)]
    isbn: String,
    #[column(index = true)]
    title: String,
    #[column(unique, unique)]
    slug: String,
    #[table(name = "x")]
    pages: i32,
}

#[derive(Table)]
#[column(unique)]
struct Author {
    #[column(name = "author_id")]
    id: Id<Author>,
}

fn main() {}
