use kiln::prelude::*;

#[route("/echo")]
async fn echo() -> &'static str {
    "echo"
}

fn main() {}
