//! The `Parameters` section: each parameter's value from `--param KEY=VALUE` or its `Default`,
//! checked against its `Type`, `AllowedValues`, `AllowedPattern`, lengths and bounds as CloudFormation
//! checks them.

use std::collections::HashMap;

use super::node::{Node, TemplateError, Value};

/// Why parameters could not be given values.
#[derive(Debug, thiserror::Error)]
pub enum ParameterError {
    /// A value broke a rule of the template.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// `--param` names a parameter the template does not declare.
    #[error("--param {name}: the template has no parameter '{name}' (it has: {known})")]
    Unknown {
        /// The name given.
        name: String,
        /// The template's parameters.
        known: String,
    },
}

/// Resolves every parameter of `section` (the `Parameters` mapping, if any) with `overrides` taking
/// precedence over defaults. List types (`CommaDelimitedList`, `List<...>`) become lists.
pub fn resolve(
    section: Option<&Node>,
    overrides: &[(String, String)],
) -> Result<HashMap<String, Node>, ParameterError> {
    let entries = match section {
        Some(section) => section.expect_map("Parameters")?,
        None => &[],
    };
    for (name, _) in overrides {
        if !entries.iter().any(|(k, _)| &k.name == name) {
            let known: Vec<_> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
            return Err(ParameterError::Unknown {
                name: name.clone(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        }
    }
    let mut values = HashMap::new();
    for (key, declaration) in entries {
        let name = &key.name;
        declaration.expect_map(&format!("parameter '{name}'"))?;
        let given = overrides
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone());
        let value = match given {
            Some(v) => v,
            None => match declaration.get("Default") {
                Some(Node {
                    value: Value::Scalar(s),
                    ..
                }) => s.clone(),
                Some(Node {
                    value: Value::Seq(items),
                    ..
                }) => items
                    .iter()
                    .map(|i| i.as_scalar().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(","),
                Some(Node {
                    value: Value::Null, ..
                }) => String::new(),
                Some(other) => {
                    return Err(other
                        .error(format!("the Default of parameter '{name}' must be a string"))
                        .into());
                }
                None => {
                    return Err(TemplateError::new(
                        key.pos,
                        format!("parameter '{name}' has no Default and no value: pass --param {name}=VALUE"),
                    )
                    .into());
                }
            },
        };
        let kind = match declaration.get("Type") {
            Some(t) => t.expect_str("Type")?.to_owned(),
            None => {
                return Err(TemplateError::new(key.pos, format!("parameter '{name}' needs a Type")).into());
            }
        };
        let type_pos = declaration.get("Type").map_or(key.pos, |t| t.pos);
        let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
        if kind.starts_with("AWS::SSM::Parameter") {
            return Err(TemplateError::new(
                type_pos,
                format!("parameter '{name}': lamina cannot read SSM parameters ({kind}); use Type: String"),
            )
            .into());
        }
        let items: Vec<String> = if is_list {
            value.split(',').map(|s| s.trim().to_owned()).collect()
        } else {
            vec![value.clone()]
        };
        for item in &items {
            check(name, declaration, &kind, item)?;
        }
        let node = if is_list {
            Node::new(
                Value::Seq(items.into_iter().map(|s| Node::scalar(s, key.pos)).collect()),
                key.pos,
            )
        } else {
            Node::scalar(value, key.pos)
        };
        values.insert(name.clone(), node);
    }
    Ok(values)
}

/// Checks one value (or one item of a list) against the parameter's rules.
fn check(name: &str, declaration: &Node, kind: &str, value: &str) -> Result<(), TemplateError> {
    let number = kind == "Number" || kind == "List<Number>";
    if number && value.trim().parse::<f64>().is_err() {
        return Err(declaration.error(format!("parameter '{name}' must be a number; got '{value}'")));
    }
    if let Some(allowed) = declaration.get("AllowedValues") {
        let allowed_values: Vec<&str> = allowed
            .expect_seq("AllowedValues")?
            .iter()
            .map(|v| v.as_scalar().unwrap_or_default())
            .collect();
        if !allowed_values.contains(&value) {
            return Err(allowed.error(format!(
                "Parameter '{name}' must be one of AllowedValues ({}); got '{value}'",
                allowed_values.join(", ")
            )));
        }
    }
    if let Some(pattern) = declaration.get("AllowedPattern") {
        let text = pattern.expect_str("AllowedPattern")?;
        let regex = regex::Regex::new(&format!("^(?:{text})$"))
            .map_err(|e| pattern.error(format!("AllowedPattern is not a valid pattern: {e}")))?;
        if !regex.is_match(value) {
            let description = declaration
                .get("ConstraintDescription")
                .and_then(Node::as_scalar)
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(pattern.error(format!(
                "Parameter '{name}' must match pattern {text}; got '{value}'{description}"
            )));
        }
    }
    let bound = |key: &str| -> Result<Option<(f64, &Node)>, TemplateError> {
        match declaration.get(key) {
            None => Ok(None),
            Some(node) => {
                let text = node.expect_str(key)?;
                let value = text
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| node.error(format!("{key} must be a number")))?;
                Ok(Some((value, node)))
            }
        }
    };
    let length = value.chars().count() as f64;
    if let Some((min, node)) = bound("MinLength")?
        && length < min
    {
        return Err(node.error(format!(
            "Parameter '{name}' must contain at least {min} characters"
        )));
    }
    if let Some((max, node)) = bound("MaxLength")?
        && length > max
    {
        return Err(node.error(format!(
            "Parameter '{name}' must contain at most {max} characters"
        )));
    }
    if number {
        let n: f64 = value.trim().parse().unwrap_or_default();
        if let Some((min, node)) = bound("MinValue")?
            && n < min
        {
            return Err(node.error(format!("Parameter '{name}' must be a number not less than {min}")));
        }
        if let Some((max, node)) = bound("MaxValue")?
            && n > max
        {
            return Err(node.error(format!(
                "Parameter '{name}' must be a number not greater than {max}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;

    const SECTION: &str = "\
Stage:
  Type: String
  Default: dev
  AllowedValues: [dev, prod]
Memory:
  Type: Number
  Default: 128
  MinValue: 128
  MaxValue: 10240
Subnets:
  Type: CommaDelimitedList
  Default: a,b
Name:
  Type: String
  AllowedPattern: '[a-z]+'
  ConstraintDescription: lower-case letters only
";

    fn resolve_with(overrides: &[(&str, &str)]) -> Result<HashMap<String, Node>, ParameterError> {
        let section = parse(SECTION).expect("parse");
        let overrides: Vec<_> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(Some(&section), &overrides)
    }

    #[test]
    fn defaults_and_overrides() {
        let values = resolve_with(&[("Name", "abc"), ("Stage", "prod")]).expect("resolve");
        assert_eq!(values["Stage"].as_scalar(), Some("prod"));
        assert_eq!(values["Memory"].as_scalar(), Some("128"));
        assert_eq!(values["Subnets"].to_json(), serde_json::json!(["a", "b"]));
        assert_eq!(values["Name"].as_scalar(), Some("abc"));
    }

    #[test]
    fn missing_values_and_broken_rules_are_clear_errors() {
        let err = resolve_with(&[]).expect_err("Name has no default");
        assert_eq!(
            err.to_string(),
            "line 13, column 1: parameter 'Name' has no Default and no value: pass --param Name=VALUE"
        );
        let err = resolve_with(&[("Name", "a"), ("Stage", "test")]).expect_err("not allowed");
        assert_eq!(
            err.to_string(),
            "line 4, column 18: Parameter 'Stage' must be one of AllowedValues (dev, prod); got 'test'"
        );
        let err = resolve_with(&[("Name", "A1")]).expect_err("pattern");
        assert!(
            err.to_string()
                .contains("must match pattern [a-z]+; got 'A1': lower-case letters only"),
            "{err}"
        );
        let err = resolve_with(&[("Name", "a"), ("Memory", "64")]).expect_err("min");
        assert!(err.to_string().contains("not less than 128"), "{err}");
        let err = resolve_with(&[("Name", "a"), ("Memory", "lots")]).expect_err("nan");
        assert!(err.to_string().contains("must be a number; got 'lots'"), "{err}");
        let err = resolve_with(&[("Nope", "a")]).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "--param Nope: the template has no parameter 'Nope' (it has: Stage, Memory, Subnets, Name)"
        );
    }
}
