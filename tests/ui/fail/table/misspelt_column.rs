use kiln::prelude::*;

#[derive(Table)]
struct Book {
    id: Id<Book>,
    title: String,
}

async fn find(db: Database) -> Result<Vec<Book>, kiln::orm::Error> {
    db.select::<Book>().filter(Book::TITEL.eq("Dune")).all().await
}

fn main() {}
