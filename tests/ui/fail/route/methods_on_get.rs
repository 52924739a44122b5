use kiln::prelude::*;

#[get("/echo", methods = [POST])]
async fn echo() -> &'static str {
    "echo"
}

fn main() {}
