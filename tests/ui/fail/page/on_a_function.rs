use kiln::prelude::*;

#[page("greeting.html")]
fn greeting() {}

fn main() {}
