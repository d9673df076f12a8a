//! Which record a name and qualifier name: `$LATEST` (the function's row), a published version, or the
//! version an alias points to.

use crate::names::{self, Scope};
use crate::not_found::function_not_found;
use crate::record::FunctionRecord;
use crate::rows::parse_version;
use crate::validate;
use crate::{Engine, EngineError};

/// A qualifier that names a version: digits only (no sign, not empty).
pub(crate) fn parse_version_number(q: &str) -> Option<u64> {
    if q.is_empty() || !q.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    q.parse().ok()
}

impl Engine {
    /// Reads one published version by its qualifier (digits), or answers AWS's not-found.
    pub(crate) async fn resolve_version(
        &self,
        scope: &Scope,
        name: &str,
        q: &str,
    ) -> Result<FunctionRecord, EngineError> {
        let Some(n) = parse_version_number(q) else {
            return Err(function_not_found(scope, name, Some(q)));
        };
        let (place, fname) = (scope.clone(), name.to_owned());
        let row = self
            .blocking(move |inner| Ok(inner.meta.get_version(&place.account, &place.region, &fname, n)?))
            .await?;
        match row {
            Some(row) => parse_version(&row),
            None => Err(function_not_found(scope, name, Some(q))),
        }
    }

    /// Resolves a qualifier to the record it names.
    pub(crate) async fn resolve(
        &self,
        scope: &Scope,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionRecord, EngineError> {
        let Some((_, latest)) = self.load(scope, name).await? else {
            return Err(function_not_found(scope, name, qualifier));
        };
        match qualifier {
            None | Some("$LATEST") => Ok(latest),
            Some(q) if parse_version_number(q).is_none() => self.resolve_alias(scope, name, q, latest).await,
            Some(q) => self.resolve_version(scope, name, q).await,
        }
    }

    /// The bare name and qualifier of a read operation's `FunctionName` (a name, partial or full ARN,
    /// with or without qualifier) and `Qualifier`, checked against `operation`'s input in the model.
    pub(super) fn parse_read_name(
        scope: &Scope,
        operation: &str,
        raw: &str,
        qualifier: Option<&str>,
    ) -> Result<(String, Option<String>), EngineError> {
        let qualifier_member = [("Qualifier", validate::optional(qualifier))];
        let f = validate::function_input(operation, raw, &(), &qualifier_member, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        Ok((f.name, q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_are_digits_only() {
        assert_eq!(parse_version_number("12"), Some(12));
        assert_eq!(parse_version_number("prod"), None);
        assert_eq!(parse_version_number("+1"), None);
    }
}
