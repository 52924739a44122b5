use kiln::prelude::*;

#[catch(404)]
async fn not_found() -> &'static str {
    "missing"
}

#[catch(404)]
async fn also_not_found() -> &'static str {
    "also missing"
}

fn main() {
    let _ = App::new().catch(catchers![not_found, also_not_found]);
}
