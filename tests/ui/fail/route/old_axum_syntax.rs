use kiln::prelude::*;

#[get("/book/:id")]
async fn book() -> &'static str {
    "book"
}

fn main() {}
