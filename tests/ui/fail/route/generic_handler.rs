use kiln::prelude::*;

#[get("/<x>")]
async fn show<T: std::fmt::Display>(x: String) -> String {
    x
}

fn main() {}
