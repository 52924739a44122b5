use kiln::prelude::*;

#[get("/book/<id>")]
async fn book(ident: i64) -> String {
    ident.to_string()
}

fn main() {}
