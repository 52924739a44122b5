use kiln::prelude::*;

#[derive(Table)]
struct Author {
    id: i64,
    name: String,
}

#[derive(Table)]
struct Book {
    id: Id<Author>,
    title: String,
}

fn main() {}
