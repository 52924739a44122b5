use kiln::prelude::*;

#[get("/echo", rank = 2)]
async fn echo() -> &'static str {
    "echo"
}

fn main() {}
