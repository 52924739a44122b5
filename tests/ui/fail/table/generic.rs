use kiln::prelude::*;

#[derive(Table)]
struct Book<T> {
    id: Id<Book<T>>,
    extra: T,
}

fn main() {}
