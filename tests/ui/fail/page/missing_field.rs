use kiln::prelude::*;

// templates/greeting.html reads `{{ name }}`.
#[page("greeting.html")]
struct Greeting {
    nme: String,
}

fn main() {
    let _ = Greeting { nme: String::new() };
}
