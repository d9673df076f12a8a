//! The Lambda service model: botocore's `botocore/data/lambda/2015-03-31/service-2.json`, checked in
//! gzipped (`crates/model/service-model/lambda-2015-03-31.json.gz`, from botocore 1.44.18) and compiled
//! into the binary. It is AWS's contract for the API: every operation's method and URI, and for every
//! member of its input the constraints AWS checks before anything else (required members, string
//! lengths and patterns, enums, integer ranges, list and map sizes).
//!
//! lamina validates from it ([`crate::validation::Checks::input`]), so its ValidationException messages
//! quote the patterns and bounds AWS quotes, and follow AWS when the model changes: replace the file
//! with a newer botocore's copy (`pip download botocore --no-deps`, the wheel holds it) and run the
//! tests.
//!
//! The model is parsed on first use (a few milliseconds; `lamina serve` does it at start, see
//! [`ServiceModel::get`]); each pattern is compiled the first time a value is checked against it.
//!
//! ```
//! use lamina_model::service_model::ServiceModel;
//!
//! let model = ServiceModel::get();
//! let role = model.member("CreateFunction", &["Role"]).expect("a member of CreateFunction");
//! assert!(role.matches("arn:aws:iam::123456789012:role/lambda-ex"));
//! assert!(!role.matches("r1"));
//! ```

use std::collections::HashMap;
use std::io::Read;
use std::sync::{LazyLock, OnceLock};

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// The checked-in model, gzipped.
const MODEL_GZ: &[u8] = include_bytes!("../service-model/lambda-2015-03-31.json.gz");

/// The model's JSON text (for tests that read parts lamina does not parse, such as the operations'
/// URIs).
pub fn json() -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(MODEL_GZ)
        .read_to_string(&mut text)
        .expect("the checked-in service model is gzipped UTF-8");
    text
}

static MODEL: LazyLock<ServiceModel> = LazyLock::new(|| {
    serde_json::from_str(&json()).expect("the checked-in service model has botocore's layout")
});

/// The parts of the service model lamina reads.
#[derive(Debug, Deserialize)]
pub struct ServiceModel {
    operations: HashMap<String, Operation>,
    shapes: HashMap<String, Shape>,
}

/// One operation: where its input is described.
#[derive(Debug, Deserialize)]
pub struct Operation {
    input: Option<ShapeRef>,
}

/// A reference to a shape, as a member, list item, map key or value, or an operation's input.
#[derive(Debug, Deserialize)]
pub struct ShapeRef {
    shape: String,
    /// `uri`, `querystring` or `header` for members outside the JSON body.
    location: Option<String>,
    /// The URI label, query parameter or header name of such a member.
    #[serde(rename = "locationName")]
    location_name: Option<String>,
}

/// A shape and its constraints.
#[derive(Debug, Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    kind: String,
    /// A bound; `double` shapes have fractional ones, which lamina never checks.
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    values: Option<Vec<String>>,
    member: Option<ShapeRef>,
    key: Option<ShapeRef>,
    value: Option<ShapeRef>,
    /// A structure's members, in the model's order (the order AWS reports them in).
    #[serde(default, deserialize_with = "ordered")]
    members: Vec<(String, ShapeRef)>,
    #[serde(default)]
    required: Vec<String>,
    /// AWS does not repeat the value of a sensitive member in its messages.
    #[serde(default)]
    sensitive: bool,
    /// The pattern, compiled on first use.
    #[serde(skip)]
    compiled: OnceLock<Pattern>,
}

/// What a shape is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `string`.
    String,
    /// `integer` or `long`.
    Integer,
    /// `double` or `float`.
    Double,
    /// `list`.
    List,
    /// `map`.
    Map,
    /// `structure`.
    Structure,
    /// Anything else (`boolean`, `blob`, `timestamp`): nothing to check.
    Other,
}

impl ServiceModel {
    /// The model, parsed on first use. `lamina serve` calls this at start, so that the first request
    /// does not pay for it and a broken model stops the server there.
    pub fn get() -> &'static ServiceModel {
        &MODEL
    }

    /// The input shape of `operation` (`None` for an operation without input or not in the model).
    pub fn input(&self, operation: &str) -> Option<&Shape> {
        let input = self.operations.get(operation)?.input.as_ref()?;
        self.shapes.get(&input.shape)
    }

    /// The shape of a member of `operation`'s input, through structures (`["VpcConfig", "SubnetIds"]`).
    pub fn member(&self, operation: &str, path: &[&str]) -> Option<&Shape> {
        let mut shape = self.input(operation)?;
        for name in path {
            let (_, member) = shape.members.iter().find(|(n, _)| n == name)?;
            shape = self.shape(member)?;
        }
        Some(shape)
    }

    /// The shape a reference names.
    pub fn shape(&self, reference: &ShapeRef) -> Option<&Shape> {
        self.shapes.get(&reference.shape)
    }

    /// A shape by its name in the model (`Runtime`, `Architecture`).
    pub fn named(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// Converts the text scalars of `value` (an input of `operation`, as a template writes it) to the
    /// types the model gives their members: integers, doubles and booleans written as text become
    /// numbers and booleans, as CloudFormation converts a template's scalars. What does not convert is
    /// left for validation to refuse.
    pub fn coerce(&self, operation: &str, value: &mut serde_json::Value) {
        if let Some(shape) = self.input(operation) {
            self.coerce_shape(shape, value);
        }
    }

    fn coerce_shape(&self, shape: &Shape, value: &mut serde_json::Value) {
        use serde_json::Value;
        match (shape.kind.as_str(), value) {
            ("structure", Value::Object(fields)) => {
                for (name, member) in &shape.members {
                    if let (Some(field), Some(member)) = (fields.get_mut(name), self.shape(member)) {
                        self.coerce_shape(member, field);
                    }
                }
            }
            ("list", Value::Array(items)) => {
                if let Some(item) = shape.member.as_ref().and_then(|m| self.shape(m)) {
                    items.iter_mut().for_each(|i| self.coerce_shape(item, i));
                }
            }
            ("map", Value::Object(entries)) => {
                if let Some(item) = shape.value.as_ref().and_then(|m| self.shape(m)) {
                    entries.values_mut().for_each(|v| self.coerce_shape(item, v));
                }
            }
            ("integer" | "long", v @ Value::String(_)) => {
                if let Some(n) = v.as_str().and_then(|s| s.trim().parse::<i64>().ok()) {
                    *v = Value::from(n);
                }
            }
            ("double" | "float", v @ Value::String(_)) => {
                if let Some(n) = v.as_str().and_then(|s| s.trim().parse::<f64>().ok()) {
                    *v = Value::from(n);
                }
            }
            ("boolean", v @ Value::String(_)) => match v.as_str() {
                Some("true") => *v = Value::Bool(true),
                Some("false") => *v = Value::Bool(false),
                _ => {}
            },
            _ => {}
        }
    }
}

impl ShapeRef {
    /// The name of the shape it refers to.
    pub fn shape_name(&self) -> &str {
        &self.shape
    }

    /// Where the member travels: `uri`, `querystring`, `header`, or `None` for the JSON body.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Its name there (URI label, query parameter, header).
    pub fn location_name(&self) -> Option<&str> {
        self.location_name.as_deref()
    }
}

impl Shape {
    /// What the shape is.
    pub fn kind(&self) -> Kind {
        match self.kind.as_str() {
            "string" => Kind::String,
            "integer" | "long" => Kind::Integer,
            "double" | "float" => Kind::Double,
            "list" => Kind::List,
            "map" => Kind::Map,
            "structure" => Kind::Structure,
            _ => Kind::Other,
        }
    }

    /// The smallest length (strings, lists, maps) or value (integers).
    pub fn min(&self) -> Option<i64> {
        self.min.map(whole)
    }

    /// The largest length or value.
    pub fn max(&self) -> Option<i64> {
        self.max.map(whole)
    }

    /// The smallest and largest value of a number shape, as the model states them (`Weight`: 0.0 to 1.0).
    pub fn value_bounds(&self) -> (Option<f64>, Option<f64>) {
        (self.min, self.max)
    }

    /// The pattern as the model (and AWS's messages) state it.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_deref()
    }

    /// The enum's values, in the model's order (the order AWS's messages list them in).
    pub fn values(&self) -> &[String] {
        self.values.as_deref().unwrap_or_default()
    }

    /// A list's item.
    pub fn member(&self) -> Option<&ShapeRef> {
        self.member.as_ref()
    }

    /// A map's key.
    pub fn key(&self) -> Option<&ShapeRef> {
        self.key.as_ref()
    }

    /// A map's value.
    pub fn value(&self) -> Option<&ShapeRef> {
        self.value.as_ref()
    }

    /// A structure's members, in the model's order.
    pub fn members(&self) -> &[(String, ShapeRef)] {
        &self.members
    }

    /// A structure's required members.
    pub fn required(&self) -> &[String] {
        &self.required
    }

    /// Whether AWS keeps values of this shape out of its messages.
    pub fn sensitive(&self) -> bool {
        self.sensitive
    }

    /// Whether the whole of `value` matches the pattern (`true` without one), as AWS matches it.
    pub fn matches(&self, value: &str) -> bool {
        match &self.pattern {
            None => true,
            Some(text) => self.compiled.get_or_init(|| Pattern::new(text)).matches(value),
        }
    }
}

/// A model pattern, matched against a whole value as Java's `String.matches` does.
///
/// The model's patterns are Java regular expressions; a few use lookaround (`Alias`:
/// `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`, `S3Bucket`: `[0-9A-Za-z\.\-_]*(?<!\.)`), so they are matched with
/// fancy-regex, which hands everything else to the regex crate.
#[derive(Debug)]
struct Pattern(fancy_regex::Regex);

impl Pattern {
    fn new(text: &str) -> Pattern {
        let whole = format!("^(?:{text})$");
        Pattern(fancy_regex::Regex::new(&whole).unwrap_or_else(|e| {
            panic!("the service model's pattern {text:?} is not one lamina can match: {e}")
        }))
    }

    /// A value the pattern cannot decide on (fancy-regex gives up past its backtracking limit, which
    /// no pattern of the model comes near for the lengths AWS allows) does not match.
    fn matches(&self, value: &str) -> bool {
        self.0.is_match(value).unwrap_or(false)
    }
}

/// A bound of a string, list, map or integer shape (whole in the model; `as` saturates the others).
#[allow(clippy::cast_possible_truncation)]
fn whole(bound: f64) -> i64 {
    bound as i64
}

/// Deserializes a JSON object into its entries in document order.
fn ordered<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<(String, ShapeRef)>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(String, ShapeRef)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of members")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_scalars_become_the_members_types() {
        let mut input = serde_json::json!({
            "MaximumRetryAttempts": "1",
            "MaximumEventAgeInSeconds": "not a number",
            "DestinationConfig": {"OnSuccess": {"Destination": "arn:x"}},
        });
        ServiceModel::get().coerce("PutFunctionEventInvokeConfig", &mut input);
        assert_eq!(input["MaximumRetryAttempts"], serde_json::json!(1));
        assert_eq!(
            input["MaximumEventAgeInSeconds"],
            serde_json::json!("not a number")
        );
        let mut url =
            serde_json::json!({"AuthType": "NONE", "Cors": {"AllowCredentials": "true", "MaxAge": "60"}});
        ServiceModel::get().coerce("CreateFunctionUrlConfig", &mut url);
        assert_eq!(
            url["Cors"],
            serde_json::json!({"AllowCredentials": true, "MaxAge": 60})
        );
        let mut alias = serde_json::json!({"RoutingConfig": {"AdditionalVersionWeights": {"2": "0.5"}}});
        ServiceModel::get().coerce("CreateAlias", &mut alias);
        assert_eq!(
            alias["RoutingConfig"]["AdditionalVersionWeights"]["2"],
            serde_json::json!(0.5)
        );
    }

    #[test]
    fn members_keep_the_models_order() {
        let input = ServiceModel::get()
            .input("CreateFunction")
            .expect("CreateFunction");
        let names: Vec<&str> = input.members().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(&names[..4], ["FunctionName", "Runtime", "Role", "Handler"]);
        assert_eq!(input.required(), ["FunctionName", "Role", "Code"]);
    }

    #[test]
    fn every_pattern_of_every_input_compiles() {
        let model = ServiceModel::get();
        let mut checked = 0;
        for shape in model.shapes.values() {
            if shape.pattern.is_some() {
                shape.matches("");
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} patterns");
    }

    #[test]
    fn patterns_match_whole_values_as_java_does() {
        let model = ServiceModel::get();
        let name = model.member("DeleteFunction", &["FunctionName"]).expect("member");
        assert!(name.matches("my-function"));
        assert!(name.matches("arn:aws:lambda:eusc-de-east-1:123456789012:function:f.1:$LATEST.PUBLISHED"));
        assert!(!name.matches("my function"));
        let bucket = model.member("UpdateFunctionCode", &["S3Bucket"]).expect("member");
        assert!(bucket.matches("my-bucket"));
        assert!(!bucket.matches("my-bucket."), "the trailing lookbehind");
        assert!(!bucket.matches("my bucket"));
    }

    #[test]
    fn uri_members_say_where_they_travel() {
        let model = ServiceModel::get();
        let input = model.input("GetFunction").expect("GetFunction");
        let (_, qualifier) = input
            .members()
            .iter()
            .find(|(n, _)| n == "Qualifier")
            .expect("Qualifier");
        assert_eq!(
            (qualifier.location(), qualifier.location_name()),
            (Some("querystring"), Some("Qualifier"))
        );
    }
}
