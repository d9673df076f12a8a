//! Turning a template's code source into what the API is sent: a deterministic zip (so its
//! CodeSha256 says whether anything changed) or an S3 location.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lamina_model::Architecture;
use lamina_model::wire::{CodeInput, ZipFile};
use lamina_package::{PackageBuilder, code_sha256};

use crate::commands::build::go_build;
use lamina_template::resources::CodeSource;

/// Code ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Package {
    /// A zip, sent inline.
    Zip {
        /// The zip's bytes.
        bytes: Vec<u8>,
        /// Its CodeSha256.
        sha256: String,
    },
    /// An object in S3, fetched by the server.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// Object version.
        version: Option<String>,
    },
}

impl Package {
    /// The CodeSha256 of an inline zip (`None` for S3: only the server can tell).
    pub(crate) fn sha256(&self) -> Option<&str> {
        match self {
            Package::Zip { sha256, .. } => Some(sha256),
            Package::S3 { .. } => None,
        }
    }

    /// The code members of CreateFunction's `Code` (and, member for member, of UpdateFunctionCode's
    /// body and PublishLayerVersion's `Content`): `ZipFile` (base64) or `S3Bucket`/`S3Key`/
    /// `S3ObjectVersion`.
    pub(crate) fn code(&self) -> CodeInput {
        match self {
            Package::Zip { bytes, .. } => CodeInput {
                zip_file: Some(ZipFile::new(STANDARD.encode(bytes))),
                ..CodeInput::default()
            },
            Package::S3 { bucket, key, version } => CodeInput {
                s3_bucket: Some(bucket.clone()),
                s3_key: Some(key.clone()),
                s3_object_version: version.clone(),
                ..CodeInput::default()
            },
        }
    }

    /// What `lamina inspect` finds wrong with an inline zip for a function of `arch`: the problems that
    /// would stop it from starting on Lambda (S3 objects are inspected by the server). A missing
    /// `bootstrap` is not one when `layers_may_bring_bootstrap`.
    pub(crate) fn findings(&self, arch: Architecture, layers_may_bring_bootstrap: bool) -> Vec<String> {
        let Package::Zip { bytes, .. } = self else {
            return Vec::new();
        };
        let options = lamina_package::InspectOptions { arch: Some(arch) };
        match lamina_package::inspect(Cursor::new(bytes), &options) {
            Ok(report) => report
                .findings
                .into_iter()
                .filter(|f| {
                    !(layers_may_bring_bootstrap && f.kind == lamina_package::FindingKind::MissingBootstrap)
                })
                .map(|f| f.message)
                .collect(),
            Err(e) => vec![format!("the package cannot be read: {e}")],
        }
    }

    /// How the plan names it: `CodeSha256 …` or `s3://bucket/key`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Package::Zip { bytes, sha256 } => format!("{} bytes, CodeSha256 {sha256}", bytes.len()),
            Package::S3 { bucket, key, version } => match version {
                Some(v) => format!("s3://{bucket}/{key}?versionId={v}"),
                None => format!("s3://{bucket}/{key}"),
            },
        }
    }
}

/// Builds or reads the code: a Go build for `go1.x` folders (for `arch`), a deterministic zip of other
/// folders and of inline code, a `.zip` as it is, S3 as a location.
pub(crate) fn package(source: &CodeSource, arch: Architecture) -> Result<Package> {
    let zip = |builder: PackageBuilder| -> Result<Package> {
        let bytes = builder
            .write(Cursor::new(Vec::new()))
            .context("writing the zip")?
            .into_inner();
        Ok(Package::Zip {
            sha256: code_sha256(&bytes),
            bytes,
        })
    };
    match source {
        CodeSource::Folder { path, go_build: true } => {
            let work = tempfile::tempdir().context("creating a build directory")?;
            let bootstrap = work.path().join("bootstrap");
            go_build(path, arch, &bootstrap).with_context(|| format!("building {}", path.display()))?;
            zip(PackageBuilder::with_bootstrap(&bootstrap)?)
        }
        CodeSource::Folder {
            path,
            go_build: false,
        } => zip(folder(path)?),
        CodeSource::Zip(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Ok(Package::Zip {
                sha256: code_sha256(&bytes),
                bytes,
            })
        }
        CodeSource::Inline { file_name, source } => {
            let mut builder = PackageBuilder::new();
            builder.add_bytes(file_name, source.as_bytes().to_vec(), 0o644)?;
            zip(builder)
        }
        CodeSource::S3 { bucket, key, version } => Ok(Package::S3 {
            bucket: bucket.clone(),
            key: key.clone(),
            version: version.clone(),
        }),
    }
}

/// A folder's content at the root of a package (what `sam` zips for a `CodeUri` folder).
fn folder(path: &Path) -> Result<PackageBuilder> {
    // Absolute, so that each child lands at the root under its own name (PackageBuilder keeps the
    // path of a relative input).
    let path = &std::path::absolute(path).with_context(|| format!("reading {}", path.display()))?;
    let mut children: Vec<_> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", path.display()))?;
    children.sort();
    let mut builder = PackageBuilder::new();
    for child in children {
        builder.add_path(&child)?;
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_folders_deterministically_at_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("bootstrap"), "#!/bin/sh\n").expect("write");
        std::fs::create_dir(dir.path().join("lib")).expect("mkdir");
        std::fs::write(dir.path().join("lib/a.txt"), "a").expect("write");
        let source = CodeSource::Folder {
            path: dir.path().to_owned(),
            go_build: false,
        };
        let first = package(&source, Architecture::X86_64).expect("package");
        // A relative folder (CodeUri below a relative template path) gives the same package.
        let here = tempfile::Builder::new()
            .prefix(".deploy-test")
            .tempdir_in(".")
            .expect("tempdir");
        std::fs::write(here.path().join("bootstrap"), "#!/bin/sh\n").expect("write");
        std::fs::create_dir(here.path().join("lib")).expect("mkdir");
        std::fs::write(here.path().join("lib/a.txt"), "a").expect("write");
        let relative = CodeSource::Folder {
            path: here.path().file_name().expect("name").into(),
            go_build: false,
        };
        assert_eq!(package(&relative, Architecture::X86_64).expect("package"), first);
        let second = package(&source, Architecture::X86_64).expect("package");
        assert_eq!(first, second);
        let Package::Zip { bytes, .. } = first else {
            panic!("a zip")
        };
        let report = lamina_package::inspect(Cursor::new(&bytes), &Default::default()).expect("inspect");
        assert_eq!(report.entries, 3, "bootstrap, lib/, lib/a.txt");
    }

    #[test]
    fn sends_s3_locations_and_inline_code() {
        let s3 = package(
            &CodeSource::S3 {
                bucket: "b".into(),
                key: "k.zip".into(),
                version: Some("3".into()),
            },
            Architecture::X86_64,
        )
        .expect("s3");
        assert_eq!(
            serde_json::to_value(s3.code()).expect("json"),
            serde_json::json!({"S3Bucket": "b", "S3Key": "k.zip", "S3ObjectVersion": "3"})
        );
        assert_eq!(s3.sha256(), None);
        let inline = package(
            &CodeSource::Inline {
                file_name: "index.py".into(),
                source: "def handler(e, c):\n    return e\n".into(),
            },
            Architecture::X86_64,
        )
        .expect("inline");
        let code = inline.code();
        let bytes = STANDARD
            .decode(code.zip_file.as_ref().and_then(|z| z.base64()).expect("ZipFile"))
            .expect("base64");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        assert_eq!(archive.len(), 1);
        assert_eq!(
            archive.by_index(0).expect("entry").name().expect("name"),
            "index.py"
        );
    }
}
