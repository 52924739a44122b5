use kiln::prelude::*;

struct NotMiddleware;

fn main() {
    let _ = App::new().wrap(NotMiddleware);
}
