use kiln::prelude::*;

struct Book {
    id: Id<Book>,
}

async fn find(db: Database) -> Result<Option<Book>, kiln::orm::Error> {
    db.get::<Book>(1).await
}

fn main() {}
