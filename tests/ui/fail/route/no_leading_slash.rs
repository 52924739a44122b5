use kiln::prelude::*;

#[get("book")]
async fn book() -> &'static str {
    "book"
}

fn main() {}
