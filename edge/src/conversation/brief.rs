//! What the site's mail says of this conversation's waiting visitor: who, what they need,
//! their last messages. Asked by the site only (objects are reachable through bindings alone).

use shared::mail::{BriefLine, RECENT_LINES, RequestBrief};
use shared::protocol::{Author, ItemBody, Phase};
use worker::{Request, Response, Result};

use super::{Core, store};

impl Core {
    /// `GET /brief?since=…`: 409 when the wait that began then is over (the site's index may
    /// not have heard yet).
    pub(super) fn brief(&self, req: &Request) -> Result<Response> {
        let inner = self.inner.borrow();
        let Some(meta) = &inner.meta else { return Response::error("unknown conversation", 404) };
        let since: Option<i64> =
            req.url()?.query_pairs().find(|(k, _)| k == "since").and_then(|(_, v)| v.parse().ok());
        let waiting = inner.machine.phase() == Phase::Escalated && !inner.spam;
        if !waiting || since.is_some_and(|s| inner.waiting_since != Some(s)) {
            return Response::error("no longer waiting", 409);
        }
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
            channel: inner.channel.peer.as_ref().map(|p| {
                let handle = p.handle.as_deref().map(|h| format!(" {h}")).unwrap_or_default();
                format!("{}{handle}", p.kind.label())
            }),
        })
    }
}
