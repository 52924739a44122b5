use kiln::prelude::*;

#[derive(Validate)]
struct NewBook {
    #[validate(length(minimum = 1))]
    title: String,
}

fn main() {}
