//! Serves the benchmark app on 127.0.0.1 (an ephemeral port, printed as `PORT=<n>`):
//! `bench-server kiln` or `bench-server axum`. Used by `scripts/bench.sh`.

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
        "axum" => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            println!("PORT={}", listener.local_addr().expect("addr").port());
            use kiln::axum::serve::ListenerExt;
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            kiln::axum::serve(listener, axum_app())
                .await
                .expect("serve");
        }
        _ => {
            eprintln!("usage: bench-server kiln|axum");
            std::process::exit(2);
        }
    }
}
