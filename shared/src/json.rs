//! A parsed JSON value, as the browser apps hand it to [`crate::read_json`].
//!
//! Not serde_json's `Value`: that keeps an object's fields in a `BTreeMap`, whose building,
//! sorting and rebalancing code (11 KB of the widget's wasm) every visitor would download to
//! have each field taken out once. Here an object is the list of its fields in the order the
//! parser gives them (the browser's: as written, integer-like keys first; natively,
//! serde_json's sorted map), which no reader depends on. A whole number is an integer, as
//! serde_json makes it, anything else a float; the browser reads `1.0` and `-0` as whole, and
//! a whole number past 2^53 as a float, which the readers then refuse.

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A whole number from 0 up.
    Unsigned(u64),
    /// A whole number below 0.
    Negative(i64),
    /// A number with a fraction or an exponent, or too large for an integer.
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// serde_json's reading of the same text (natively, where its parser costs nobody a download).
impl From<serde_json::Value> for Json {
    fn from(value: serde_json::Value) -> Json {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Json::Unsigned(u),
                (None, Some(i), _) => Json::Negative(i),
                (None, None, f) => Json::Float(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => Json::String(s),
            Value::Array(all) => Json::Array(all.into_iter().map(Json::from).collect()),
            Value::Object(map) => {
                Json::Object(map.into_iter().map(|(k, v)| (k, Json::from(v))).collect())
            }
        }
    }
}
