use kiln::prelude::*;

#[get("/files/<path..>/raw")]
async fn raw(path: String) -> String {
    path
}

fn main() {}
