//! A small app run as a child process by the shutdown tests: `App::run()` on
//! `$HOST:$PORT`, with a slow route to be in flight when SIGTERM arrives.

use std::time::Duration;

use kiln::prelude::*;

#[get("/")]
async fn index() -> &'static str {
    "up"
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    "slow done"
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    App::new().mount("/", routes![index, slow]).run().await
}
