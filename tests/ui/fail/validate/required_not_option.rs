use kiln::prelude::*;

#[derive(Validate)]
struct NewBook {
    #[validate(required)]
    title: String,
}

fn main() {}
