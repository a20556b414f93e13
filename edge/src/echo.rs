//! The benchmarks' floor: an object that only relays each text frame to its other sockets —
//! no state, no storage, no parsing — over the same hibernating WebSockets and the same
//! Worker-to-object hop as a conversation. Routed only on a benchmark worker
//! ([`crate::api::bench::enabled`]).

use worker::{
    DurableObject, Env, Request, Response, Result, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair, durable_object,
};

use crate::sockets;

#[durable_object]
pub struct Echo {
    state: State,
}

impl DurableObject for Echo {
    fn new(state: State, _env: Env) -> Self {
        Echo { state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        Response::from_websocket(pair.client)
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        if let WebSocketIncomingMessage::String(text) = message {
            for other in self.state.get_websockets() {
                if sockets::open_besides(&other, Some(&ws)) {
                    let _ = other.send_with_str(&text);
                }
            }
        }
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
