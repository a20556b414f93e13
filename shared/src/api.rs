//! JSON bodies of the HTTP API and the frames of the agents' live inbox socket.

use serde::{Deserialize, Serialize};

use crate::faq::FaqEntry;
use crate::protocol::{AgentRef, Item, Millis, Phase, Role, Seq, VisitorProfile};

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

/// `POST /api/sites/{key}/conversations/resume`: the link a visitor was mailed opens their
/// conversation on this device (answered with a [`ConversationCreated`] of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeConversation {
    pub link: String,
}

/// `POST /api/sites/{key}/conversations/continue`: a user the site's backend signed (see
/// `identity`) continues their most recent conversation on this device (answered with a
/// [`ConversationCreated`] of its own), rather than starting one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueConversation {
    pub user_id: String,
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
    /// Whether the team is within its business hours now (always, without a schedule).
    #[serde(default = "yes")]
    pub open_now: bool,
    /// Whether visitors can reach a person at all, and see the button that asks for one.
    #[serde(default = "yes")]
    pub takeover: bool,
    #[serde(default = "yes")]
    pub show_human_button: bool,
    /// While waiting for a person, the visitor is asked for an email so the team can reply if
    /// they leave.
    #[serde(default)]
    pub ask_email: bool,
    /// The owner's wording, by language (see [`crate::texts`]).
    #[serde(default)]
    pub texts: crate::texts::WidgetTexts,
    /// Questions offered under the greeting, one tap to ask: the owner's pick, else the FAQ's
    /// most asked.
    #[serde(default)]
    pub suggestions: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Questions offered when the chat opens.
pub const MAX_SUGGESTIONS: usize = 3;
/// Characters in one suggested question: a chip, not a paragraph.
pub const MAX_SUGGESTION_CHARS: usize = 120;

/// The site's settings as stored and as set by the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    pub title: String,
    pub color: String,
    #[serde(default)]
    pub human_button_after: u32,
    #[serde(default)]
    pub faq: Vec<FaqEntry>,
    #[serde(default)]
    pub engine: Engine,
    /// When a person is expected to answer; none means always.
    #[serde(default)]
    pub business_hours: Option<crate::hours::BusinessHours>,
    #[serde(default)]
    pub takeover: TakeoverSettings,
    /// The owner's wording for visitor-facing lines, by language.
    #[serde(default)]
    pub texts: crate::texts::TextOverrides,
    /// Questions the chat offers when it opens (at most [`MAX_SUGGESTIONS`]); none: the FAQ's
    /// most asked.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// Origins (`https://shop.example`, `https://*.example.com`) whose pages may embed the
    /// widget; empty allows every origin.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Mail to the team beyond each teammate's own choice.
    #[serde(default)]
    pub email: EmailSettings,
    /// Whether visitors' identities must be signed by the site's backend.
    #[serde(default)]
    pub identity: IdentitySettings,
}

/// Signed visitor identity (see `shared::identity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySettings {
    /// Names and emails from the page count only with a valid token: unsigned ones are
    /// refused.
    #[serde(default)]
    pub require_verified: bool,
}

/// The site's part in team mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings {
    /// Seconds a request may wait unclaimed before a reminder is mailed (once per request);
    /// 0 is off.
    #[serde(default)]
    pub remind_after_secs: u32,
    /// Reminders go to every teammate who takes them, not only those mailed of new requests.
    #[serde(default)]
    pub remind_everyone: bool,
}

/// When and how a person takes over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeoverSettings {
    /// Off: the AI answers alone; agents may still step in from the console.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Show the "Talk to a human" button (after `human_button_after` messages).
    #[serde(default = "yes")]
    pub show_button: bool,
    /// Seconds a request for a person may wait unclaimed before the AI resumes; 0 is off.
    #[serde(default)]
    pub unclaimed_timeout_secs: u32,
    /// Seconds the assignee may be offline before the conversation returns to Pending; 0 is
    /// off.
    #[serde(default)]
    pub assignee_offline_secs: u32,
    /// What a visitor asking for a person meets when no teammate who can answer is
    /// available (none has a console open, or all are Away).
    #[serde(default)]
    pub when_nobody_available: WhenNobodyAvailable,
    /// "Usually replies in", in seconds, told to a waiting visitor; 0 estimates it from the
    /// team's recent claims.
    #[serde(default)]
    pub usual_wait_secs: u32,
    /// While a visitor waits for a person, the AI still answers what it can (never hands
    /// over again); off, the visitor's messages wait for the person.
    #[serde(default)]
    pub ai_answers_while_waiting: bool,
    /// A chat with the AI or a person with nothing new for this many seconds closes (its
    /// ticket resolved); the visitor writing again reopens it. 0 is off.
    #[serde(default)]
    pub idle_close_secs: u32,
    /// Ask a visitor waiting for a person for an email, "so we can reply if you leave"
    /// (never on a site that takes only signed identities: theirs comes with the token).
    #[serde(default = "yes")]
    pub ask_email: bool,
    /// A teammate's replies that a visitor who has left did not see are mailed to the email
    /// they gave, gathered, with a link back into the chat.
    #[serde(default = "yes")]
    pub email_replies: bool,
}

impl Default for TakeoverSettings {
    fn default() -> Self {
        TakeoverSettings {
            enabled: true,
            show_button: true,
            unclaimed_timeout_secs: 0,
            assignee_offline_secs: 0,
            when_nobody_available: WhenNobodyAvailable::default(),
            usual_wait_secs: 0,
            ai_answers_while_waiting: false,
            idle_close_secs: 0,
            ask_email: true,
            email_replies: true,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenNobodyAvailable {
    /// The contact form at once: nobody waits for a person who is not there.
    #[default]
    LeaveMessage,
    /// Wait anyway (the unclaimed timeout, if set, ends the wait).
    Wait,
}

/// A teammate's own availability: `GET`/`PUT /api/admin/me/availability`. Away teammates
/// (and those with no console open) are not offered to visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub away: bool,
}

/// Which AI answers the site's visitors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Engine {
    /// Retrieval over the site's FAQ; fully offline.
    #[default]
    Faq,
    /// Any OpenAI-compatible chat-completions endpoint (OpenAI, Workers AI, Ollama, vLLM…).
    /// The API key is the deployment's `LLM_API_KEY` secret, never stored with the site.
    Llm(LlmSettings),
    /// The owner's own bot: each visitor message is POSTed, signed, to `url`; the answer comes
    /// back in the response or later through the bot API.
    Webhook(WebhookSettings),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSettings {
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmSettings {
    /// e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    #[serde(default)]
    pub system_prompt: String,
    /// How long an answer may take before the visitor gets the fallback.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u32,
}

fn default_timeout_ms() -> u32 {
    20_000
}

/// AI usage of a site on one UTC day: human replies never count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub replies: u64,
    pub tokens: u64,
}

/// What the conversation object needs to answer and to apply the site's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotConfig {
    pub faq: Vec<FaqEntry>,
    pub engine: Engine,
    pub takeover: TakeoverSettings,
    /// Within business hours at the time of asking.
    pub open_now: bool,
    /// Someone who can answer is available (or the site keeps visitors waiting anyway).
    #[serde(default = "yes")]
    pub staffed: bool,
    /// When business hours begin again, while closed.
    #[serde(default)]
    pub back_at: Option<Millis>,
    /// What a visitor asking for a person is told to expect, in seconds.
    #[serde(default)]
    pub expected_wait_secs: Option<u32>,
    /// Only signed identities are taken (`IdentitySettings::require_verified`).
    #[serde(default)]
    pub identity_required: bool,
}

impl Default for BotConfig {
    fn default() -> Self {
        BotConfig {
            faq: Vec::new(),
            engine: Engine::Faq,
            takeover: TakeoverSettings::default(),
            open_now: true,
            staffed: true,
            back_at: None,
            expected_wait_secs: None,
            identity_required: false,
        }
    }
}

/// The owner's bot answering a turn it was sent (`POST /api/bot/conversations/{id}/reply`),
/// or the body of its webhook response. Either field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookReply {
    /// The visitor message being answered, as the webhook sent it.
    #[serde(default)]
    pub turn: u64,
    #[serde(default)]
    pub text: Option<String>,
    /// Set to hand over to a person, with the reason agents see.
    #[serde(default)]
    pub handover: Option<String>,
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
    /// What visitors see; may be left empty and set by the teammate before a first takeover.
    #[serde(default)]
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
    /// Sent back as `X-CSRF-Token` on every state-changing admin request.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /api/admin/conversations/{id}/assist`: a teammate asks the site's model for a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistRequest {
    pub action: crate::llm::Assist,
    /// The teammate's draft (Improve, Translate).
    #[serde(default)]
    pub text: String,
    /// The message to translate for the teammate (TranslateForTeam).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<crate::protocol::Seq>,
    /// The teammate's language, an ISO 639-1 code (TranslateForTeam).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Whether `code` is a language's code as compared here: two or three small letters ("en",
/// "de", "fil"), the primary subtag of a browser's language.
pub fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

impl AssistRequest {
    /// Why the request cannot be asked, as an error code and a sentence; none when it can.
    pub fn refusal(&self) -> Option<(&'static str, &'static str)> {
        use crate::llm::Assist;
        if self.text.chars().count() > crate::protocol::limits::MAX_MESSAGE_CHARS {
            return Some(("too_long", "The draft is longer than a message may be."));
        }
        match self.action {
            Assist::TranslateForTeam => {
                // Past JavaScript's exact integers no message is numbered (and the number
                // would not cross to the conversation object as written).
                const LAST_SEQ: u64 = (1 << 53) - 1;
                if self.seq.is_none_or(|s| s > LAST_SEQ) {
                    return Some(("no_message", "Say which message to translate (seq)."));
                }
                let valid = self.language.as_deref().is_some_and(is_language_code);
                (!valid).then_some((
                    "bad_language",
                    "The language must be a code of two or three small letters, such as en or de.",
                ))
            }
            Assist::Suggest => None,
            Assist::Improve | Assist::Translate => crate::clean::is_blank(&self.text)
                .then_some(("empty_draft", "Write something first: there is nothing to work on.")),
        }
    }
}

/// The model's draft, for the composer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistReply {
    pub text: String,
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
    /// That wait began with a message left for the team (nobody was available, or out of
    /// hours): the visitor expects a reply, perhaps by email, rather than a chat now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub left_message: bool,
    /// What the visitor needs: their first message of the takeover cycle that says it
    /// (`summary::is_substantive`), else their newest; shortened.
    pub preview: String,
    /// Visitor messages since the last answer from the AI or an agent.
    #[serde(default)]
    pub unanswered: u32,
    #[serde(default)]
    pub visitor_name: Option<String>,
    /// The site's backend signed who the visitor is (see `shared::identity`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    /// The site's id for that signed-in user: their conversation follows them to another
    /// device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// How many takeover cycles (tickets) the conversation has had.
    #[serde(default)]
    pub tickets: u32,
    /// The visitor has the chat open now (a connected widget).
    #[serde(default)]
    pub visitor_online: bool,
    /// When the newest item was stored: what the inbox orders by (a visitor coming or going
    /// changes `updated_at`, not this).
    #[serde(default)]
    pub activity_at: Millis,
    /// Closed as spam: not listed in the inbox.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spam: bool,
    /// The messaging channel of the conversation; `None`: the website's widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<crate::channel::ChannelKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Waiting for an agent: left out of hours, or back from an assignee who went away.
    Pending,
    Open,
    Resolved,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Pending => "pending",
            TicketStatus::Open => "open",
            TicketStatus::Resolved => "resolved",
        }
    }
}

/// One takeover cycle of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// `{conversation_id}-{number}`.
    pub id: String,
    pub conversation_id: String,
    pub number: u32,
    /// From the visitor's request, in their words.
    pub subject: String,
    pub summary: String,
    pub language: Option<String>,
    /// Where the conversation happens; `web` for the widget.
    pub channel: String,
    pub status: TicketStatus,
    /// Nobody while pending.
    pub assignee: Option<AgentRef>,
    /// Left through the out-of-hours form.
    #[serde(default)]
    pub offline: bool,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub opened_at: Millis,
    pub resolved_at: Option<Millis>,
    /// How long the visitor waited for the claim that opened it, from asking for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_ms: Option<Millis>,
    /// The visitor's rating of the chat, 1 to 5, when asked and given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_comment: Option<String>,
}

/// A conversation's whole record, for export: `GET /api/admin/conversations/{id}/transcript`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    pub conversation_id: String,
    pub site_key: String,
    pub created_at: Millis,
    pub page_url: Option<String>,
    pub user_agent: Option<String>,
    pub visitor: VisitorProfile,
    pub items: Vec<Item>,
    pub tickets: Vec<Ticket>,
}

/// A teammate as the team page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// `PATCH /api/admin/team/{id}` and `PATCH /api/admin/me`: what to change. Any change to an
/// owner is an owner's to make; changing your own password or email takes your current
/// password; a new password ends every other session of the teammate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Required with a change of your own password or email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
}

/// A stored secret as owners and admins see it: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    /// Enough to recognise it: the last characters.
    pub hint: String,
    pub created_at: Millis,
    /// A signing secret replaced by a rotation stays valid until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
    /// A model key is sent only to the endpoint it was saved for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// `GET /api/admin/secrets`: which of the site's secrets are set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsStatus {
    /// The site's own key for its model host.
    pub model_key: Option<SecretInfo>,
    /// The signing secret of the site's own bot, and the one it replaced while that is valid.
    pub webhook: Option<SecretInfo>,
    pub webhook_previous: Option<SecretInfo>,
    /// The secret the site's backend signs visitor identity tokens with, and the one it
    /// replaced while that is valid.
    #[serde(default)]
    pub identity: Option<SecretInfo>,
    #[serde(default)]
    pub identity_previous: Option<SecretInfo>,
    /// The only model endpoint the deployment's own key is ever sent to; other hosts need the
    /// site's own key.
    pub deployment_model_url: String,
    /// Whether this deployment can store secrets at all (its operator set `SECRETS_KEY`).
    pub vault: bool,
}

/// `GET /api/admin/channels`: the site's messaging channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsStatus {
    pub telegram: Option<TelegramStatus>,
    #[serde(default)]
    pub whatsapp: Option<WhatsAppStatus>,
    /// Whether this deployment can store the tokens at all (its operator set `SECRETS_KEY`).
    pub vault: bool,
}

/// A connected Telegram bot: the token itself is never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramStatus {
    /// The bot's `@username`, as Telegram named it when connected.
    pub bot: Option<String>,
    /// The token's last characters.
    pub hint: String,
    /// Where the token is sent: Telegram's Bot API, or a gateway the owner runs.
    pub api_base: String,
    /// Where Telegram sends the bot's updates.
    pub webhook_url: String,
    pub connected_at: Millis,
}

/// A connected WhatsApp Business number: what to paste into Meta's dashboard, and hints of
/// the secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppStatus {
    pub phone_number_id: String,
    /// The access token's last characters.
    pub hint: String,
    pub api_base: String,
    /// Meta's dashboard → WhatsApp → Configuration: the callback URL…
    pub callback_url: String,
    /// …and the verify token it checks it with.
    pub verify_token: String,
    pub connected_at: Millis,
}

/// `PUT /api/admin/channels/whatsapp`: connect a WhatsApp Business number of the Cloud API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectWhatsApp {
    pub phone_number_id: String,
    pub access_token: String,
    /// The Meta app's secret, which signs every webhook (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// The Graph API unless given; the token goes only there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
}

/// The Graph API version the Cloud API is called at.
pub const WHATSAPP_API: &str = "https://graph.facebook.com/v21.0";

/// `PUT /api/admin/channels/telegram`: connect a bot (its webhook is registered at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectTelegram {
    pub token: String,
    /// Telegram's Bot API unless given; the token goes only there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
}

/// Telegram's Bot API.
pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// `PUT /api/admin/secrets/model-key`: the site's own key, for one model endpoint only
/// (pointing the settings elsewhere needs the key entered again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelKey {
    pub key: String,
    pub base_url: String,
}

/// `POST /api/admin/secrets/webhook`: a new signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSecret {
    pub secret: String,
    pub info: SecretInfo,
}

/// Frames the server pushes on the inbox socket (`/api/admin/inbox/ws`); agents send none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxFrame {
    /// Every conversation the site knows, newest first; sent once on connect.
    Snapshot { conversations: Vec<ConversationSummary> },
    /// A conversation changed or appeared.
    Upsert(ConversationSummary),
    /// A ticket opened, moved or was resolved.
    Ticket(Ticket),
    /// A teammate mentioned you in an internal note.
    Mention { conversation_id: String, by: AgentRef, text: String },
}
