//! GetAccountSettings, and the account's limits other operations check.

use lamina_model::limits::{UNZIPPED_CODE_MAX_BYTES, ZIPPED_CODE_MAX_BYTES};

use crate::names::Scope;
use crate::rows::{parse_layer_version, parse_version};
use crate::wire::{AccountLimit, AccountSettings, AccountUsage};
use crate::{Engine, EngineError};

/// Lambda's default quota of concurrent executions per account and region.
pub(crate) const ACCOUNT_CONCURRENCY: u32 = 1000;
/// Concurrency that must stay unreserved.
pub(crate) const MIN_UNRESERVED: u32 = 100;
/// Code storage per account (75 GB).
pub(crate) const TOTAL_CODE_SIZE: u64 = 80_530_636_800;

impl Engine {
    /// GetAccountSettings.
    pub async fn account_settings(&self, scope: &Scope) -> Result<AccountSettings, EngineError> {
        let functions = self.region_functions(scope).await?;
        let place = scope.clone();
        // Published versions and layer versions of the region.
        let version_bytes: u64 = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .all_versions()?
                    .iter()
                    .filter(|v| v.account == place.account && v.region == place.region)
                    .filter_map(|v| parse_version(v).ok())
                    .map(|v| v.code_size)
                    .sum::<u64>()
                    + inner
                        .meta
                        .list_layer_versions(&place.account, &place.region, None)?
                        .iter()
                        .filter_map(|l| parse_layer_version(l).ok())
                        .map(|l| l.code_size)
                        .sum::<u64>())
            })
            .await?;
        let unreserved = self.unreserved_concurrency(scope, None).await?;
        Ok(AccountSettings {
            account_limit: AccountLimit {
                total_code_size: TOTAL_CODE_SIZE,
                code_size_unzipped: UNZIPPED_CODE_MAX_BYTES,
                code_size_zipped: ZIPPED_CODE_MAX_BYTES,
                concurrent_executions: self.inner.account_concurrency,
                unreserved_concurrent_executions: unreserved,
            },
            account_usage: AccountUsage {
                total_code_size: functions.iter().map(|f| f.code_size).sum::<u64>() + version_bytes,
                function_count: functions.len() as u64,
            },
        })
    }

    /// The account's unreserved concurrency in `scope`: what neither reserved concurrency nor the
    /// provisioned concurrency of functions without reserved concurrency holds (leaving out `except`, a
    /// function's provisioned concurrency configuration by key).
    pub(crate) async fn unreserved_concurrency(
        &self,
        scope: &Scope,
        except: Option<(&str, &str)>,
    ) -> Result<u32, EngineError> {
        let reserved: u32 = self
            .region_functions(scope)
            .await?
            .iter()
            .filter_map(|f| f.reserved_concurrency)
            .sum();
        let provisioned = self.provisioned_unreserved(scope, except).await?;
        Ok(self
            .inner
            .account_concurrency
            .saturating_sub(reserved)
            .saturating_sub(provisioned))
    }
}
