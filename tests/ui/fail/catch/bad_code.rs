use kiln::prelude::*;

#[catch(200)]
async fn ok() -> &'static str {
    "fine"
}

fn main() {}
