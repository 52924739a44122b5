use kiln::prelude::*;

#[derive(Validate)]
struct Signup {
    password: String,
    #[validate(must_match(other = "pasword"))]
    again: String,
}

fn main() {}
