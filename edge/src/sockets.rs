//! What both objects do with their hibernating WebSockets.

use serde::Serialize;
use shared::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use wasm_bindgen::{JsCast, JsValue};
use worker::{Response, Result, WebSocket, WebSocketPair, console_error};

/// Answers a client's close. 1005 and 1006 describe a missing close frame and may not be
/// sent, so they become a normal closure.
pub fn close_back(ws: &WebSocket, code: usize, reason: &str) {
    let code = match code {
        1005 | 1006 | 0 => 1000,
        c => u16::try_from(c).unwrap_or(1000),
    };
    // Already closed sockets refuse; that is the outcome we wanted.
    let _ = ws.close(Some(code), Some(reason));
}

/// A socket for no conversation, refused after its upgrade rather than before: a browser
/// learns nothing from a failed upgrade (it sees a dropped connection, 1006) and would try
/// again for ever, while this one hears `unknown_conversation` with `why` and the final close
/// 4004 (a widget starts a new conversation, the console says so and stops). Made by the
/// Worker, so no object holds the socket.
pub fn no_conversation(why: &str) -> Result<Response> {
    let pair = WebSocketPair::new()?;
    pair.server.accept()?;
    let frame = ErrorFrame::new(ErrorCode::UnknownConversation, why, None);
    send(&pair.server, &ServerFrame::Error(frame));
    pair.server.close(Some(4004), Some("unknown conversation"))?;
    Response::from_websocket(pair.client)
}

/// When workerd last answered a ping on `ws` by itself (`setWebSocketAutoResponse`, which
/// wakes no object): `getWebSocketAutoResponseTimestamp`, which workers-rs does not wrap.
/// `None` when it never has.
pub fn last_ping(state: &worker::State, ws: &WebSocket) -> Option<shared::protocol::Millis> {
    use wasm_bindgen::JsCast;
    let raw: &wasm_bindgen::JsValue = state.as_raw().as_ref();
    let ask = js_sys::Reflect::get(raw, &"getWebSocketAutoResponseTimestamp".into()).ok()?;
    let ask = ask.dyn_into::<js_sys::Function>().ok()?;
    let js: &web_sys::WebSocket = ws.as_ref();
    let at = ask.call1(raw, js).ok()?;
    at.dyn_ref::<js_sys::Date>().map(|d| d.get_time() as shared::protocol::Millis)
}

/// Whether `ws` is open and not `closing`: while a close is being handled, the closing socket
/// may still be among the object's sockets.
pub fn open_besides(ws: &WebSocket, closing: Option<&WebSocket>) -> bool {
    let js: &web_sys::WebSocket = ws.as_ref();
    let closing: Option<&web_sys::WebSocket> = closing.map(AsRef::as_ref);
    Some(js) != closing && js.ready_state() == web_sys::WebSocket::OPEN
}

/// Sends a frame; a socket that is already gone is not an error worth more than a log line.
pub fn send<T: Serialize>(ws: &WebSocket, frame: &T) {
    send_all(std::iter::once(ws), frame);
}

/// Lets workerd answer a client's ping itself, without waking the object (or counting
/// against its frame limit).
pub fn answer_pings(state: &worker::State) {
    match worker::worker_sys::WebSocketRequestResponsePair::new(
        shared::protocol::PING,
        shared::protocol::PONG,
    ) {
        Ok(pair) => state.set_websocket_auto_response(&pair),
        Err(e) => worker::console_error!("ping answers: {e:?}"),
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A WebSocket, for `send` with a string already on the JavaScript side:
    /// `send_with_str` copies its text out of wasm memory into a new string at every call.
    type Sending;
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_text(this: &Sending, text: &js_sys::JsString) -> Result<(), JsValue>;
}

/// Sends one frame to many sockets, encoding it once and copying it out of wasm memory once:
/// every copy is garbage the one thread collects, between events it would rather handle.
pub fn send_all<'a, T: Serialize>(sockets: impl IntoIterator<Item = &'a WebSocket>, frame: &T) {
    match serde_json::to_string(frame) {
        Ok(text) => send_text_all(sockets, &js_sys::JsString::from(text)),
        Err(e) => console_error!("frame encoding: {e}"),
    }
}

/// Sends a frame already encoded on the JavaScript side to many sockets.
pub fn send_text_all<'a>(
    sockets: impl IntoIterator<Item = &'a WebSocket>,
    text: &js_sys::JsString,
) {
    for ws in sockets {
        let js: &web_sys::WebSocket = ws.as_ref();
        // A socket closing under us refuses the send; its peer will resync on reconnect.
        if let Err(e) = js.unchecked_ref::<Sending>().send_text(text) {
            let state = js.ready_state();
            worker::console_warn!("send failed (socket state {state}): {e:?}");
        }
    }
}
