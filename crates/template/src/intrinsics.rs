//! Evaluating CloudFormation's intrinsic functions (`Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::Join`,
//! `Fn::If`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::Base64`) and conditions (`Fn::Equals`,
//! `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`) over a [`Node`] tree.
//!
//! The result of evaluating a value is a tree without intrinsic functions, keeping the positions of
//! what was written, or `None` for `AWS::NoValue` (the property, list item or key is then dropped,
//! as CloudFormation does).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;

use super::node::{Key, Node, Pos, TemplateError, Value};

/// The pseudo parameters (`AWS::Region`, `AWS::AccountId`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudo {
    /// `AWS::Region`: the region requests are signed for.
    pub region: String,
    /// `AWS::AccountId`: the server's account.
    pub account_id: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

impl Pseudo {
    /// `AWS::Partition`: `aws`, `aws-cn` or `aws-us-gov`, from the region.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// `AWS::URLSuffix`.
    pub fn url_suffix(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }

    /// `AWS::StackId`, made up from the stack's name as CloudFormation's form has it.
    fn stack_id(&self) -> String {
        format!(
            "arn:{}:cloudformation:{}:{}:stack/{}/lamina",
            self.partition(),
            self.region,
            self.account_id,
            self.stack_name
        )
    }
}

/// What `Ref` and `Fn::GetAtt` give for a resource of the template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceValues {
    /// What `!Ref Resource` is.
    pub reference: String,
    /// What `!GetAtt Resource.Name` is, by attribute name.
    pub attributes: HashMap<String, String>,
    /// The resource is not deployed by lamina: its values are stand-ins, and using them is worth a note.
    pub stand_in: bool,
}

/// Everything an expression can refer to.
#[derive(Debug, Default)]
pub struct Context {
    /// Pseudo parameters.
    pub pseudo: Option<Pseudo>,
    /// Parameter values: scalars, or lists for `CommaDelimitedList` and `List<...>` parameters.
    pub parameters: HashMap<String, Node>,
    /// The `Mappings` section.
    pub mappings: Option<Node>,
    /// The values of the `Conditions` section.
    pub conditions: HashMap<String, bool>,
    /// What resources stand for, by logical id.
    pub resources: HashMap<String, ResourceValues>,
    /// Physical names chosen for resources whose template gives none (CloudFormation generates them),
    /// by logical id; a resource not listed is named after its logical id.
    pub generated_names: HashMap<String, String>,
    /// Stand-in values used, for the user to see.
    pub notes: RefCell<BTreeSet<String>>,
}

impl Context {
    /// Evaluates `node`; `None` stands for `AWS::NoValue`.
    pub fn eval(&self, node: &Node) -> Result<Option<Node>, TemplateError> {
        if let Some((name, arg)) = node.intrinsic()
            && name != "Condition"
        {
            return self.eval_function(node, name, arg);
        }
        Ok(Some(match &node.value {
            Value::Null | Value::Scalar(_) => node.clone(),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.eval(item)? {
                        out.push(v);
                    }
                }
                Node::new(Value::Seq(out), node.pos)
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    if let Some(v) = self.eval(value)? {
                        out.push((key.clone(), v));
                    }
                }
                Node::new(Value::Map(out), node.pos)
            }
        }))
    }

    /// Evaluates `node` to a string.
    pub fn eval_string(&self, node: &Node, what: &str) -> Result<String, TemplateError> {
        match self.eval(node)? {
            Some(Node {
                value: Value::Scalar(s),
                ..
            }) => Ok(s),
            Some(Node {
                value: Value::Null, ..
            }) => Ok(String::new()),
            _ => Err(node.error(format!("{what} must be a string"))),
        }
    }

    /// Evaluates `node` to a list (a list written as such, or a function giving one).
    fn eval_list(&self, node: &Node, what: &str) -> Result<Vec<Node>, TemplateError> {
        match self.eval(node)? {
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => Ok(items),
            _ => Err(node.error(format!("{what} must be a list"))),
        }
    }

    fn eval_function(&self, node: &Node, name: &str, arg: &Node) -> Result<Option<Node>, TemplateError> {
        let at = node.pos;
        let scalar = |s: String| Ok(Some(Node::scalar(s, at)));
        match name {
            "Ref" => self.reference(arg.expect_str("Ref")?, arg.pos),
            "Fn::GetAtt" => {
                let (resource, attribute) = match &arg.value {
                    Value::Scalar(s) => s.split_once('.').map(|(r, a)| (r.to_owned(), a.to_owned())).ok_or_else(
                        || arg.error(format!("Fn::GetAtt '{s}' must be written Resource.Attribute")),
                    )?,
                    Value::Seq(items) if items.len() == 2 => (
                        items[0].expect_str("the resource of Fn::GetAtt")?.to_owned(),
                        self.eval_string(&items[1], "the attribute of Fn::GetAtt")?,
                    ),
                    _ => return Err(arg.error("Fn::GetAtt takes [Resource, Attribute]")),
                };
                scalar(self.attribute(&resource, &attribute, at)?)
            }
            "Fn::Sub" => {
                let (text, vars) = match &arg.value {
                    Value::Scalar(s) => (s.clone(), Vec::new()),
                    Value::Seq(items) if items.len() == 2 => {
                        let text = items[0].expect_str("the string of Fn::Sub")?.to_owned();
                        let mut vars = Vec::new();
                        for (key, value) in items[1].expect_map("the variables of Fn::Sub")? {
                            vars.push((key.name.clone(), self.eval_string(value, "a Fn::Sub variable")?));
                        }
                        (text, vars)
                    }
                    _ => return Err(arg.error("Fn::Sub takes a string or [string, {variables}]")),
                };
                scalar(self.substitute(&text, &vars, arg.pos)?)
            }
            "Fn::Join" => {
                let [delimiter, list] = args::<2>(arg, "Fn::Join", "[delimiter, [values]]")?;
                let delimiter = self.eval_string(delimiter, "the delimiter of Fn::Join")?;
                let mut parts = Vec::new();
                for item in self.eval_list(list, "the values of Fn::Join")? {
                    parts.push(
                        item.as_scalar()
                            .map(str::to_owned)
                            .ok_or_else(|| item.error("Fn::Join joins strings only"))?,
                    );
                }
                scalar(parts.join(&delimiter))
            }
            "Fn::If" => {
                let [condition, yes, no] = args::<3>(arg, "Fn::If", "[condition, value if true, value if false]")?;
                let name = condition.expect_str("the condition of Fn::If")?;
                if self.condition(name, condition.pos)? {
                    self.eval(yes)
                } else {
                    self.eval(no)
                }
            }
            "Fn::Select" => {
                let [index_node, list] = args::<2>(arg, "Fn::Select", "[index, [values]]")?;
                let index_text = self.eval_string(index_node, "the index of Fn::Select")?;
                let index: usize = index_text.trim().parse().map_err(|_| {
                    index_node.error(format!("Fn::Select index '{index_text}' is not a whole number"))
                })?;
                let items = self.eval_list(list, "the values of Fn::Select")?;
                let count = items.len();
                items.into_iter().nth(index).map(Some).ok_or_else(|| {
                    index_node.error(format!("Fn::Select index {index} is out of range: the list has {count} items"))
                })
            }
            "Fn::Split" => {
                let [delimiter, source] = args::<2>(arg, "Fn::Split", "[delimiter, string]")?;
                let delimiter = self.eval_string(delimiter, "the delimiter of Fn::Split")?;
                if delimiter.is_empty() {
                    return Err(arg.error("the delimiter of Fn::Split cannot be empty"));
                }
                let source = self.eval_string(source, "the string of Fn::Split")?;
                let items = source.split(delimiter.as_str()).map(|s| Node::scalar(s, at)).collect();
                Ok(Some(Node::new(Value::Seq(items), at)))
            }
            "Fn::FindInMap" => {
                let [map, top, second] = args::<3>(arg, "Fn::FindInMap", "[MapName, TopLevelKey, SecondLevelKey]")?;
                let map = self.eval_string(map, "the map name of Fn::FindInMap")?;
                let top = self.eval_string(top, "the top-level key of Fn::FindInMap")?;
                let second = self.eval_string(second, "the second-level key of Fn::FindInMap")?;
                let found = self
                    .mappings
                    .as_ref()
                    .and_then(|m| m.get(&map))
                    .ok_or_else(|| arg.error(format!("Fn::FindInMap: there is no mapping '{map}' in Mappings")))?
                    .get(&top)
                    .ok_or_else(|| arg.error(format!("Fn::FindInMap: mapping '{map}' has no key '{top}'")))?
                    .get(&second)
                    .ok_or_else(|| arg.error(format!("Fn::FindInMap: mapping '{map}' has no key '{top}.{second}'")))?;
                self.eval(found)
            }
            "Fn::Base64" => {
                let text = self.eval_string(arg, "the argument of Fn::Base64")?;
                scalar(base64::engine::general_purpose::STANDARD.encode(text))
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => Err(node.error(format!(
                "{name} belongs in the Conditions section (or a condition function); use Fn::If to pick a value"
            ))),
            other => Err(node.error(format!("lamina does not evaluate {other}"))),
        }
    }

    /// `Ref name`.
    fn reference(&self, name: &str, at: Pos) -> Result<Option<Node>, TemplateError> {
        let pseudo = |f: fn(&Pseudo) -> String| -> Result<Option<Node>, TemplateError> {
            let pseudo = self
                .pseudo
                .as_ref()
                .ok_or_else(|| TemplateError::new(at, format!("{name} cannot be used here")))?;
            Ok(Some(Node::scalar(f(pseudo), at)))
        };
        match name {
            "AWS::NoValue" => Ok(None),
            "AWS::Region" => pseudo(|p| p.region.clone()),
            "AWS::AccountId" => pseudo(|p| p.account_id.clone()),
            "AWS::StackName" => pseudo(|p| p.stack_name.clone()),
            "AWS::StackId" => pseudo(Pseudo::stack_id),
            "AWS::Partition" => pseudo(|p| p.partition().to_owned()),
            "AWS::URLSuffix" => pseudo(|p| p.url_suffix().to_owned()),
            "AWS::NotificationARNs" => Ok(Some(Node::new(Value::Seq(Vec::new()), at))),
            _ => {
                if let Some(value) = self.parameters.get(name) {
                    return Ok(Some(Node {
                        pos: at,
                        ..value.clone()
                    }));
                }
                if let Some(resource) = self.resources.get(name) {
                    if resource.stand_in {
                        self.note(format!("!Ref {name} stands for '{}'", resource.reference));
                    }
                    return Ok(Some(Node::scalar(resource.reference.clone(), at)));
                }
                Err(TemplateError::new(
                    at,
                    format!(
                        "unresolved reference '{name}': not a parameter, pseudo parameter or resource of the template"
                    ),
                ))
            }
        }
    }

    /// `Fn::GetAtt [resource, attribute]`.
    fn attribute(&self, resource: &str, attribute: &str, at: Pos) -> Result<String, TemplateError> {
        let values = self.resources.get(resource).ok_or_else(|| {
            TemplateError::new(
                at,
                format!("Fn::GetAtt: there is no resource '{resource}' in the template"),
            )
        })?;
        match values.attributes.get(attribute) {
            Some(value) => {
                if values.stand_in {
                    self.note(format!("!GetAtt {resource}.{attribute} stands for '{value}'"));
                }
                Ok(value.clone())
            }
            None if values.stand_in => {
                let value = format!("{resource}.{attribute}");
                self.note(format!("!GetAtt {resource}.{attribute} stands for '{value}'"));
                Ok(value)
            }
            None => {
                let mut known: Vec<_> = values.attributes.keys().map(String::as_str).collect();
                known.sort_unstable();
                Err(TemplateError::new(
                    at,
                    format!(
                        "Fn::GetAtt: '{resource}' has no attribute '{attribute}' (it has: {})",
                        known.join(", ")
                    ),
                ))
            }
        }
    }

    /// `Fn::Sub`: `${Name}` is a variable, a parameter, a pseudo parameter or a resource's `Ref`;
    /// `${Resource.Attribute}` is `Fn::GetAtt`; `${!Literal}` is `${Literal}`.
    fn substitute(&self, text: &str, vars: &[(String, String)], at: Pos) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::new(at, format!("Fn::Sub: '${{' without '}}' in '{text}'")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let name = name.trim();
                if let Some((_, value)) = vars.iter().find(|(k, _)| k == name) {
                    out.push_str(value);
                } else if let Some((resource, attribute)) = name.split_once('.')
                    && !name.starts_with("AWS::")
                {
                    out.push_str(&self.attribute(resource, attribute, at)?);
                } else {
                    match self.reference(name, at)? {
                        Some(Node {
                            value: Value::Scalar(s),
                            ..
                        }) => out.push_str(&s),
                        None => {}
                        Some(_) => {
                            return Err(TemplateError::new(
                                at,
                                format!("Fn::Sub: '${{{name}}}' is a list; join it with Fn::Join first"),
                            ));
                        }
                    }
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The value of the condition called `name`.
    pub fn condition(&self, name: &str, at: Pos) -> Result<bool, TemplateError> {
        self.conditions
            .get(name)
            .copied()
            .ok_or_else(|| TemplateError::new(at, format!("there is no condition '{name}' in Conditions")))
    }

    /// Evaluates a condition function (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    pub fn eval_condition(&self, node: &Node) -> Result<bool, TemplateError> {
        let (name, arg) = node.intrinsic().ok_or_else(|| {
            node.error("a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition")
        })?;
        match name {
            "Condition" => self.condition(arg.expect_str("Condition")?, arg.pos),
            "Fn::Equals" => {
                let [a, b] = args::<2>(arg, "Fn::Equals", "[value, value]")?;
                let a = self.eval(a)?.map(|n| n.to_json());
                let b = self.eval(b)?.map(|n| n.to_json());
                Ok(a == b)
            }
            "Fn::Not" => {
                let [c] = args::<1>(arg, "Fn::Not", "[condition]")?;
                Ok(!self.eval_condition(c)?)
            }
            "Fn::And" | "Fn::Or" => {
                let items = arg.expect_seq(name)?;
                if !(2..=10).contains(&items.len()) {
                    return Err(arg.error(format!("{name} takes 2 to 10 conditions")));
                }
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval_condition(item)?);
                }
                Ok(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            other => Err(node.error(format!("{other} is not a condition function"))),
        }
    }

    /// Evaluates the `Conditions` section into [`Context::conditions`], each condition after those it
    /// refers to.
    pub fn eval_conditions(&mut self, section: &Node) -> Result<(), TemplateError> {
        let entries = section.expect_map("Conditions")?;
        for (key, _) in entries {
            self.eval_named_condition(entries, key, &mut Vec::new())?;
        }
        Ok(())
    }

    fn eval_named_condition(
        &mut self,
        entries: &[(Key, Node)],
        key: &Key,
        visiting: &mut Vec<String>,
    ) -> Result<bool, TemplateError> {
        if let Some(value) = self.conditions.get(&key.name) {
            return Ok(*value);
        }
        if visiting.contains(&key.name) {
            return Err(TemplateError::new(
                key.pos,
                format!(
                    "condition '{}' refers to itself (through {})",
                    key.name,
                    visiting.join(" -> ")
                ),
            ));
        }
        let expression = &entries
            .iter()
            .find(|(k, _)| k.name == key.name)
            .expect("the key comes from these entries")
            .1;
        visiting.push(key.name.clone());
        let mut dependencies = Vec::new();
        collect_condition_refs(expression, &mut dependencies);
        for (name, at) in dependencies {
            let dependency = entries
                .iter()
                .find(|(k, _)| k.name == name)
                .map(|(k, _)| k.clone())
                .ok_or_else(|| {
                    TemplateError::new(at, format!("there is no condition '{name}' in Conditions"))
                })?;
            self.eval_named_condition(entries, &dependency, visiting)?;
        }
        visiting.pop();
        let value = self.eval_condition(expression)?;
        self.conditions.insert(key.name.clone(), value);
        Ok(value)
    }

    fn note(&self, note: String) {
        self.notes.borrow_mut().insert(note);
    }
}

/// The names of the conditions an expression refers to.
fn collect_condition_refs(node: &Node, out: &mut Vec<(String, Pos)>) {
    if let Some(("Condition", arg)) = node.intrinsic()
        && let Some(name) = arg.as_scalar()
    {
        out.push((name.to_owned(), arg.pos));
        return;
    }
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|i| collect_condition_refs(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_condition_refs(v, out)),
        _ => {}
    }
}

/// The `N` arguments of a function written as a list.
fn args<'a, const N: usize>(
    arg: &'a Node,
    function: &str,
    shape: &str,
) -> Result<[&'a Node; N], TemplateError> {
    match &arg.value {
        Value::Seq(items) if items.len() == N => Ok(std::array::from_fn(|i| &items[i])),
        _ => Err(arg.error(format!("{function} takes {shape}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;

    fn context() -> Context {
        let mut ctx = Context {
            pseudo: Some(Pseudo {
                region: "eu-west-1".into(),
                account_id: "123456789012".into(),
                stack_name: "demo".into(),
            }),
            ..Context::default()
        };
        ctx.parameters
            .insert("Stage".into(), Node::scalar("prod", Pos::default()));
        ctx.parameters.insert(
            "Subnets".into(),
            Node::new(
                Value::Seq(vec![
                    Node::scalar("a", Pos::default()),
                    Node::scalar("b", Pos::default()),
                ]),
                Pos::default(),
            ),
        );
        ctx.resources.insert(
            "Hello".into(),
            ResourceValues {
                reference: "hello".into(),
                attributes: HashMap::from([(
                    "Arn".into(),
                    "arn:aws:lambda:eu-west-1:123456789012:function:hello".into(),
                )]),
                stand_in: false,
            },
        );
        ctx.conditions.insert("IsProd".into(), true);
        ctx.mappings = Some(parse("Sizes:\n  prod:\n    Memory: 1024\n").expect("mappings"));
        ctx
    }

    /// Evaluates `V` of a one-key YAML document.
    fn eval(ctx: &Context, yaml: &str) -> Result<serde_json::Value, TemplateError> {
        let doc = parse(&format!("V: {yaml}\n"))?;
        let v = doc.get("V").expect("V");
        Ok(ctx
            .eval(v)?
            .map_or(serde_json::json!("<NoValue>"), |n| n.to_json()))
    }

    #[test]
    fn evaluates_every_function() {
        let ctx = context();
        let ok = |y: &str| eval(&ctx, y).expect(y);
        assert_eq!(ok("!Ref Stage"), "prod");
        assert_eq!(ok("!Ref Hello"), "hello");
        assert_eq!(ok("!Ref AWS::Region"), "eu-west-1");
        assert_eq!(ok("!Ref AWS::AccountId"), "123456789012");
        assert_eq!(ok("!Ref AWS::StackName"), "demo");
        assert_eq!(ok("!Ref AWS::Partition"), "aws");
        assert_eq!(ok("!Ref AWS::URLSuffix"), "amazonaws.com");
        assert_eq!(ok("!Ref AWS::NoValue"), "<NoValue>");
        assert_eq!(
            ok("!GetAtt Hello.Arn"),
            "arn:aws:lambda:eu-west-1:123456789012:function:hello"
        );
        assert_eq!(
            ok("{\"Fn::GetAtt\": [Hello, Arn]}"),
            "arn:aws:lambda:eu-west-1:123456789012:function:hello"
        );
        assert_eq!(
            ok("!Sub '${AWS::StackName}-${Stage}-${Hello}-${!Literal}'"),
            "demo-prod-hello-${Literal}"
        );
        assert_eq!(
            ok("!Sub ['${A}/${Hello.Arn}', {A: !Ref Stage}]"),
            "prod/arn:aws:lambda:eu-west-1:123456789012:function:hello"
        );
        assert_eq!(ok("!Join ['-', [a, !Ref Stage, !Ref AWS::NoValue]]"), "a-prod");
        assert_eq!(ok("!Join [',', !Ref Subnets]"), "a,b");
        assert_eq!(ok("!If [IsProd, big, small]"), "big");
        assert_eq!(ok("!If [IsProd, !Ref AWS::NoValue, small]"), "<NoValue>");
        assert_eq!(ok("!Select [1, !Split [',', 'x,y,z']]"), "y");
        assert_eq!(ok("!Select [0, !Ref Subnets]"), "a");
        assert_eq!(ok("!FindInMap [Sizes, !Ref Stage, Memory]"), "1024");
        assert_eq!(ok("!Base64 hello"), "aGVsbG8=");
        assert_eq!(
            ok("{A: !Ref AWS::NoValue, B: [1, !Ref AWS::NoValue]}"),
            serde_json::json!({"B": ["1"]})
        );
    }

    #[test]
    fn sub_with_unknown_names_fails_on_the_line() {
        let ctx = context();
        let doc = parse("A: 1\nV: !Sub '${Nope}'\n").expect("parse");
        let err = ctx.eval(doc.get("V").expect("V")).expect_err("unknown");
        assert_eq!(err.pos.line, 2);
        assert!(err.message.contains("unresolved reference 'Nope'"), "{err}");
    }

    #[test]
    fn reports_bad_uses_with_positions() {
        let ctx = context();
        for (yaml, message) in [
            ("!Ref Nope", "unresolved reference 'Nope'"),
            (
                "!GetAtt Hello.Nope",
                "'Hello' has no attribute 'Nope' (it has: Arn)",
            ),
            ("!GetAtt Nope.Arn", "there is no resource 'Nope'"),
            ("!If [Nope, a, b]", "there is no condition 'Nope'"),
            ("!Select [5, [a]]", "out of range"),
            ("!Join [',']", "Fn::Join takes [delimiter, [values]]"),
            (
                "!FindInMap [Sizes, dev, Memory]",
                "mapping 'Sizes' has no key 'dev'",
            ),
            ("!Equals [a, b]", "belongs in the Conditions section"),
            ("!ImportValue x", "lamina does not evaluate Fn::ImportValue"),
            ("!Sub '${Subnets}'", "is a list"),
        ] {
            let err = eval(&ctx, yaml).expect_err(yaml);
            assert!(err.message.contains(message), "{yaml}: {err}");
            assert_eq!(err.pos.line, 1, "{yaml}");
        }
    }

    #[test]
    fn evaluates_conditions_in_dependency_order() {
        let mut ctx = context();
        ctx.conditions.clear();
        let section = parse(
            "Both: !And [!Condition IsProd, !Not [!Condition IsDev]]\n\
             IsProd: !Equals [!Ref Stage, prod]\n\
             IsDev: !Equals [dev, !Ref Stage]\n\
             Either: !Or [!Condition IsDev, !Condition Both]\n",
        )
        .expect("parse");
        ctx.eval_conditions(&section).expect("conditions");
        assert!(ctx.conditions["IsProd"]);
        assert!(!ctx.conditions["IsDev"]);
        assert!(ctx.conditions["Both"]);
        assert!(ctx.conditions["Either"]);

        let mut ctx = context();
        ctx.conditions.clear();
        let looped = parse("A: !Not [!Condition B]\nB: !Not [!Condition A]\n").expect("parse");
        let err = ctx.eval_conditions(&looped).expect_err("cycle");
        assert!(err.message.contains("refers to itself"), "{err}");
    }
}
