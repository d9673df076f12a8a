//! The template as a tree of values that remember where they were written, so every error can name
//! the line.

use std::fmt;

/// A position in the template: line and column, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What went wrong in a template, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}, column {}: {message}", pos.line, pos.column)]
pub struct TemplateError {
    /// Where.
    pub pos: Pos,
    /// What, for people.
    pub message: String,
}

impl TemplateError {
    /// An error at `pos`.
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        TemplateError {
            pos,
            message: message.into(),
        }
    }
}

/// A template value. Scalars stay text (`128`, `true` and `"128"` are all the text they were
/// written as), because CloudFormation converts them by where they are used; intrinsic functions are
/// maps with one `Ref`, `Condition` or `Fn::*` key, whether they were written in long or short form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// A string, number or boolean, as written.
    Scalar(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in the order written.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// Where.
    pub pos: Pos,
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub pos: Pos,
}

impl Node {
    /// A node at `pos`.
    pub fn new(value: Value, pos: Pos) -> Node {
        Node { value, pos }
    }

    /// A scalar at `pos`.
    pub fn scalar(text: impl Into<String>, pos: Pos) -> Node {
        Node::new(Value::Scalar(text.into()), pos)
    }

    /// An error at this node.
    pub fn error(&self, message: impl Into<String>) -> TemplateError {
        TemplateError::new(self.pos, message)
    }

    /// The entries of a mapping, if this is one.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text of a scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }

    /// The mapping's entries, or an error naming `what` this should have been.
    pub fn expect_map(&self, what: &str) -> Result<&[(Key, Node)], TemplateError> {
        match &self.value {
            Value::Map(entries) => Ok(entries),
            Value::Null => Ok(&[]),
            _ => Err(self.error(format!("{what} must be a mapping"))),
        }
    }

    /// The scalar's text, or an error naming `what` this should have been.
    pub fn expect_str(&self, what: &str) -> Result<&str, TemplateError> {
        self.as_scalar()
            .ok_or_else(|| self.error(format!("{what} must be a string")))
    }

    /// The list's items, or an error naming `what` this should have been.
    pub fn expect_seq(&self, what: &str) -> Result<&[Node], TemplateError> {
        match &self.value {
            Value::Seq(items) => Ok(items),
            _ => Err(self.error(format!("{what} must be a list"))),
        }
    }

    /// If this is an intrinsic function (a mapping with one `Ref`, `Condition` or `Fn::*` key), its
    /// name and argument.
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match self.as_map()? {
            [(key, arg)] if key.name == "Ref" || key.name == "Condition" || key.name.starts_with("Fn::") => {
                Some((key.name.as_str(), arg))
            }
            _ => None,
        }
    }

    /// The value as JSON (scalars as strings), for the API and for comparisons.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Scalar(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.name.clone(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}
