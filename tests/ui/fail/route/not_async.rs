use kiln::prelude::*;

#[get("/")]
fn index() -> &'static str {
    "index"
}

fn main() {}
