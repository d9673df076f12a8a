//! AWS's ValidationException messages, built from items in the order the checks found them.
//!
//! ```
//! use lamina_model::validation::Checks;
//!
//! let mut checks = Checks::default();
//! checks.range(3000, "timeout", 1, 900);
//! assert_eq!(
//!     checks.finish().unwrap_err().to_string(),
//!     "1 validation error detected: Value '3000' at 'timeout' failed to satisfy constraint: \
//!      Member must have value less than or equal to 900"
//! );
//! ```
//!
//! Grammar (control-api reference, section 2): `"<N> validation error(s) detected: " + join("; ", items)`
//! with each item `Value '<v>' at '<path>' failed to satisfy constraint: <constraint>`.
//!
//! [`Checks::input`] finds the items of an operation's whole input from the service model
//! ([`crate::service_model`]): required members, lengths, patterns, enums and ranges, member by member in
//! the model's order, at AWS's paths (`vpcConfig.subnetIds`, `fileSystemConfigs.1.member.arn`). Where
//! AWS's servers are known to check a member otherwise than the model says, [`SERVER_RULES`] says how.
//!
//! ```
//! use lamina_model::validation::Checks;
//! use serde_json::json;
//!
//! let mut checks = Checks::default();
//! checks.input("PutFunctionConcurrency", &json!({"FunctionName": "my function"}));
//! let message = checks.finish().unwrap_err().to_string();
//! assert!(message.starts_with("2 validation errors detected: Value 'my function' at 'functionName' failed to \
//!                              satisfy constraint: Member must satisfy regular expression pattern: (arn:"));
//! assert!(message.ends_with("; Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: \
//!                            Member must not be null"));
//! ```

use serde_json::Value;

use crate::service_model::{Kind, ServiceModel, Shape, ShapeRef};

/// Collects validation items; [`Checks::finish`] turns them into an error if there are any.
#[derive(Debug, Default)]
pub struct Checks {
    items: Vec<String>,
}

impl Checks {
    /// Adds an item for a string value.
    pub fn string(&mut self, value: &str, path: &str, constraint: impl AsRef<str>) {
        self.items.push(format!(
            "Value '{value}' at '{path}' failed to satisfy constraint: {}",
            constraint.as_ref()
        ));
    }

    /// Adds an item for a value AWS does not echo (sensitive members).
    pub fn hidden(&mut self, path: &str, constraint: impl AsRef<str>) {
        self.items.push(format!(
            "Value at '{path}' failed to satisfy constraint: {}",
            constraint.as_ref()
        ));
    }

    /// Adds an item for a missing value.
    pub fn null(&mut self, path: &str) {
        self.items.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks an integer range.
    pub fn range(&mut self, value: i64, path: &str, min: i64, max: i64) {
        if value > max {
            self.string(
                &value.to_string(),
                path,
                format!("Member must have value less than or equal to {max}"),
            );
        } else if value < min {
            self.string(
                &value.to_string(),
                path,
                format!("Member must have value greater than or equal to {min}"),
            );
        }
    }

    /// Checks a string's length (in characters, as AWS counts).
    pub fn length(&mut self, value: &str, path: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n > max {
            self.string(
                value,
                path,
                format!("Member must have length less than or equal to {max}"),
            );
        } else if n < min {
            self.string(
                value,
                path,
                format!("Member must have length greater than or equal to {min}"),
            );
        }
    }

    /// Checks a string against a pattern; `shown` is AWS's text of the pattern.
    pub fn pattern(&mut self, value: &str, path: &str, re: &regex::Regex, shown: &str) {
        if !re.is_match(value) {
            self.string(
                value,
                path,
                format!("Member must satisfy regular expression pattern: {shown}"),
            );
        }
    }

    /// Checks an operation's input against the service model: `input` is a JSON object of its members by
    /// their model names, the body's and those of the URI, query and headers alike (`{"FunctionName":
    /// ..., "Qualifier": ...}`). A member that is absent or `null` is missing. Members the model does not
    /// describe are ignored; an operation the model does not have adds nothing.
    pub fn input(&mut self, operation: &str, input: &Value) {
        let model = ServiceModel::get();
        if let Some(shape) = model.input(operation) {
            self.structure(model, operation, &[], shape, input);
        }
    }

    fn structure(
        &mut self,
        model: &ServiceModel,
        operation: &str,
        at: &[String],
        shape: &Shape,
        value: &Value,
    ) {
        let mut members: Vec<&(String, ShapeRef)> = shape.members().iter().collect();
        if at.is_empty()
            && let Some((_, first)) = SERVER_ORDER.iter().find(|(op, _)| *op == operation)
        {
            let rank = |name: &str| first.iter().position(|f| *f == name).unwrap_or(first.len());
            members.sort_by_key(|(name, _)| rank(name));
        }
        for (name, member) in members {
            let Some(member_shape) = model.shape(member) else {
                continue;
            };
            let mut path = at.to_vec();
            path.push(name.clone());
            let rule = server_rule(operation, &path);
            if rule == Some(Rule::Semantic) {
                continue;
            }
            let shown = member_path(&path);
            match value.get(name).filter(|v| !v.is_null()) {
                None if shape.required().contains(name) => self.null(&shown),
                None => {}
                Some(v) => self.value(model, operation, &path, &shown, member_shape, rule, v),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn value(
        &mut self,
        model: &ServiceModel,
        operation: &str,
        path: &[String],
        shown: &str,
        shape: &Shape,
        rule: Option<Rule>,
        value: &Value,
    ) {
        let max = match rule {
            Some(Rule::Max(max)) => Some(max),
            _ => shape.max(),
        };
        let rendered = render_value(value);
        let text = |checks: &mut Checks, constraint: String| {
            if shape.sensitive() {
                checks.hidden(shown, constraint);
            } else {
                checks.string(&rendered, shown, constraint);
            }
        };
        match (shape.kind(), value) {
            (Kind::String, Value::String(s)) => {
                for constraint in string_violations(shape, max, s) {
                    text(self, constraint);
                }
            }
            (Kind::Integer, Value::Number(n)) => {
                if let Some(n) = n.as_i64() {
                    if let Some(max) = max.filter(|max| n > *max) {
                        text(
                            self,
                            format!("Member must have value less than or equal to {max}"),
                        );
                    } else if let Some(min) = shape.min().filter(|min| n < *min) {
                        text(
                            self,
                            format!("Member must have value greater than or equal to {min}"),
                        );
                    }
                }
            }
            (Kind::Double, Value::Number(n)) => {
                let (min, max) = shape.value_bounds();
                if let Some(n) = n.as_f64() {
                    if let Some(max) = max.filter(|max| n > *max) {
                        text(
                            self,
                            format!(
                                "Member must have value less than or equal to {}",
                                java_double(max)
                            ),
                        );
                    } else if let Some(min) = min.filter(|min| n < *min) {
                        text(
                            self,
                            format!(
                                "Member must have value greater than or equal to {}",
                                java_double(min)
                            ),
                        );
                    }
                }
            }
            (Kind::List, Value::Array(items)) => {
                if let Some(constraint) = length_violation(items.len(), shape.min(), max) {
                    text(self, constraint);
                    return;
                }
                let Some(item_shape) = shape.member().and_then(|m| model.shape(m)) else {
                    return;
                };
                if item_shape.kind() == Kind::Structure {
                    for (i, item) in items.iter().enumerate() {
                        let mut item_path = path.to_vec();
                        item_path.push(format!("{}.member", i + 1));
                        self.structure(model, operation, &item_path, item_shape, item);
                    }
                } else if items.iter().any(|item| scalar_violation(item_shape, item)) {
                    let listed = constraints(item_shape);
                    let constraint = match rule {
                        Some(Rule::ItemConstraint) => listed.join(", "),
                        Some(Rule::ItemsNullable) => {
                            format!("Member must satisfy constraint: [{}]", listed.join(", "))
                        }
                        _ => format!(
                            "Member must satisfy constraint: [{}, Member must not be null]",
                            listed.join(", ")
                        ),
                    };
                    text(self, constraint);
                }
            }
            (Kind::Map, Value::Object(entries)) => {
                if let Some(constraint) = length_violation(entries.len(), shape.min(), max) {
                    text(self, constraint);
                    return;
                }
                let key = shape.key().and_then(|k| model.shape(k));
                if let Some(key) = key
                    && entries
                        .keys()
                        .any(|k| !string_violations(key, key.max(), k).is_empty())
                {
                    text(
                        self,
                        format!(
                            "Map keys must satisfy constraint: [{}]",
                            constraints(key).join(", ")
                        ),
                    );
                }
                let item = shape.value().and_then(|v| model.shape(v));
                if let Some(item) = item
                    && entries
                        .values()
                        .any(|v| !v.is_null() && scalar_violation(item, v))
                {
                    text(
                        self,
                        // As for list items, AWS adds that a value may not be null
                        // (control-api.md, the weights of an alias).
                        format!(
                            "Map value must satisfy constraint: [{}, Member must not be null]",
                            constraints(item).join(", ")
                        ),
                    );
                }
            }
            (Kind::Structure, Value::Object(_)) => self.structure(model, operation, path, shape, value),
            _ => {}
        }
    }

    /// Adds an item for each constraint of the string shape `shape` that `value` breaks (length,
    /// pattern, enum), at `path`.
    pub fn shape(&mut self, value: &str, path: &str, shape: &Shape) {
        for constraint in string_violations(shape, shape.max(), value) {
            self.string(value, path, constraint);
        }
    }

    /// Appends items found elsewhere (in the order found).
    pub fn extend(&mut self, items: Vec<String>) {
        self.items.extend(items);
    }

    /// The items found so far.
    pub fn items(self) -> Vec<String> {
        self.items
    }

    /// `Ok` if nothing failed, else the items found.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.items.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.items))
        }
    }
}

/// How AWS's servers check a member otherwise than the service model says (each with its source in
/// `docs/api-details.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A smaller maximum (length or value) than the model's.
    Max(i64),
    /// Not checked with the model: the operation checks it itself, with a message of its own
    /// (CreateFunction's `Runtime` is an InvalidParameterValueException listing the runtimes).
    Semantic,
    /// A list whose items break their constraints is reported with the items' constraints alone
    /// (`Member must satisfy enum value set: [...]`), not wrapped in `Member must satisfy constraint`.
    ItemConstraint,
    /// Wrapped, but without `Member must not be null`.
    ItemsNullable,
}

/// Where AWS's servers check otherwise than the model: operations (`*`: every operation), the member
/// path, the rule.
pub const SERVER_RULES: &[(&[&str], &[&str], Rule)] = &[
    (
        &["CreateFunction", "UpdateFunctionConfiguration"],
        &["Runtime"],
        Rule::Semantic,
    ),
    (
        &["CreateFunction", "UpdateFunctionConfiguration"],
        &["Timeout"],
        Rule::Max(900),
    ),
    (
        &["CreateFunction", "UpdateFunctionConfiguration"],
        &["MemorySize"],
        Rule::Max(10_240),
    ),
    (
        &["CreateFunction", "UpdateFunctionConfiguration"],
        &["EphemeralStorage", "Size"],
        Rule::Max(10_240),
    ),
    (
        &["PublishLayerVersion"],
        &["CompatibleRuntimes"],
        Rule::ItemConstraint,
    ),
    (
        &["PublishLayerVersion"],
        &["CompatibleArchitectures"],
        Rule::ItemsNullable,
    ),
];

/// Operations whose members AWS reports in another order than the model's: these first, in this order,
/// then the others in the model's (PublishLayerVersion names its runtimes before its architectures,
/// which the model has the other way round; recorded in LocalStack's AWS-validated
/// `test_layer_exceptions`).
pub const SERVER_ORDER: &[(&str, &[&str])] = &[(
    "PublishLayerVersion",
    &["LayerName", "Description", "Content", "CompatibleRuntimes"],
)];

fn server_rule(operation: &str, path: &[String]) -> Option<Rule> {
    SERVER_RULES.iter().find_map(|(operations, at, rule)| {
        let applies = operations.iter().any(|o| *o == "*" || *o == operation)
            && at.len() == path.len()
            && at.iter().zip(path).all(|(a, p)| a == p);
        applies.then_some(*rule)
    })
}

/// AWS's path of a member: each name with its first letter in lower case, list items as `N.member`.
fn member_path(path: &[String]) -> String {
    path.iter()
        .map(|name| {
            let mut chars = name.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(".")
}

/// A value as AWS's messages show it: strings as they are, lists `[a, b]`, maps `{k=v}`.
fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => list(&items.iter().map(render_value).collect::<Vec<_>>()),
        Value::Object(entries) if entries.values().all(|v| !v.is_object() && !v.is_array()) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{k}={}", render_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn length_violation(n: usize, min: Option<i64>, max: Option<i64>) -> Option<String> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    if let Some(max) = max.filter(|max| n > *max) {
        Some(format!("Member must have length less than or equal to {max}"))
    } else {
        min.filter(|min| n < *min)
            .map(|min| format!("Member must have length greater than or equal to {min}"))
    }
}

/// The constraints of a string shape `value` breaks, each an item of its own as AWS reports them:
/// length (in characters), pattern, enum.
fn string_violations(shape: &Shape, max: Option<i64>, value: &str) -> Vec<String> {
    let mut out: Vec<String> = length_violation(value.chars().count(), shape.min(), max)
        .into_iter()
        .collect();
    if let Some(pattern) = shape.pattern().filter(|_| !shape.matches(value)) {
        out.push(format!(
            "Member must satisfy regular expression pattern: {pattern}"
        ));
    }
    let values = shape.values();
    if !values.is_empty() && !values.iter().any(|v| v == value) {
        out.push(format!(
            "Member must satisfy enum value set: [{}]",
            values.join(", ")
        ));
    }
    out
}

/// Whether a list item or map value breaks its shape's constraints (a list item may not be null).
fn scalar_violation(shape: &Shape, value: &Value) -> bool {
    match value {
        Value::String(s) => !string_violations(shape, shape.max(), s).is_empty(),
        Value::Number(n) if shape.kind() == Kind::Double => {
            let (min, max) = shape.value_bounds();
            n.as_f64()
                .is_some_and(|n| max.is_some_and(|max| n > max) || min.is_some_and(|min| n < min))
        }
        Value::Number(n) => n.as_i64().is_some_and(|n| {
            shape.max().is_some_and(|max| n > max) || shape.min().is_some_and(|min| n < min)
        }),
        Value::Null => true,
        _ => false,
    }
}

/// Every constraint of a shape, as AWS lists them for the items of a list or a map's keys: maximum,
/// minimum, pattern, enum.
fn constraints(shape: &Shape) -> Vec<String> {
    let (length, value) = ("Member must have length", "Member must have value");
    let (noun, (min, max)) = match shape.kind() {
        Kind::Integer => (
            value,
            (
                shape.min().map(|n| n.to_string()),
                shape.max().map(|n| n.to_string()),
            ),
        ),
        Kind::Double => {
            let (min, max) = shape.value_bounds();
            (value, (min.map(java_double), max.map(java_double)))
        }
        _ => (
            length,
            (
                shape.min().map(|n| n.to_string()),
                shape.max().map(|n| n.to_string()),
            ),
        ),
    };
    let mut out = Vec::new();
    if let Some(max) = max {
        out.push(format!("{noun} less than or equal to {max}"));
    }
    if let Some(min) = min {
        out.push(format!("{noun} greater than or equal to {min}"));
    }
    if let Some(pattern) = shape.pattern() {
        out.push(format!(
            "Member must satisfy regular expression pattern: {pattern}"
        ));
    }
    if !shape.values().is_empty() {
        out.push(format!(
            "Member must satisfy enum value set: [{}]",
            shape.values().join(", ")
        ));
    }
    out
}

/// A double as Java prints it (`2.0`, `0.25`), as AWS's messages quote the bounds of a number.
fn java_double(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e7 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// What a set of checks found: one ValidationException, its items in the order found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.0))]
pub struct ValidationErrors(pub Vec<String>);

/// Renders items as one ValidationException message.
pub fn render(items: &[String]) -> String {
    let n = items.len();
    let noun = if n == 1 { "error" } else { "errors" };
    format!("{n} validation {noun} detected: {}", items.join("; "))
}

/// Renders a list as AWS does inside messages: `[a, b]`.
pub fn list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_two_items_follow_the_grammar() {
        let mut checks = Checks::default();
        checks.range(3000, "timeout", 1, 900);
        assert_eq!(
            checks.finish().expect_err("fails").to_string(),
            "1 validation error detected: Value '3000' at 'timeout' failed to satisfy constraint: \
             Member must have value less than or equal to 900"
        );
        let mut checks = Checks::default();
        checks.range(64, "memorySize", 128, 10240);
        checks.null("tagKeys");
        assert_eq!(
            checks.finish().expect_err("fails").to_string(),
            "2 validation errors detected: Value '64' at 'memorySize' failed to satisfy constraint: \
             Member must have value greater than or equal to 128; Value null at 'tagKeys' failed to satisfy \
             constraint: Member must not be null"
        );
    }

    fn input_items(operation: &str, input: serde_json::Value) -> String {
        let mut checks = Checks::default();
        checks.input(operation, &input);
        checks.finish().map_or_else(|e| e.to_string(), |()| String::new())
    }

    #[test]
    fn paths_are_awss() {
        let message = input_items(
            "UpdateFunctionConfiguration",
            serde_json::json!({
                "FunctionName": "f",
                "KMSKeyArn": "key",
                "FileSystemConfigs": [{"Arn": "x"}],
            }),
        );
        assert!(
            message.starts_with("3 validation errors detected: Value 'key' at 'kMSKeyArn' failed"),
            "{message}"
        );
        assert!(
            message.contains("; Value 'x' at 'fileSystemConfigs.1.member.arn' failed"),
            "{message}"
        );
        assert!(
            message.ends_with(
                "; Value null at 'fileSystemConfigs.1.member.localMountPath' failed to satisfy constraint: \
                 Member must not be null"
            ),
            "{message}"
        );
    }

    #[test]
    fn server_rules_and_order() {
        let message = input_items(
            "PublishLayerVersion",
            serde_json::json!({
                "LayerName": "l",
                "Content": {},
                "CompatibleArchitectures": ["sparc"],
                "CompatibleRuntimes": ["cobol"],
            }),
        );
        assert!(
            message.starts_with(
                "2 validation errors detected: Value '[cobol]' at 'compatibleRuntimes' failed to satisfy \
                 constraint: Member must satisfy enum value set: [nodejs, "
            ),
            "{message}"
        );
        assert!(
            message.ends_with(
                "; Value '[sparc]' at 'compatibleArchitectures' failed to satisfy constraint: Member must \
                 satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]"
            ),
            "{message}"
        );
        let message = input_items(
            "CreateFunction",
            serde_json::json!({"FunctionName": "f", "Timeout": 901}),
        );
        assert!(
            message.contains("Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"),
            "{message}"
        );
        assert_eq!(
            input_items(
                "ListFunctions",
                serde_json::json!({"MaxItems": 50, "FunctionVersion": "ALL"})
            ),
            ""
        );
    }

    #[test]
    fn doubles_are_bounded_and_quoted_as_java_prints_them() {
        let weights = |w: serde_json::Value| {
            input_items(
                "UpdateAlias",
                serde_json::json!({"FunctionName": "f", "Name": "a",
                    "RoutingConfig": {"AdditionalVersionWeights": {"2": w}}}),
            )
        };
        assert_eq!(
            weights(serde_json::json!(-0.5)),
            "1 validation error detected: Value '{2=-0.5}' at 'routingConfig.additionalVersionWeights' failed to \
             satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to \
             1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
        );
        assert_eq!(weights(serde_json::json!(1.0)), "");
        assert_eq!(weights(serde_json::json!(0.0)), "");
        assert_eq!(java_double(2.0), "2.0");
        assert_eq!(java_double(0.25), "0.25");
    }

    #[test]
    fn nothing_failed_is_ok() {
        let mut checks = Checks::default();
        checks.length("abc", "description", 0, 256);
        assert!(checks.finish().is_ok());
    }
}
