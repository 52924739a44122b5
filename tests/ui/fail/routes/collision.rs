use kiln::prelude::*;

#[get("/book/<id>")]
async fn book(id: i64) -> String {
    id.to_string()
}

#[get("/book/<slug>")]
async fn book_by_slug(slug: String) -> String {
    slug
}

fn main() {
    let _ = App::new().mount("/", routes![book, book_by_slug]);
}
