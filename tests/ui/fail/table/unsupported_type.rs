use kiln::prelude::*;

#[derive(Table)]
struct Book {
    id: Id<Book>,
    title: String,
    copies: u64,
}

fn main() {}
