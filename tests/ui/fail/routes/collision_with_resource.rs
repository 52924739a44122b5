use kiln::prelude::*;

struct Books;

#[resource("/books/<id>")]
impl Books {
    async fn get(id: i64) -> String {
        id.to_string()
    }
}

#[route("/books/<n>", methods = [POST, GET])]
async fn other(n: i64) -> String {
    n.to_string()
}

fn main() {
    let _ = App::new().mount("/", routes![Books, other]);
}
