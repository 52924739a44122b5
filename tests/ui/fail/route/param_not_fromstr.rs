use kiln::prelude::*;

struct Isbn(String);

#[get("/book/<isbn>")]
async fn book(isbn: Isbn) -> String {
    isbn.0
}

fn main() {}
