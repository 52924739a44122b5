use kiln::prelude::*;

// One mistake, one error: the broken catcher still has the companion struct that
// `catchers!` names, so its use below adds no second error.
#[catch(404)]
fn not_found() -> &'static str {
    "missing"
}

#[catch(default)]
async fn fallback() -> &'static str {
    "error"
}

fn main() {
    let _ = App::new().catch(catchers![fallback, not_found]);
}
