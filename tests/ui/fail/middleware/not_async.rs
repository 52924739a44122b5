use kiln::prelude::*;

#[middleware]
fn stamp(req: Request, next: Next) -> Response {
    let _ = (req, next);
    StatusCode::OK.into_response()
}

fn main() {}
