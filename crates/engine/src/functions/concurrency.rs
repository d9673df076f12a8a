//! PutFunctionConcurrency, GetFunctionConcurrency and DeleteFunctionConcurrency: a function's reserved
//! concurrency, kept on its record and told to the executor. Setting or removing it is a change of the
//! function: its RevisionId changes (see `docs/api-details.md` for what is known of Lambda's behaviour).

use crate::account::MIN_UNRESERVED;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::rows::parse_function;
use crate::validate;
use crate::wire::{Concurrency, PutConcurrencyInput};
use crate::{Engine, EngineError};

/// AWS's answer for a qualified name (concurrency is the function's, not a version's).
const ONLY_FUNCTIONS: &str = "This operation is permitted on Lambda functions only. Aliases and versions do not \
                              support this operation. Please specify either a function name or an unqualified \
                              function ARN.";

/// The answer to a reservation smaller than what the function's provisioned concurrency configurations
/// request together. The text (its leading space and double space included) is the one LocalStack's
/// provider answers with; no recording of AWS's own answer was found.
fn below_provisioned(reserved: u32, provisioned: u32) -> EngineError {
    EngineError::InvalidParameter(format!(
        " ReservedConcurrentExecutions  {reserved} should not be lower than function's total provisioned \
         concurrency [{provisioned}]."
    ))
}

impl Engine {
    /// PutFunctionConcurrency.
    pub async fn put_function_concurrency(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: PutConcurrencyInput,
    ) -> Result<Concurrency, EngineError> {
        let f = validate::function_input("PutFunctionConcurrency", raw_name, &input, &[], scope)?;
        if f.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(ONLY_FUNCTIONS.into()));
        }
        // Required and at least 0 (the model's checks); more than the account has is refused below.
        let wanted =
            u32::try_from(input.reserved_concurrent_executions.unwrap_or_default()).unwrap_or(u32::MAX);
        let others: u32 = self
            .region_functions(scope)
            .await?
            .iter()
            .filter(|r| r.name != f.name)
            .filter_map(|r| r.reserved_concurrency)
            .sum();
        let account = self.inner.account_concurrency;
        if account.saturating_sub(others.saturating_add(wanted)) < MIN_UNRESERVED
            || others.saturating_add(wanted) > account
        {
            return Err(EngineError::InvalidParameter(format!(
                "Specified ReservedConcurrentExecutions for function decreases account's \
                 UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
            )));
        }
        // Its provisioned concurrency comes out of its reservation, which may not be smaller.
        let provisioned = self.provisioned_total(scope, &f.name, None).await?;
        if wanted < provisioned {
            return Err(below_provisioned(wanted, provisioned));
        }
        self.mutate(
            scope,
            &f.name,
            function_not_found(scope, &f.name, Some("$LATEST")),
            move |record| {
                record.reserved_concurrency = Some(wanted);
                record.revise();
                Ok(((), None))
            },
        )
        .await?;
        self.inner
            .executor
            .set_reserved_concurrency(&scope.function_arn(&f.name), Some(wanted));
        Ok(Concurrency {
            reserved_concurrent_executions: Some(wanted),
        })
    }

    /// GetFunctionConcurrency (`{}` when unset).
    pub async fn get_function_concurrency(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<Concurrency, EngineError> {
        let f = validate::function_input("GetFunctionConcurrency", raw_name, &(), &[], scope)?;
        if f.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(ONLY_FUNCTIONS.into()));
        }
        let Some((_, record)) = self.load(scope, &f.name).await? else {
            return Err(function_not_found(scope, &f.name, None));
        };
        Ok(Concurrency {
            reserved_concurrent_executions: record.reserved_concurrency,
        })
    }

    /// DeleteFunctionConcurrency.
    pub async fn delete_function_concurrency(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<(), EngineError> {
        let f = validate::function_input("DeleteFunctionConcurrency", raw_name, &(), &[], scope)?;
        if f.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(ONLY_FUNCTIONS.into()));
        }
        self.mutate(
            scope,
            &f.name,
            function_not_found(scope, &f.name, None),
            |record| {
                record.reserved_concurrency = None;
                record.revise();
                Ok(((), None))
            },
        )
        .await?;
        self.inner
            .executor
            .set_reserved_concurrency(&scope.function_arn(&f.name), None);
        Ok(())
    }

    /// Tells the executor every function's reserved concurrency (at start).
    pub(crate) async fn load_reserved_concurrency(&self) -> Result<(), EngineError> {
        let reserved = self
            .blocking(|inner| {
                let mut out = Vec::new();
                for row in inner.meta.all_functions()? {
                    let record = parse_function(&row)?;
                    if let Some(n) = record.reserved_concurrency {
                        out.push((
                            Scope {
                                region: row.region,
                                account: row.account,
                            },
                            record.name,
                            n,
                        ));
                    }
                }
                Ok(out)
            })
            .await?;
        for (scope, name, n) in reserved {
            let arn = scope.function_arn(&name);
            self.inner.executor.set_reserved_concurrency(&arn, Some(n));
        }
        Ok(())
    }
}
