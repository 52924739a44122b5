use kiln::prelude::*;

#[derive(Table)]
struct Book {
    key: i64,
    title: String,
}

fn main() {
    // The derive still implements `Table`: no second error here.
    let _ = <Book as kiln::orm::Table>::table_name();
}
