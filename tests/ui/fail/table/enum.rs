use kiln::prelude::*;

#[derive(Table)]
enum Book {
    Paper,
    Ebook,
}

fn main() {}
