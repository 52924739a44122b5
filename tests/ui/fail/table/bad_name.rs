use kiln::prelude::*;

#[derive(Table)]
#[table(name = "book shelf")]
struct Book {
    id: Id<Book>,
    #[column(name = "1st_title")]
    title: String,
    #[column(name = "x\"; DROP TABLE book; --")]
    subtitle: String,
}

fn main() {}
