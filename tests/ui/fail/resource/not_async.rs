use kiln::prelude::*;

struct Books;

#[resource("/books")]
impl Books {
    fn get() -> &'static str {
        "books"
    }
}

fn main() {}
