//! A chat room on kiln: every text message sent to `/ws` goes to every connected
//! WebSocket and to every reader of the server-sent events at `/events`; `/` is a page
//! that uses both.
//!
//! ```text
//! cargo run -p chat        # http://127.0.0.1:8000
//! ```

use std::convert::Infallible;

use kiln::prelude::*;
use kiln::ws::Message;
use tokio::sync::broadcast;

/// The room: one broadcast channel of messages.
#[derive(Clone)]
struct Room {
    tx: broadcast::Sender<String>,
}

impl Room {
    fn new() -> Room {
        Room {
            tx: broadcast::channel(256).0,
        }
    }
}

/// The longest message accepted, in bytes.
const MAX_MESSAGE: usize = 4096;

#[page("index.html")]
struct IndexPage;

#[get("/")]
async fn index() -> IndexPage {
    IndexPage
}

#[get("/ws")]
async fn ws(ws: WebSocketUpgrade, room: State<Room>) -> Response {
    let room = room.clone();
    ws.max_message_size(MAX_MESSAGE)
        .on_upgrade(move |mut socket: WebSocket| async move {
            let mut rx = room.tx.subscribe();
            loop {
                tokio::select! {
                    incoming = socket.recv() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            let _ = room.tx.send(text.to_string());
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => {} // pings are answered by the library; binary ignored
                    },
                    outgoing = rx.recv() => match outgoing {
                        Ok(text) => {
                            if socket.send(Message::Text(text.into())).await.is_err() {
                                break;
                            }
                        }
                        // Too slow to keep up: skip what was missed.
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                }
            }
        })
}

#[get("/events")]
async fn events(room: State<Room>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = room.tx.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(text) => return Some((Ok(Event::default().data(text)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The application.
fn app() -> App {
    App::new()
        .mount("/", routes![index, ws, events])
        .manage(Room::new())
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    app().run().await
}

#[cfg(test)]
mod tests;
