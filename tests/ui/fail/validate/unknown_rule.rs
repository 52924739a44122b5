use kiln::prelude::*;

#[derive(Validate)]
struct NewBook {
    #[validate(lenght(min = 1))]
    title: String,
}

fn main() {}
