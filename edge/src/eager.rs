//! A Durable Object's entry points that finish within the call when nothing is awaited.
//!
//! workers-rs's `#[durable_object]` makes every event a promise: the handler's future is
//! queued, polled in a microtask (a second entry into wasm), and its result resolves the
//! promise (a third). Nearly every socket frame of a conversation awaits nothing — it is
//! stored with synchronous SQL and sent with synchronous `send` — so that machinery was the
//! largest piece of a message's cost that was not storage or sending (measured in
//! ARCHITECTURE.md, "One object's message"). [`durable_object!`] exports the same methods,
//! but polls each handler once where it is called: a handler that finishes returns its
//! result as it is; only one still waiting is handed to a promise.

use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use wasm_bindgen::JsValue;

/// `handler`'s result if it finishes without waiting, else a promise of it.
pub fn run<F>(handler: F) -> Result<JsValue, JsValue>
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let mut handler: Pin<Box<F>> = Box::pin(handler);
    let forward = Arc::new(Forward::default());
    let waker = Waker::from(forward.clone());
    match handler.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(result) => result,
        Poll::Pending => {
            let task = poll_fn(move |cx| {
                forward.follow(cx.waker());
                handler.as_mut().poll(cx)
            });
            Ok(wasm_bindgen_futures::future_to_promise(AssertUnwindSafe(task)).into())
        }
    }
}

/// The waker of a handler's first poll, made before the task that goes on with it exists:
/// it wakes whichever task polled the handler last. A future may keep the waker of its first
/// poll alone (workers-rs's `Delay` does), so a wake-up it sends must reach that task.
/// A wake-up before the task's first poll needs no one: that poll comes regardless.
#[derive(Default)]
struct Forward(Mutex<Option<Waker>>);

impl Forward {
    fn follow(&self, waker: &Waker) {
        let mut current = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !current.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *current = Some(waker.clone());
        }
    }
}

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Woken outside the lock: waking may come back here.
        let current = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(waker) = current {
            waker.wake();
        }
    }
}

/// A handler's outcome as the exported method gives it to workerd: a response, or null.
pub fn answer<T: Into<JsValue>>(outcome: worker::Result<T>) -> Result<JsValue, JsValue> {
    outcome.map(Into::into).map_err(JsValue::from)
}

/// Exports `$object` (a `#[wasm_bindgen]` struct whose one field `$core` is an `Rc` and which
/// implements [`worker::DurableObject`]) as a Durable Object class, each event run by
/// [`run`]. A handler that waits holds a clone of the object made from that `Rc`.
macro_rules! durable_object {
    ($object:ident { $core:ident }) => {
        impl ::worker::has_durable_object_attribute for $object {}

        impl $object {
            /// The object for a handler to keep: the same state, one more handle on it.
            fn handle(&self) -> Self {
                $object { $core: self.$core.clone() }
            }
        }

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
                let this = self.handle();
                $crate::eager::run(async move {
                    let res = <Self as ::worker::DurableObject>::fetch(&this, req.into()).await;
                    $crate::eager::answer(res.map(::worker::worker_sys::web_sys::Response::from))
                })
            }

            #[wasm_bindgen(js_name = alarm)]
            pub fn alarm_event(
                &self,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let this = self.handle();
                $crate::eager::run(async move {
                    let res = <Self as ::worker::DurableObject>::alarm(&this).await;
                    $crate::eager::answer(res.map(::worker::worker_sys::web_sys::Response::from))
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
                let this = self.handle();
                $crate::eager::run(async move {
                    let done = <Self as ::worker::DurableObject>::websocket_message(
                        &this,
                        ws.into(),
                        message,
                    );
                    $crate::eager::answer(done.await.map(|()| ::wasm_bindgen::JsValue::NULL))
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
                let this = self.handle();
                $crate::eager::run(async move {
                    let done = <Self as ::worker::DurableObject>::websocket_close(
                        &this,
                        ws.into(),
                        code,
                        reason,
                        was_clean,
                    );
                    $crate::eager::answer(done.await.map(|()| ::wasm_bindgen::JsValue::NULL))
                })
            }

            #[wasm_bindgen(js_name = webSocketError)]
            pub fn websocket_error_event(
                &self,
                ws: ::worker::worker_sys::web_sys::WebSocket,
                error: ::wasm_bindgen::JsValue,
            ) -> ::std::result::Result<::wasm_bindgen::JsValue, ::wasm_bindgen::JsValue> {
                let this = self.handle();
                $crate::eager::run(async move {
                    let done = <Self as ::worker::DurableObject>::websocket_error(
                        &this,
                        ws.into(),
                        error.into(),
                    );
                    $crate::eager::answer(done.await.map(|()| ::wasm_bindgen::JsValue::NULL))
                })
            }
        }
    };
}

pub(crate) use durable_object;
