use kiln::prelude::*;

struct Settings;

#[get("/")]
async fn index(settings: Settings) -> &'static str {
    let _ = settings;
    "index"
}

fn main() {}
