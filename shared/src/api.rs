//! JSON bodies of the HTTP API and the frames of the agents' live inbox socket.

use serde::{Deserialize, Serialize};

use crate::faq::FaqEntry;
use crate::protocol::{AgentRef, Millis, Phase, Role, Seq};

/// `POST /api/sites/{key}/conversations`: the visitor's first contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConversation {
    #[serde(default)]
    pub page_url: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCreated {
    pub conversation_id: String,
    /// Unguessable; the only credential a visitor has. Keep it secret.
    pub token: String,
}

/// What the widget needs before it opens: `GET /api/sites/{key}/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetConfig {
    pub site_key: String,
    pub title: String,
    /// CSS colour of the launcher and the visitor's bubbles.
    pub color: String,
    /// Visitor messages before "Talk to a human" shows.
    pub human_button_after: u32,
}

/// The site's settings as stored and as set by the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    pub title: String,
    pub color: String,
    #[serde(default)]
    pub human_button_after: u32,
    #[serde(default)]
    pub faq: Vec<FaqEntry>,
}

/// `POST /api/setup`, authorised by the deployment's setup token: creates or updates a site,
/// its settings and team members (a member's password is replaced when given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    pub site_key: String,
    pub settings: SiteSettings,
    #[serde(default)]
    pub members: Vec<NewMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMember {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// `POST /api/admin/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub site_key: String,
    pub email: String,
    pub password: String,
}

/// The signed-in teammate: `GET /api/admin/me` and the login answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub site_key: String,
    pub agent: AgentRef,
    pub email: String,
    pub role: Role,
}

/// Every refused HTTP request answers with this body and a 4xx/5xx status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// One row of the agents' inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub phase: Phase,
    pub assignee: Option<AgentRef>,
    pub ticket: Option<u32>,
    pub last_seq: Seq,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// When the current wait for an agent began, while escalated.
    pub waiting_since: Option<Millis>,
    /// The newest message, shortened.
    pub preview: String,
}

/// Frames the server pushes on the inbox socket (`/api/admin/inbox/ws`); agents send none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxFrame {
    /// Every conversation the site knows, newest first; sent once on connect.
    Snapshot { conversations: Vec<ConversationSummary> },
    /// A conversation changed or appeared.
    Upsert(ConversationSummary),
}
