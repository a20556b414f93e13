//! What both objects do with their hibernating WebSockets.

use serde::Serialize;
use worker::{WebSocket, console_error};

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

/// Sends a frame; a socket that is already gone is not an error worth more than a log line.
pub fn send<T: Serialize>(ws: &WebSocket, frame: &T) {
    match serde_json::to_string(frame) {
        // A socket closing under us refuses the send; its peer will resync on reconnect.
        Ok(text) => {
            let _ = ws.send_with_str(text);
        }
        Err(e) => console_error!("frame encoding: {e}"),
    }
}
