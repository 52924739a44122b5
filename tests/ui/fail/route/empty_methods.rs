use kiln::prelude::*;

#[route("/echo", methods = [])]
async fn echo() -> &'static str {
    "echo"
}

fn main() {}
