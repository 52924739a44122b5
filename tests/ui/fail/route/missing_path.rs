use kiln::prelude::*;

#[get]
async fn index() -> &'static str {
    "index"
}

fn main() {}
