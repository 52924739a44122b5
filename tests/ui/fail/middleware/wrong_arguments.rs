use kiln::prelude::*;

#[middleware]
async fn stamp(req: Request) -> Response {
    let _ = req;
    StatusCode::OK.into_response()
}

fn main() {}
