use kiln::prelude::*;

async fn plain() -> &'static str {
    "not annotated"
}

fn main() {
    let _ = App::new().mount("/", routes![plain]);
}
