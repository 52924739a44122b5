use kiln::prelude::*;

#[route("/echo", methods = [GET, FETCH, post])]
async fn echo() -> &'static str {
    "echo"
}

fn main() {}
