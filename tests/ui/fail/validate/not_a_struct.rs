use kiln::prelude::*;

#[derive(Validate)]
enum Choice {
    A,
    B,
}

fn main() {}
