use kiln::prelude::*;

#[derive(Validate)]
struct NewBook {
    #[validate(length(message = "too long"))]
    title: String,
}

fn main() {}
