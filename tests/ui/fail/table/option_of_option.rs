use kiln::prelude::*;

#[derive(Table)]
struct Book {
    id: Id<Book>,
    rating: Option<Option<i64>>,
}

fn main() {}
