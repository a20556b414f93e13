//! What the site's mail says of this conversation's waiting visitor: who, what they need,
//! their last messages. Asked by the site only (objects are reachable through bindings alone).

use shared::mail::{BriefLine, RECENT_LINES, RequestBrief};
use shared::protocol::{Author, ItemBody};
use worker::{Response, Result};

use super::{Core, store};

impl Core {
    /// `GET /brief`.
    pub(super) fn brief(&self) -> Result<Response> {
        let inner = self.inner.borrow();
        let Some(meta) = &inner.meta else { return Response::error("unknown conversation", 404) };
        let visitor = inner.profile.name.clone().unwrap_or_else(|| "Visitor".into());
        let recent = store::recent_messages(self.sql(), None, None, RECENT_LINES)?
            .into_iter()
            .filter_map(|item| match item.body {
                ItemBody::Message(m) => Some(BriefLine {
                    who: match m.author {
                        Author::Visitor => visitor.clone(),
                        Author::Bot => "AI".into(),
                        Author::Agent(a) => a.name,
                    },
                    text: m.text,
                }),
                _ => None,
            })
            .collect();
        Response::from_json(&RequestBrief {
            conversation_id: meta.conversation_id.clone(),
            visitor_name: inner.profile.name.clone(),
            visitor_email: inner.profile.email.clone(),
            need: inner.preview.clone(),
            recent,
            waiting_since: inner.waiting_since.unwrap_or(meta.created_at),
            page_url: meta.page_url.clone(),
            left_message: inner.left_message,
        })
    }
}
