use kiln::prelude::*;

// One mistake, one error: the broken resource still gets the items `routes!` names,
// and a `uri(..)`, so its uses below add no second error.
struct Books;

#[resource("/books/<id>")]
impl Books {
    async fn get(ident: i64) -> String {
        ident.to_string()
    }
}

fn main() {
    let _ = App::new().mount("/", routes![Books]);
    let _ = Books::uri(1);
}
