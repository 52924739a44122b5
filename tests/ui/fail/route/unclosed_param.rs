use kiln::prelude::*;

#[get("/book/<id")]
async fn book(id: i64) -> String {
    id.to_string()
}

fn main() {}
