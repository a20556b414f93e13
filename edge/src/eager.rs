//! A Durable Object's entry points that finish within the call when nothing is awaited.
//!
//! workers-rs's `#[durable_object]` makes every event a promise: the handler's future is
//! queued, polled in a microtask (a second entry into wasm), and its result resolves the
//! promise (a third). Nearly every socket frame of a conversation awaits nothing — it is
//! stored with synchronous SQL and sent with synchronous `send` — so that machinery was the
//! largest piece of a message's cost that was not storage or sending (measured in
//! ARCHITECTURE.md, "One object's message"). [`durable_object!`] exports the same methods,
//! but polls each handler once where it is called: a handler that finishes returns its
//! result as it is; only one still waiting is handed to a promise, which polls it again
//! with a real waker (a future registers the waker of its latest poll, so the first,
//! waker-less poll loses no wake-up).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::JsValue;

/// `handler`'s result if it finishes without waiting, else a promise of it.
pub fn run<F>(handler: F) -> Result<JsValue, JsValue>
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let mut handler: Pin<Box<F>> = Box::pin(handler);
    match handler.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Ok(wasm_bindgen_futures::future_to_promise(handler).into()),
    }
}

/// Exports `$object` (a `#[wasm_bindgen]` struct whose one field `$core` is an `Rc` and which
/// implements [`worker::DurableObject`]) as a Durable Object class, each event run by
/// [`run`]. A handler that waits holds a clone of the object made from that `Rc`.
macro_rules! durable_object {
    ($object:ident { $core:ident }) => {
        impl ::worker::has_durable_object_attribute for $object {}

        #[::wasm_bindgen::prelude::wasm_bindgen]
        impl $object {
            #[wasm_bindgen(constructor)]
            pub fn construct(
                state: ::worker::worker_sys::DurableObjectState,
                env: ::worker::Env,
            ) -> Self {
                <Self as ::worker::DurableObject>::new(::worker::durable::State::from(state), env)
            }

            #[wasm_bindgen(js_name = fetch)]
            pub fn fetch_event(
                &self,
                req: ::worker::worker_sys::web_sys::Request,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let this = $object { $core: self.$core.clone() };
                $crate::eager::run(async move {
                    <Self as ::worker::DurableObject>::fetch(&this, req.into())
                        .await
                        .map(::worker::worker_sys::web_sys::Response::from)
                        .map(::wasm_bindgen::JsValue::from)
                        .map_err(::wasm_bindgen::JsValue::from)
                })
            }

            #[wasm_bindgen(js_name = alarm)]
            pub fn alarm_event(
                &self,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let this = $object { $core: self.$core.clone() };
                $crate::eager::run(async move {
                    <Self as ::worker::DurableObject>::alarm(&this)
                        .await
                        .map(::worker::worker_sys::web_sys::Response::from)
                        .map(::wasm_bindgen::JsValue::from)
                        .map_err(::wasm_bindgen::JsValue::from)
                })
            }

            #[wasm_bindgen(js_name = webSocketMessage)]
            pub fn websocket_message_event(
                &self,
                ws: ::worker::worker_sys::web_sys::WebSocket,
                message: ::wasm_bindgen::JsValue,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let message = match message.as_string() {
                    Some(text) => ::worker::WebSocketIncomingMessage::String(text),
                    None => ::worker::WebSocketIncomingMessage::Binary(
                        ::js_sys::Uint8Array::new(&message).to_vec(),
                    ),
                };
                let this = $object { $core: self.$core.clone() };
                $crate::eager::run(async move {
                    <Self as ::worker::DurableObject>::websocket_message(&this, ws.into(), message)
                        .await
                        .map(|_| ::wasm_bindgen::JsValue::NULL)
                        .map_err(::wasm_bindgen::JsValue::from)
                })
            }

            #[wasm_bindgen(js_name = webSocketClose)]
            pub fn websocket_close_event(
                &self,
                ws: ::worker::worker_sys::web_sys::WebSocket,
                code: usize,
                reason: String,
                was_clean: bool,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let this = $object { $core: self.$core.clone() };
                $crate::eager::run(async move {
                    <Self as ::worker::DurableObject>::websocket_close(
                        &this,
                        ws.into(),
                        code,
                        reason,
                        was_clean,
                    )
                    .await
                    .map(|_| ::wasm_bindgen::JsValue::NULL)
                    .map_err(::wasm_bindgen::JsValue::from)
                })
            }

            #[wasm_bindgen(js_name = webSocketError)]
            pub fn websocket_error_event(
                &self,
                ws: ::worker::worker_sys::web_sys::WebSocket,
                error: ::wasm_bindgen::JsValue,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let this = $object { $core: self.$core.clone() };
                $crate::eager::run(async move {
                    <Self as ::worker::DurableObject>::websocket_error(
                        &this,
                        ws.into(),
                        error.into(),
                    )
                    .await
                    .map(|_| ::wasm_bindgen::JsValue::NULL)
                    .map_err(::wasm_bindgen::JsValue::from)
                })
            }
        }
    };
}

pub(crate) use durable_object;
