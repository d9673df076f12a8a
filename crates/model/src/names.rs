//! Function names, ARNs and qualifiers as the Lambda API accepts them.
//!
//! A `FunctionName` may be a bare name (`f1`), a name with qualifier (`f1:3`), a partial ARN
//! (`123456789012:function:f1`) or a full ARN (`arn:aws:lambda:us-east-1:123456789012:function:f1:prod`).
//! Which values an operation accepts, and the pattern its error messages quote, are the service
//! model's ([`crate::service_model`]): each operation names a shape for its `FunctionName`
//! ([`NameKind::of`]). The regexes here only take apart a value the model's pattern accepted.

use std::sync::LazyLock;

use regex::Regex;

use crate::service_model::{ServiceModel, Shape};
use crate::validation::{Checks, ValidationErrors};

const REGION: &str = r"((?:eusc-)?[a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1})";

/// Takes apart a `FunctionName` of any of the model's name shapes: region, account, name, qualifier.
static NAME_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:{REGION}:)?(?:(\d{{12}}):)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$"
    ))
    .expect("static pattern")
});

/// Takes apart a function's tag-resource ARN: region, account, name, qualifier.
static RESOURCE_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^arn:aws[a-zA-Z-]*:lambda:{REGION}:(\d{{12}}):function:([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$"
    ))
    .expect("static pattern")
});

/// The model shape of a `Qualifier` query parameter of the function operations.
const QUALIFIER_SHAPE: &str = "NumericLatestPublishedOrAliasQualifier";

/// The model shape of a tag operation's `Resource`.
const RESOURCE_SHAPE: &str = "TaggableResource";

/// A shape of the model, which must be there.
fn shape(name: &str) -> &'static Shape {
    ServiceModel::get()
        .named(name)
        .unwrap_or_else(|| panic!("the service model has no shape {name}"))
}

/// Which `FunctionName` grammar an operation uses: a shape of the service model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameKind(&'static str);

#[allow(non_upper_case_globals)]
impl NameKind {
    /// The model's `FunctionName`: no dots, qualifier `$LATEST` or a version/alias (most writes).
    pub const Plain: NameKind = NameKind("FunctionName");
    /// The model's `NamespacedFunctionName`: dots, and `$LATEST.PUBLISHED` (reads, invoke, delete).
    pub const Namespaced: NameKind = NameKind("NamespacedFunctionName");

    /// The shape of `operation`'s `FunctionName` member in the model (`Plain` for an operation the
    /// model does not have).
    pub fn of(operation: &str) -> NameKind {
        let model = ServiceModel::get();
        model
            .input(operation)
            .and_then(|input| input.members().iter().find(|(name, _)| name == "FunctionName"))
            .map_or(NameKind::Plain, |(_, member)| NameKind(member.shape_name()))
    }

    fn shape(self) -> &'static Shape {
        shape(self.0)
    }

    /// The pattern its messages quote.
    pub fn pattern(self) -> &'static str {
        self.shape().pattern().unwrap_or_default()
    }
}

/// The request's view of the world: the region from the SigV4 scope and the server's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The region the request was signed for.
    pub region: String,
    /// The account every function belongs to.
    pub account: String,
}

impl Scope {
    /// The unqualified ARN of a function in this scope.
    pub fn function_arn(&self, name: &str) -> String {
        format!("arn:aws:lambda:{}:{}:function:{name}", self.region, self.account)
    }
}

/// Why a name, ARN or qualifier was refused, with AWS's message; the server maps each to its error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Length or pattern (AWS: ValidationException).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// An ARN of another region than the request's (AWS: ResourceNotFoundException).
    #[error("Functions from '{region}' are not reachable in this region ('{here}')")]
    OtherRegion {
        /// The ARN's region.
        region: String,
        /// The request's.
        here: String,
    },
    /// An ARN of another account than the caller's (AWS: AccessDeniedException).
    #[error("access denied")]
    OtherAccount,
    /// A `Qualifier` that differs from the one in the name (AWS: InvalidParameterValueException).
    #[error("The derived qualifier from the function name does not match the specified qualifier.")]
    QualifierMismatch,
    /// A resource ARN the model accepts that names no function (a code signing config, an event source
    /// mapping): lamina has none of those (AWS: ResourceNotFoundException).
    #[error("The resource you requested does not exist.")]
    NotFunction(String),
}

/// A parsed `FunctionName`: the name and, if the name carried one, its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The bare function name.
    pub name: String,
    /// The qualifier given inside the name (`f1:3` gives `3`).
    pub qualifier: Option<String>,
}

/// Parses a `FunctionName` member, checking length and pattern (ValidationException), region
/// (ResourceNotFoundException) and account (AccessDeniedException).
pub fn parse_function_name(raw: &str, kind: NameKind, scope: &Scope) -> Result<FunctionRef, NameError> {
    let mut checks = Checks::default();
    checks.shape(raw, "functionName", kind.shape());
    checks.finish()?;
    let Some(caps) = NAME_PARTS.captures(raw) else {
        // The model accepts a form lamina cannot take apart (a newer model): quote its pattern.
        let mut checks = Checks::default();
        checks.string(
            raw,
            "functionName",
            format!(
                "Member must satisfy regular expression pattern: {}",
                kind.pattern()
            ),
        );
        return Err(ValidationErrors(checks.items()).into());
    };
    if let Some(region) = caps.get(1)
        && region.as_str() != scope.region
    {
        return Err(NameError::OtherRegion {
            region: region.as_str().to_owned(),
            here: scope.region.clone(),
        });
    }
    if let Some(account) = caps.get(2)
        && account.as_str() != scope.account
    {
        return Err(NameError::OtherAccount);
    }
    let name = caps.get(3).map(|m| m.as_str().to_owned()).unwrap_or_default();
    let qualifier = caps.get(4).map(|m| m.as_str().to_owned());
    Ok(FunctionRef { name, qualifier })
}

/// Checks a `Qualifier` query parameter and reconciles it with a qualifier given in the name.
pub fn resolve_qualifier(
    from_name: Option<String>,
    param: Option<&str>,
) -> Result<Option<String>, NameError> {
    let Some(param) = param else { return Ok(from_name) };
    let mut checks = Checks::default();
    checks.shape(param, "qualifier", shape(QUALIFIER_SHAPE));
    checks.finish()?;
    match from_name {
        Some(q) if q != param => Err(NameError::QualifierMismatch),
        _ => Ok(Some(param.to_owned())),
    }
}

/// A parsed tag `Resource` ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    /// The function's name.
    pub name: String,
    /// A qualifier, which tag operations refuse.
    pub qualifier: Option<String>,
}

/// Parses the `Resource` of TagResource/UntagResource/ListTags: the model's `TaggableResource`
/// (ValidationException), then a function's ARN in the caller's region and account.
pub fn parse_resource_arn(raw: &str, scope: &Scope) -> Result<ResourceRef, NameError> {
    let mut checks = Checks::default();
    checks.shape(raw, "resource", shape(RESOURCE_SHAPE));
    checks.finish()?;
    let Some(caps) = RESOURCE_PARTS.captures(raw) else {
        // Code signing configs, event source mappings, capacity providers: lamina keeps none.
        return Err(NameError::NotFunction(raw.to_owned()));
    };
    let region = caps.get(1).map(|m| m.as_str()).unwrap_or_default();
    if region != scope.region {
        return Err(NameError::OtherRegion {
            region: region.to_owned(),
            here: scope.region.clone(),
        });
    }
    if caps.get(2).map(|m| m.as_str()) != Some(scope.account.as_str()) {
        return Err(NameError::OtherAccount);
    }
    Ok(ResourceRef {
        name: caps.get(3).map(|m| m.as_str().to_owned()).unwrap_or_default(),
        qualifier: caps.get(4).map(|m| m.as_str().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        }
    }

    #[test]
    fn accepts_every_form_of_function_name() {
        let s = scope();
        let cases = [
            ("f1", "f1", None),
            ("f1:3", "f1", Some("3")),
            ("f1:$LATEST", "f1", Some("$LATEST")),
            ("000000000000:function:f1", "f1", None),
            (
                "arn:aws:lambda:us-east-1:000000000000:function:f1:prod",
                "f1",
                Some("prod"),
            ),
            ("us-east-1:000000000000:function:f1", "f1", None),
        ];
        for (raw, name, q) in cases {
            let r = parse_function_name(raw, NameKind::Plain, &s).expect(raw);
            assert_eq!(r.name, name, "{raw}");
            assert_eq!(r.qualifier.as_deref(), q, "{raw}");
        }
    }

    #[test]
    fn bad_name_quotes_aws_pattern() {
        let err = parse_function_name("my function", NameKind::Plain, &scope()).expect_err("space");
        assert_eq!(
            err.to_string(),
            format!(
                "1 validation error detected: Value 'my function' at 'functionName' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: {}",
                NameKind::Plain.pattern()
            )
        );
        assert!(parse_function_name("a.b", NameKind::Plain, &scope()).is_err());
        assert!(parse_function_name("a.b", NameKind::Namespaced, &scope()).is_ok());
    }

    #[test]
    fn foreign_region_and_account() {
        let err = parse_function_name(
            "arn:aws:lambda:eu-west-1:000000000000:function:f",
            NameKind::Plain,
            &scope(),
        )
        .expect_err("region");
        assert_eq!(
            err.to_string(),
            "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
        );
        let err = parse_function_name(
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            NameKind::Plain,
            &scope(),
        )
        .expect_err("account");
        assert!(matches!(err, NameError::OtherAccount), "{err:?}");
    }

    #[test]
    fn qualifier_mismatch() {
        assert_eq!(
            resolve_qualifier(Some("1".into()), Some("1")).expect("same"),
            Some("1".into())
        );
        assert_eq!(
            resolve_qualifier(None, Some("$LATEST")).expect("given"),
            Some("$LATEST".into())
        );
        assert_eq!(
            resolve_qualifier(Some("1".into()), Some("2"))
                .expect_err("mismatch")
                .to_string(),
            "The derived qualifier from the function name does not match the specified qualifier."
        );
        let long = "a".repeat(129);
        assert!(resolve_qualifier(None, Some(&long)).expect_err("long").to_string().contains(
            "at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128"
        ));
    }

    #[test]
    fn resource_arns() {
        let r = parse_resource_arn("arn:aws:lambda:us-east-1:000000000000:function:f", &scope()).expect("ok");
        assert_eq!(
            r,
            ResourceRef {
                name: "f".into(),
                qualifier: None
            }
        );
        assert!(
            parse_resource_arn("f", &scope())
                .expect_err("bad")
                .to_string()
                .contains("at 'resource'")
        );
    }
}
