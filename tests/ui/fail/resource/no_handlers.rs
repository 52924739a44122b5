use kiln::prelude::*;

struct Books;

#[resource("/books")]
impl Books {
    fn helper() {}
}

fn main() {}
