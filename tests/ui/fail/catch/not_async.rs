use kiln::prelude::*;

#[catch(404)]
fn not_found() -> &'static str {
    "missing"
}

fn main() {}
