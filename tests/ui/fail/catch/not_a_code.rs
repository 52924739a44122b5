use kiln::prelude::*;

#[catch(not_found)]
async fn nf() -> &'static str {
    "missing"
}

fn main() {}
