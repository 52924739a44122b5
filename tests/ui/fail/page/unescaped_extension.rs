use kiln::prelude::*;

#[page("notes.txt")]
struct Notes {
    text: String,
}

#[page(source = "{{ text }}", ext = "txt")]
struct Inline {
    text: String,
}

fn main() {}
