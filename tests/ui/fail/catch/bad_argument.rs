use kiln::prelude::*;

#[catch(404)]
async fn not_found(body: String) -> String {
    body
}

fn main() {}
