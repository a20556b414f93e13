//! Every visitor-facing string, in one place so the widget can be localized.

pub const ASSISTANT: &str = "AI assistant";
pub const TALK_TO_HUMAN: &str = "Talk to a human";
pub const WAITING: &str = "Waiting for support agent to join";
pub const WITH_HUMAN: &str = "You're now chatting with a human";
pub const RECONNECTING: &str = "Reconnecting…";
pub const PLACEHOLDER: &str = "Type your message…";
pub const SEND: &str = "Send";
pub const CLOSE: &str = "Close chat";
pub const AI_RESUMED: &str = "AI resumed";
pub const ENDED: &str = "This conversation has ended";
pub const YOU_ASKED: &str = "You asked for a person";
pub const HANDED_OVER: &str = "The assistant asked a person to help";
pub const THINKING: &str = "The assistant is typing";
pub const CANNOT_START: &str = "The chat could not start. Please try again later.";

pub fn joined(name: &str) -> String {
    format!("{name} joined the conversation")
}

pub fn left(name: &str) -> String {
    format!("{name} left the conversation")
}

pub fn typing(name: &str) -> String {
    format!("{name} is typing")
}
