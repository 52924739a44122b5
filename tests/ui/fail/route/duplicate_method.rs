use kiln::prelude::*;

#[route("/echo", methods = [GET, POST, GET])]
async fn echo() -> &'static str {
    "echo"
}

fn main() {}
