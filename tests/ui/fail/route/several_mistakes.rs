use kiln::prelude::*;

// Every mistake is reported at once.
#[get("/book/<id>?<q>")]
fn book(name: String) -> String {
    name
}

fn main() {}
