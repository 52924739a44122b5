use kiln::prelude::*;

fn zero() -> i64 {
    0
}

#[derive(Table)]
struct Author {
    id: Id<Author>,
    #[column(default = zero())]
    born: i64,
}

fn main() {}
