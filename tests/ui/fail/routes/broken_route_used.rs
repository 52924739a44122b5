use kiln::prelude::*;

// One mistake, one error: the broken route still has the companion struct that
// `routes!` names, with a `uri(..)`, so its uses below add no second error.
#[get("/book/<id>")]
async fn book(ident: i64) -> String {
    ident.to_string()
}

#[get("/")]
async fn index() -> &'static str {
    "index"
}

fn main() {
    let _ = App::new().mount("/", routes![index, book]);
    let _ = book::uri(1);
}
