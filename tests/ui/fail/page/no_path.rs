use kiln::prelude::*;

#[page]
struct Home {
    title: String,
}

fn main() {}
