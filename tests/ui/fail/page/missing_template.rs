use kiln::prelude::*;

#[page("no_such_page.html")]
struct Missing {
    title: String,
}

fn main() {
    let _ = Missing { title: String::new() };
}
