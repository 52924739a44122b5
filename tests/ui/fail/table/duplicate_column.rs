use kiln::prelude::*;

#[derive(Table)]
struct Book {
    id: Id<Book>,
    title: String,
    #[column(name = "title")]
    heading: String,
    #[column(name = "id")]
    number: i64,
}

fn main() {}
