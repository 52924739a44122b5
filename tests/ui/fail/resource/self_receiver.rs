use kiln::prelude::*;

struct Books;

#[resource("/books")]
impl Books {
    async fn get(&self) -> &'static str {
        "books"
    }
}

fn main() {}
