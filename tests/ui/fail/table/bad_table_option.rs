use kiln::prelude::*;

#[derive(Table)]
#[table(nmae = "books")]
struct Book {
    id: Id<Book>,
}

#[derive(Table)]
#[table(name)]
struct Author {
    id: Id<Author>,
}

#[derive(Table)]
#[table(name = "writers", name = "authors")]
struct Writer {
    id: Id<Writer>,
}

#[derive(Table)]
#[table(name = 5)]
struct Shelf {
    id: Id<Shelf>,
}

fn main() {}
