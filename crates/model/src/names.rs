//! Function names, ARNs and qualifiers as the Lambda API accepts them.
//!
//! A `FunctionName` may be a bare name (`f1`), a name with qualifier (`f1:3`), a partial ARN
//! (`123456789012:function:f1`) or a full ARN (`arn:aws:lambda:us-east-1:123456789012:function:f1:prod`).
//! The patterns in error messages are AWS's *server* patterns, quoted verbatim; the regexes that do the
//! matching are equivalent rewrites (Java's `[a-zA-Z0-9-_]` becomes `[a-zA-Z0-9_-]`) with captures.

use std::sync::LazyLock;

use regex::Regex;

use crate::validation::{Checks, ValidationErrors};

/// AWS's pattern for operations on a function's own name (CreateFunction, DeleteFunction, updates,
/// PublishVersion, concurrency).
pub const PLAIN_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";

/// AWS's pattern for reads (GetFunction, GetFunctionConfiguration, ListVersionsByFunction, Invoke).
pub const NAMESPACED_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?";

/// AWS's pattern for a `Qualifier` query parameter.
pub const QUALIFIER_PATTERN: &str = r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+";

const REGION: &str = r"((?:eusc-)?[a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1})";

static PLAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:{REGION}:)?(?:(\d{{12}}):)?(?:function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$"
    ))
    .expect("static pattern")
});

static NAMESPACED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:{REGION}:)?(?:(\d{{12}}):)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$"
    ))
    .expect("static pattern")
});

static QUALIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9$_-]+$").expect("static pattern"));

/// The tag-resource ARN of a function (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
pub const RESOURCE_PATTERN: &str = r"arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

static RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1}):(\d{12}):function:([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$",
    )
    .expect("static pattern")
});

/// Which `FunctionName` grammar an operation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// Names without dots, qualifier `$LATEST` or a version/alias (writes).
    Plain,
    /// Names with dots and `$LATEST.PUBLISHED` (reads, invoke).
    Namespaced,
}

impl NameKind {
    /// The longest `FunctionName` (a full ARN with qualifier) the grammar accepts: the service model's
    /// `FunctionName` (140) and `NamespacedFunctionName` (256) shapes.
    pub fn max_length(self) -> usize {
        match self {
            NameKind::Plain => 140,
            NameKind::Namespaced => 256,
        }
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
    let (re, shown) = match kind {
        NameKind::Plain => (&*PLAIN, PLAIN_PATTERN),
        NameKind::Namespaced => (&*NAMESPACED, NAMESPACED_PATTERN),
    };
    let mut checks = Checks::default();
    checks.length(raw, "functionName", 1, kind.max_length());
    checks.pattern(raw, "functionName", re, shown);
    checks.finish()?;
    let caps = re.captures(raw).expect("the pattern matched just above");
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
    checks.length(param, "qualifier", 1, 128);
    if !param.is_empty() {
        checks.pattern(param, "qualifier", &QUALIFIER, QUALIFIER_PATTERN);
    }
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

/// Parses the `Resource` of TagResource/UntagResource/ListTags.
pub fn parse_resource_arn(raw: &str, scope: &Scope) -> Result<ResourceRef, NameError> {
    let mut checks = Checks::default();
    checks.length(raw, "resource", 1, 256);
    let caps = RESOURCE.captures(raw);
    if caps.is_none() {
        checks.string(
            raw,
            "resource",
            format!("Member must satisfy regular expression pattern: {RESOURCE_PATTERN}"),
        );
    }
    checks.finish()?;
    let caps = caps.expect("a refused pattern ended the checks just above");
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
                 Member must satisfy regular expression pattern: {PLAIN_PATTERN}"
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
