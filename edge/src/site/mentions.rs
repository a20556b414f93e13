//! `@Name` in an internal note notifies that teammate on their inbox socket.

use shared::api::InboxFrame;
use worker::Result;

use super::Site;
use crate::internal::{AgentIdentity, Mention};
use crate::sockets;

/// The teammates whose display name follows an `@` in `text` (case-insensitive).
fn mentioned<'a>(text: &str, names: &'a [(String, String)]) -> Vec<&'a str> {
    let lower = text.to_lowercase();
    names
        .iter()
        .filter(|(_, name)| {
            !name.is_empty() && lower.contains(&format!("@{}", name.to_lowercase()))
        })
        .map(|(id, _)| id.as_str())
        .collect()
}

pub fn notify(site: &Site, mention: Mention) -> Result<()> {
    let team: Vec<(String, String)> =
        super::team::list(site)?.into_iter().map(|m| (m.id, m.name)).collect();
    let ids = mentioned(&mention.text, &team);
    if ids.is_empty() {
        return Ok(());
    }
    let frame = InboxFrame::Mention {
        conversation_id: mention.conversation_id,
        by: mention.by,
        text: mention.text,
    };
    for ws in site.state.get_websockets() {
        let who: Option<AgentIdentity> = ws.deserialize_attachment().ok().flatten();
        if who.is_some_and(|w| ids.contains(&w.agent.id.as_str())) {
            sockets::send(&ws, &frame);
        }
    }
    Ok(())
}
