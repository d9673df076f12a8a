//! Reading a template (YAML or JSON: JSON is read by the same YAML 1.2 parser) into a [`Node`] tree
//! with positions, turning CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt`, ...) into the
//! long form (`{"Ref": ...}`, `{"Fn::Sub": ...}`), so the rest of the code sees one form only.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use super::node::{Key, Node, Pos, TemplateError, Value};

/// The short-form tags CloudFormation reads, and the long-form key each stands for.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("GetAZs", "Fn::GetAZs"),
    ("ImportValue", "Fn::ImportValue"),
    ("Cidr", "Fn::Cidr"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

/// Parses a template's text (YAML or JSON). The document must be a mapping.
pub fn parse(text: &str) -> Result<Node, TemplateError> {
    // A JSON template gets JSON's own syntax errors (YAML would read `{"A": }` as A: null).
    if text.trim_start().starts_with('{')
        && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text)
        && e.is_syntax()
    {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        return Err(TemplateError::new(
            Pos {
                line: e.line(),
                column: e.column(),
            },
            format!("invalid JSON: {message}"),
        ));
    }
    let mut loader = Loader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
    };
    let mut root = None;
    loop {
        let (event, span) = loader.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            event if root.is_none() => root = Some(loader.node(event, span)?),
            _ => {
                return Err(TemplateError::new(
                    pos(span.start),
                    "a template holds one document; remove the second one",
                ));
            }
        }
    }
    let root = root.ok_or_else(|| TemplateError::new(Pos { line: 1, column: 1 }, "the template is empty"))?;
    if root.as_map().is_none() {
        return Err(root.error("a template must be a mapping (with a Resources section)"));
    }
    Ok(root)
}

fn pos(marker: Marker) -> Pos {
    Pos {
        line: marker.line(),
        column: marker.col() + 1,
    }
}

struct Loader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
}

impl<'a> Loader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), TemplateError> {
        match self.parser.next_event() {
            Some(Ok(item)) => Ok(item),
            Some(Err(e)) => Err(TemplateError::new(pos(*e.marker()), e.info().to_owned())),
            None => Err(TemplateError::new(
                Pos::default(),
                "unexpected end of the template",
            )),
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, TemplateError> {
        let at = pos(span.start);
        let (node, anchor, tag) = match event {
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| TemplateError::new(at, "unknown alias"))?;
                return Ok(Node { pos: at, ..node });
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = if style == ScalarStyle::Plain
                    && tag.is_none()
                    && matches!(&*text, "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(text.into_owned())
                };
                (Node::new(value, at), anchor, tag)
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                (Node::new(Value::Seq(items), at), anchor, tag)
            }
            Event::MappingStart(anchor, tag) => {
                let mut entries: Vec<(Key, Node)> = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span)?;
                    let name = match key.value {
                        Value::Scalar(s) => s,
                        Value::Null => String::new(),
                        _ => return Err(key.error("a mapping key must be a plain string")),
                    };
                    if entries.iter().any(|(k, _)| k.name == name) {
                        return Err(TemplateError::new(key.pos, format!("duplicate key '{name}'")));
                    }
                    let (event, span) = self.next()?;
                    let value = self.node(event, span)?;
                    entries.push((Key { name, pos: key.pos }, value));
                }
                (Node::new(Value::Map(entries), at), anchor, tag)
            }
            other => {
                return Err(TemplateError::new(at, format!("unexpected YAML event {other:?}")));
            }
        };
        let node = match tag {
            Some(tag) => apply_tag(&tag, node)?,
            None => node,
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

/// Turns `!Name value` into its long form.
fn apply_tag(tag: &Tag, node: Node) -> Result<Node, TemplateError> {
    if tag.is_yaml_core_schema() {
        return Ok(match (tag.suffix.as_str(), node.value) {
            // `!!str ~` is the string "~", not null.
            ("str", Value::Null) => Node::scalar("", node.pos),
            (_, value) => Node::new(value, node.pos),
        });
    }
    let long = match (tag.handle.as_str(), tag.suffix.as_str()) {
        ("!", suffix) => SHORT_FORMS
            .iter()
            .find(|(short, _)| *short == suffix)
            .map(|(_, long)| *long),
        _ => None,
    }
    .ok_or_else(|| {
        node.error(format!(
            "unknown tag '{tag}': CloudFormation's short forms are {}",
            SHORT_FORMS
                .iter()
                .map(|(s, _)| format!("!{s}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let at = node.pos;
    let argument = match (long, node.value) {
        // `!GetAtt Function.Arn` is `Fn::GetAtt: [Function, Arn]`.
        ("Fn::GetAtt", Value::Scalar(s)) => match s.split_once('.') {
            Some((resource, attribute)) => Node::new(
                Value::Seq(vec![Node::scalar(resource, at), Node::scalar(attribute, at)]),
                at,
            ),
            None => {
                return Err(TemplateError::new(
                    at,
                    format!("!GetAtt '{s}' must be written Resource.Attribute"),
                ));
            }
        },
        (_, value) => Node::new(value, at),
    };
    Ok(Node::new(
        Value::Map(vec![(
            Key {
                name: long.to_owned(),
                pos: at,
            },
            argument,
        )]),
        at,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        parse(text).expect("parses").to_json()
    }

    #[test]
    fn reads_short_forms_as_long_forms() {
        let doc = json(
            "A: !Ref P\nB: !Sub '${AWS::Region}-x'\nC: !GetAtt Fn.Arn\nD: !Join [',', [a, b]]\n\
             E: !If [Cond, 1, 2]\nF: !Equals [a, b]\nG: !Not [!Condition C]\nH: !And [!Equals [a, a], !Or [!Condition X]]\n\
             I: !Select [0, !Split [',', 'a,b']]\nJ: !FindInMap [M, k, v]\nK: !Base64 hi\nL: !GetAtt [Fn, Arn]\n",
        );
        assert_eq!(doc["A"], serde_json::json!({"Ref": "P"}));
        assert_eq!(doc["B"], serde_json::json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(doc["C"], serde_json::json!({"Fn::GetAtt": ["Fn", "Arn"]}));
        assert_eq!(doc["D"], serde_json::json!({"Fn::Join": [",", ["a", "b"]]}));
        assert_eq!(doc["E"], serde_json::json!({"Fn::If": ["Cond", "1", "2"]}));
        assert_eq!(doc["F"], serde_json::json!({"Fn::Equals": ["a", "b"]}));
        assert_eq!(doc["G"], serde_json::json!({"Fn::Not": [{"Condition": "C"}]}));
        assert_eq!(
            doc["H"],
            serde_json::json!({"Fn::And": [{"Fn::Equals": ["a", "a"]}, {"Fn::Or": [{"Condition": "X"}]}]})
        );
        assert_eq!(
            doc["I"],
            serde_json::json!({"Fn::Select": ["0", {"Fn::Split": [",", "a,b"]}]})
        );
        assert_eq!(doc["J"], serde_json::json!({"Fn::FindInMap": ["M", "k", "v"]}));
        assert_eq!(doc["K"], serde_json::json!({"Fn::Base64": "hi"}));
        assert_eq!(doc["L"], serde_json::json!({"Fn::GetAtt": ["Fn", "Arn"]}));
    }

    #[test]
    fn reads_json_with_long_forms() {
        let doc =
            json("{\n  \"A\": {\"Fn::Sub\": \"x-${AWS::Region}\"},\n  \"B\": [1, true, null, \"s\\/t\"]\n}");
        assert_eq!(doc["A"], serde_json::json!({"Fn::Sub": "x-${AWS::Region}"}));
        assert_eq!(doc["B"], serde_json::json!(["1", "true", null, "s/t"]));
    }

    #[test]
    fn remembers_positions() {
        let root = parse("A:\n  B:\n    - x\n    - !Ref Y\n").expect("parses");
        let b = root.get("A").and_then(|a| a.get("B")).expect("B");
        let items = b.expect_seq("B").expect("seq");
        assert_eq!(items[0].pos, Pos { line: 3, column: 7 });
        assert_eq!(items[1].pos.line, 4);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("A: 1\nB: [1, 2\nC: 3\n").expect_err("unclosed flow sequence");
        assert!(err.pos.line >= 2, "{err}");
        let err = parse("A: 1\nB:\n  C: !Reff X\n").expect_err("unknown tag");
        assert_eq!(err.pos.line, 3);
        assert!(err.message.contains("unknown tag '!Reff'"), "{err}");
        let err = parse("A: 1\nA: 2\n").expect_err("duplicate");
        assert_eq!((err.pos.line, err.message.as_str()), (2, "duplicate key 'A'"));
        let err = parse("{\"A\": 1,\n \"B\": }\n").expect_err("bad json");
        assert_eq!(err.pos.line, 2, "{err}");
        let err = parse("- a\n").expect_err("not a mapping");
        assert!(err.message.contains("must be a mapping"));
    }

    #[test]
    fn keeps_quoted_nulls_and_resolves_aliases() {
        let doc = json("A: 'null'\nB: ~\nC: &x [1]\nD: *x\n");
        assert_eq!(doc["A"], "null");
        assert_eq!(doc["B"], serde_json::Value::Null);
        assert_eq!(doc["D"], serde_json::json!(["1"]));
    }
}
