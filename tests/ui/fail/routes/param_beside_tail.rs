use kiln::prelude::*;

#[get("/files/<name>")]
async fn one(name: String) -> String {
    name
}

#[get("/files/<path..>")]
async fn all(path: String) -> String {
    path
}

fn main() {
    let _ = App::new().mount("/", routes![one, all]);
}
