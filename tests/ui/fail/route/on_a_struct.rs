use kiln::prelude::*;

#[get("/")]
struct Index;

fn main() {}
