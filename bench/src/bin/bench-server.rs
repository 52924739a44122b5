//! Serves the benchmark app on 127.0.0.1 (an ephemeral port, printed as `PORT=<n>`):
//! `bench-server kiln`, `bench-server axum`, or `bench-server kiln-router` (kiln's
//! router on axum's server). Used by `scripts/bench-router.sh`.

use kiln_bench::{axum_app, kiln_app};

#[tokio::main]
async fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    match which.as_str() {
        "kiln" => {
            let server = kiln_app().bind("127.0.0.1:0").await.expect("bind");
            println!("PORT={}", server.local_addr().port());
            server.serve().await.expect("serve");
        }
        "axum" => axum_serve(axum_app()).await,
        // kiln's router on axum's server: tells the router's cost from the server's.
        "kiln-router" => axum_serve(kiln_app().into_router().expect("kiln app")).await,
        _ => {
            eprintln!("usage: bench-server kiln|axum|kiln-router");
            std::process::exit(2);
        }
    }
}

/// Serves `router` with `axum::serve`, as a hand-written axum app would.
async fn axum_serve(router: kiln::axum::Router) {
    use kiln::axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("PORT={}", listener.local_addr().expect("addr").port());
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    kiln::axum::serve(listener, router).await.expect("serve");
}
