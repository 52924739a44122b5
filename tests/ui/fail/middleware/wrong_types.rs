use kiln::prelude::*;

#[middleware]
async fn stamp(req: String, next: Next) -> Response {
    let _ = req;
    next.run(Request::default()).await
}

fn main() {}
