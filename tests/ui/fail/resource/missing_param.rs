use kiln::prelude::*;

struct Books;

#[resource("/books/<id>")]
impl Books {
    async fn get(id: i64) -> String {
        id.to_string()
    }

    async fn delete() -> StatusCode {
        StatusCode::NO_CONTENT
    }
}

fn main() {}
