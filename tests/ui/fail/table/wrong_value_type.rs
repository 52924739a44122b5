use kiln::prelude::*;

#[derive(Table)]
struct Book {
    id: Id<Book>,
    title: String,
    pages: i32,
}

async fn find(db: Database) -> Result<Vec<Book>, kiln::orm::Error> {
    db.select::<Book>().filter(Book::TITLE.eq(5)).all().await?;
    db.select::<Book>().filter(Book::PAGES.contains("1")).all().await
}

fn main() {}
