//! Settings → Channels: a Telegram bot connected by its token (write-only: a hint of it is all
//! that is shown again; connecting registers the bot's webhook at once, so a wrong token is
//! refused here, with Telegram's reason, and nothing changes), and a WhatsApp Business number
//! (its access token and app secret write-only; the callback URL and verify token shown, to
//! paste into Meta's dashboard).

use leptos::prelude::*;
use shared::api::{ChannelsStatus, ConnectWhatsApp, Me};

use crate::secrets::apply;
use crate::{api, time};

type Status = RwSignal<Option<ChannelsStatus>>;

#[component]
pub fn Channels(me: RwSignal<Me>) -> impl IntoView {
    let status = RwSignal::new(None::<ChannelsStatus>);
    let message = RwSignal::new(None::<(bool, String)>);
    let token = RwSignal::new(String::new());
    let api_base = RwSignal::new(String::new());
    apply(status, message, api::channels(), None);
    let connect = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let (t, base) = (token.get_untracked(), api_base.get_untracked());
        if t.trim().is_empty() {
            return;
        }
        let csrf = me.get_untracked().csrf;
        message.set(None);
        let call = async move {
            let done = api::connect_telegram(&csrf, &t, &base).await;
            if done.is_ok() {
                token.set(String::new());
            }
            done
        };
        apply(
            status,
            message,
            call,
            Some("Connected. Messages to the bot now arrive in the inbox."),
        );
    };
    let disconnect = move |_| {
        let csrf = me.get_untracked().csrf;
        let call = async move { api::disconnect_channel(&csrf, "telegram").await };
        apply(status, message, call, Some("Disconnected. The bot no longer sends us messages."));
    };
    let connected = move || status.with(|s| s.as_ref().and_then(|s| s.telegram.clone()));
    view! {
        <section class="part" id="channels" aria-labelledby="channels-title">
            <h2 id="channels-title">"Channels"</h2>
            <p class="hint">"Customers who message your Telegram bot or WhatsApp number get the same AI and the same team as the website's chat. Replies, and who is answering, reach them there."</p>
            <h3>"Telegram"</h3>
            {move || match connected() {
                Some(t) => view! {
                    <p class="connected">
                        <strong>"Telegram: "{t.bot.clone().unwrap_or_else(|| "bot".into())}</strong>
                        {format!(" · token {} · connected {}", t.hint, time::clock(t.connected_at))}
                    </p>
                    <p class="hint">{format!("Updates arrive at {}", t.webhook_url)}</p>
                    <p class="save-row"><button type="button" class="danger" on:click=disconnect>"Disconnect Telegram"</button></p>
                }.into_any(),
                None => view! {
                    <form class="stack" on:submit=connect>
                        <label>"Telegram bot token"
                            <input type="password" autocomplete="off" placeholder="123456789:AAH…" required
                                prop:value=move || token.get() on:input=move |e| token.set(event_target_value(&e))/>
                        </label>
                        <p class="hint">"Create a bot with @BotFather in Telegram and paste the token it gives you. We register the bot's webhook with a secret of our own."</p>
                        <details>
                            <summary>"Advanced: a Bot API server of your own"</summary>
                            <label>"Bot API address"
                                <input type="url" placeholder="https://api.telegram.org"
                                    prop:value=move || api_base.get() on:input=move |e| api_base.set(event_target_value(&e))/>
                            </label>
                        </details>
                        <p class="save-row"><button type="submit">"Connect Telegram"</button></p>
                    </form>
                }.into_any(),
            }}
            <p role="status" class:error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
                {move || message.get().map(|(_, m)| m)}
            </p>
            <WhatsApp me status/>
        </section>
    }
}

#[component]
fn WhatsApp(me: RwSignal<Me>, status: Status) -> impl IntoView {
    let message = RwSignal::new(None::<(bool, String)>);
    let (number, token, secret, base) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let connect = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let csrf = me.get_untracked().csrf;
        let base = Some(base.get_untracked().trim().to_owned()).filter(|b| !b.is_empty());
        let ask = ConnectWhatsApp {
            phone_number_id: number.get_untracked().trim().to_owned(),
            access_token: token.get_untracked().trim().to_owned(),
            app_secret: secret.get_untracked().trim().to_owned(),
            api_base: base,
        };
        message.set(None);
        let call = async move {
            let done = api::connect_whatsapp(&csrf, &ask).await;
            if done.is_ok() {
                token.set(String::new());
                secret.set(String::new());
            }
            done
        };
        apply(
            status,
            message,
            call,
            Some("Saved. Now paste the callback URL and verify token into Meta's dashboard."),
        );
    };
    let disconnect = move |_| {
        let csrf = me.get_untracked().csrf;
        let call = async move { api::disconnect_channel(&csrf, "whatsapp").await };
        apply(
            status,
            message,
            call,
            Some("Disconnected. Messages to the number no longer reach us."),
        );
    };
    let connected = move || status.with(|s| s.as_ref().and_then(|s| s.whatsapp.clone()));
    let field = |label: &'static str, kind: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label}
                <input type=kind autocomplete="off" required prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e))/>
            </label>
        }
    };
    view! {
        <h3>"WhatsApp"</h3>
        {move || match connected() {
            Some(w) => view! {
                <p class="connected">
                    <strong>{format!("WhatsApp: number ID {}", w.phone_number_id)}</strong>
                    {format!(" · access token {} · connected {}", w.hint, time::clock(w.connected_at))}
                </p>
                <p class="hint">"In Meta's dashboard (WhatsApp → Configuration → Webhook), enter these and subscribe to the messages field:"</p>
                <dl class="details">
                    <dt>"Callback URL"</dt><dd class="url">{w.callback_url.clone()}</dd>
                    <dt>"Verify token"</dt><dd class="url">{w.verify_token.clone()}</dd>
                </dl>
                <p class="hint">"Replies are free for 24 hours after the customer's last message; after that the composer waits until they write again."</p>
                <p class="save-row"><button type="button" class="danger" on:click=disconnect>"Disconnect WhatsApp"</button></p>
            }.into_any(),
            None => view! {
                <form class="stack" on:submit=connect>
                    {field("Phone number ID", "text", number)}
                    {field("Access token", "password", token)}
                    {field("App secret", "password", secret)}
                    <p class="hint">"From your Meta app: WhatsApp → API Setup (phone number ID, a permanent access token) and App settings → Basic (app secret, which signs every message Meta sends us)."</p>
                    <details>
                        <summary>"Advanced: another Graph API address"</summary>
                        <label>"Graph API address"
                            <input type="url" placeholder="https://graph.facebook.com/v21.0"
                                prop:value=move || base.get() on:input=move |e| base.set(event_target_value(&e))/>
                        </label>
                    </details>
                    <p class="save-row"><button type="submit">"Connect WhatsApp"</button></p>
                </form>
            }.into_any(),
        }}
        <p role="status" class:error=move || message.with(|m| m.as_ref().is_some_and(|(ok, _)| !ok))>
            {move || message.get().map(|(_, m)| m)}
        </p>
    }
}
