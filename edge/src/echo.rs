//! The benchmarks' floor: an object that only relays each text frame to its other sockets —
//! no state, no storage, no parsing — over the same hibernating WebSockets and the same
//! Worker-to-object hop as a conversation. Routed only on a benchmark worker
//! ([`crate::api::bench::enabled`]).
//!
//! Opened with `?store=1`, it is the floor of a stored message instead: each frame is inserted
//! into SQLite, relayed to every socket (the sender's too) and acknowledged to the sender, the
//! platform work a conversation does for a chat message (one event in, one row and its commit,
//! three frames out for two sockets) without any of the conversation's own code.

use std::cell::Cell;

use worker::{
    DurableObject, Env, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, durable_object,
};

use crate::sockets;

#[durable_object]
pub struct Echo {
    state: State,
    sql: SqlStorage,
    /// Stores and acknowledges each frame: the table exists (it survives the object's restart).
    stores: Cell<bool>,
}

const TABLE: &str = "CREATE TABLE IF NOT EXISTS frames (n INTEGER PRIMARY KEY, body TEXT NOT NULL)";
const ACK: &str = r#"{"type":"ack"}"#;

/// Whether a socket's request opens the storing echo (`?store=1`).
pub fn asks_to_store(req: &Request) -> Result<bool> {
    Ok(req.url()?.query_pairs().any(|(k, v)| k == "store" && v == "1"))
}

impl DurableObject for Echo {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let query =
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'frames'";
        let stores = crate::sql::number(&sql, query, vec![]).is_ok_and(|n| n > Some(0));
        Echo { state, sql, stores: Cell::new(stores) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if asks_to_store(&req)? && !self.stores.get() {
            self.sql.exec(TABLE, None)?;
            self.stores.set(true);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        Response::from_websocket(pair.client)
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let WebSocketIncomingMessage::String(text) = message else { return Ok(()) };
        if !self.stores.get() {
            for other in self.state.get_websockets() {
                if sockets::open_besides(&other, Some(&ws)) {
                    let _ = other.send_with_str(&text);
                }
            }
            return Ok(());
        }
        crate::sql::run(
            &self.sql,
            "INSERT INTO frames (body) VALUES (?)",
            vec![crate::sql::text(&*text)],
        )?;
        for socket in self.state.get_websockets() {
            if sockets::open_besides(&socket, None) {
                let _ = socket.send_with_str(&text);
            }
        }
        let _ = ws.send_with_str(ACK);
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _clean: bool,
    ) -> Result<()> {
        sockets::close_back(&ws, code, &reason);
        Ok(())
    }
}
