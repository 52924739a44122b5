use kiln::prelude::*;

struct Book;

#[get("/")]
async fn index() -> Book {
    Book
}

fn main() {}
