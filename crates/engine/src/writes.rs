//! The write path: every write to a function's rows (its `$LATEST` row and its versions) goes through
//! [`Inner::write_function`], which forgets the function's cached resolutions (module `resolved`) once
//! the write has returned, committed or not (forgetting too much is harmless). Reads go to the store
//! directly.
//!
//! Layer versions are written directly: a function's record holds what it needs of its layers (ARN,
//! digest, sizes), so layer writes change no resolved version.
//!
//! Sub-resources (module `sub_resources`) are written through [`Inner::write_sub_resources`]: those of
//! a function (its aliases above all, which Invoke follows) forget its resolutions as its own rows do.

use lamina_store::{MetadataStore, Owner, StoreError};

use crate::names::Scope;
use crate::record::FunctionRecord;
use crate::rows::{function_row, parse_function, version_row};
use crate::{Engine, EngineError, Inner};

impl Inner {
    /// Runs `write` on the metadata store, then forgets every resolved version of `name`.
    pub(crate) fn write_function<T>(
        &self,
        scope: &Scope,
        name: &str,
        write: impl FnOnce(&dyn MetadataStore) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let result = write(self.meta.as_ref());
        self.resolved.invalidate(&scope.account, &scope.region, name);
        result
    }

    /// Runs `write` on the metadata store for sub-resources of `owner`, then forgets the resolutions of
    /// the function that owns them, if a function does.
    pub(crate) fn write_sub_resources<T>(
        &self,
        scope: &Scope,
        owner: &Owner,
        write: impl FnOnce(&dyn MetadataStore) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match owner {
            Owner::Function(name) => self.write_function(scope, name, write),
            Owner::Layer(_) | Owner::Account => write(self.meta.as_ref()),
        }
    }
}

impl Engine {
    /// Read-modify-write of one function with compare-and-swap retries. `change` runs on the freshly
    /// read record each time; it may also return a version record to insert in the same transaction.
    /// A function that does not exist (or disappears meanwhile) is `missing`.
    pub(crate) async fn mutate<T, F>(
        &self,
        scope: &Scope,
        name: &str,
        missing: EngineError,
        change: F,
    ) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: Fn(&mut FunctionRecord) -> Result<(T, Option<FunctionRecord>), EngineError> + Send + 'static,
    {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            loop {
                let Some(row) = inner.meta.get_function(&place.account, &place.region, &name)? else {
                    return Err(missing);
                };
                let mut record = parse_function(&row)?;
                let (out, version) = change(&mut record)?;
                let next = function_row(&place, &record)?;
                let version = version.map(|v| version_row(&place, &v)).transpose()?;
                let replaced = inner.write_function(&place, &name, |meta| {
                    meta.replace_function(&next, &row.revision, version.as_ref())
                });
                match replaced {
                    Ok(()) => return Ok(out),
                    Err(StoreError::RevisionMismatch(_)) => continue,
                    Err(StoreError::NotFound(_)) => return Err(missing),
                    Err(e) => return Err(e.into()),
                }
            }
        })
        .await
    }

    /// Inserts a new function (and its first version, if published with it): AWS's 409 if the name is
    /// taken.
    pub(crate) async fn insert_function(
        &self,
        scope: &Scope,
        record: FunctionRecord,
        version: Option<FunctionRecord>,
    ) -> Result<(), EngineError> {
        let place = scope.clone();
        self.blocking(move |inner| {
            let row = function_row(&place, &record)?;
            let version = version.map(|v| version_row(&place, &v)).transpose()?;
            let inserted = inner.write_function(&place, &record.name, |meta| {
                meta.insert_function(&row, version.as_ref())
            });
            match inserted {
                Err(StoreError::AlreadyExists(_)) => Err(EngineError::Conflict(format!(
                    "Function already exist: {}",
                    record.name
                ))),
                other => Ok(other?),
            }
        })
        .await
    }

    /// Deletes a function and its versions; `false` if it did not exist.
    pub(crate) async fn delete_function_rows(&self, scope: &Scope, name: &str) -> Result<bool, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            Ok(inner.write_function(&place, &name, |meta| {
                meta.delete_function(&place.account, &place.region, &name)
            })?)
        })
        .await
    }

    /// Deletes one published version (and its sub-resources); `false` if it did not exist. AWS's 409
    /// while aliases route to it.
    pub(crate) async fn delete_version_row(
        &self,
        scope: &Scope,
        name: &str,
        version: u64,
    ) -> Result<bool, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            let deleted = inner.write_function(&place, &name, |meta| {
                meta.delete_version(&place.account, &place.region, &name, version)
            });
            match deleted {
                Err(StoreError::InUse(aliases)) => Err(EngineError::Conflict(format!(
                    "Unable to delete version because the following aliases reference it: [{}]",
                    aliases.join(", ")
                ))),
                other => Ok(other?),
            }
        })
        .await
    }
}
