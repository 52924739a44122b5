use kiln::prelude::*;

#[get("/pair/<x>/<x>")]
async fn pair(x: i64) -> String {
    x.to_string()
}

fn main() {}
