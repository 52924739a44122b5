use kiln::prelude::*;

#[derive(Table)]
struct Book(Id<Book>, String);

fn main() {}
