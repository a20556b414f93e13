//! A signed-in user's conversation follows them to another device: the site's backend signs
//! who they are there too, and the widget asks for their most recent conversation instead of
//! starting one. Never another user's: the token must be the site's, for that user, and
//! unexpired; and the conversation opens on that device only while its page proves the user.

use shared::api::{ContinueConversation, ConversationCreated};
use worker::{Request, Response, Result};

use super::{Site, secrets};
use crate::conversation::GrantKind;
use crate::internal::{self, Grant};
use crate::sql::{self, int, text};

/// How long ago a user's conversation may have last moved to be continued.
const RECENT_MS: i64 = 30 * super::DAY_MS;

/// `POST /continue` with a [`ContinueConversation`]: the user's most recent conversation with
/// a credential for the asking device (200), none (404), or the token refused (401, why).
pub async fn resume(site: &Site, mut req: Request) -> Result<Response> {
    let ask: ContinueConversation = internal::body(&mut req).await?;
    let Some(site_key) = site.site_key()? else { return Response::error("unknown site", 404) };
    let keys = secrets::opened(site, &site_key)?.identity_keys();
    if keys.is_empty() {
        return Response::error("This site has no identity secret.", 401);
    }
    let now = crate::now();
    if let Err(why) = shared::identity::verify(&ask.token, &keys, now / 1000, &ask.user_id, None) {
        return Response::error(why.to_string(), 401);
    }
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let latest: Option<Id> = sql::first(
        &site.sql(),
        "SELECT id FROM conversations WHERE user_id = ? AND spam = 0 AND activity_at > ?
         ORDER BY activity_at DESC LIMIT 1",
        vec![text(&ask.user_id), int(now - RECENT_MS)],
    )?;
    let Some(Id { id }) = latest else {
        return Response::error("no recent conversation", 404);
    };
    let grant =
        Grant { site_key, kind: GrantKind::Identity, link: None, user_id: Some(ask.user_id) };
    match internal::grant(&site.env, &id, &grant).await? {
        Some(token) => Response::from_json(&ConversationCreated { conversation_id: id, token }),
        None => Response::error("no recent conversation", 404),
    }
}
