//! The S3 operations (`s3s::S3`) over [`Storage`]: requests arrive verified (see `auth.rs`), each acts
//! in the account of the key that signed and, for CreateBucket, the region of its signature.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use futures_util::StreamExt;
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::auth::Identity;
use crate::storage::{Blob, NewObject, ObjectVersion, Storage, StorageError};

/// The S3 API over one store.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub(crate) storage: Arc<Storage>,
    pub(crate) identity: Arc<Identity>,
}

/// How many list entries a page has at most (S3's limit).
const MAX_KEYS: usize = 1000;

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from(UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

/// A storage failure as S3 answers it.
pub(crate) fn s3_error(e: StorageError) -> S3Error {
    let code = match &e {
        StorageError::NoSuchBucket => S3ErrorCode::NoSuchBucket,
        StorageError::BucketAlreadyOwnedByYou => S3ErrorCode::BucketAlreadyOwnedByYou,
        StorageError::BucketAlreadyExists => S3ErrorCode::BucketAlreadyExists,
        StorageError::BucketNotEmpty => S3ErrorCode::BucketNotEmpty,
        StorageError::AccessDenied => S3ErrorCode::AccessDenied,
        StorageError::NoSuchKey { .. } => S3ErrorCode::NoSuchKey,
        StorageError::NoSuchVersion => S3ErrorCode::NoSuchVersion,
        StorageError::InvalidVersion => S3ErrorCode::InvalidArgument,
        StorageError::DeleteMarker { .. } => S3ErrorCode::MethodNotAllowed,
        StorageError::NoSuchUpload => S3ErrorCode::NoSuchUpload,
        StorageError::InvalidPart => S3ErrorCode::InvalidPart,
        StorageError::InvalidPartOrder => S3ErrorCode::InvalidPartOrder,
        StorageError::EntityTooSmall => S3ErrorCode::EntityTooSmall,
        StorageError::Database(_) | StorageError::Io { .. } => {
            tracing::error!(error = %error_chain(&e), "the S3 store failed");
            return S3Error::internal_error(e);
        }
    };
    let mut error = S3Error::with_message(code, e.to_string());
    let marker_headers = |version_id: &str| {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amz-delete-marker", http::HeaderValue::from_static("true"));
        if let Ok(v) = http::HeaderValue::from_str(version_id) {
            headers.insert("x-amz-version-id", v);
        }
        headers
    };
    match &e {
        StorageError::NoSuchKey {
            delete_marker: Some(version_id),
        }
        | StorageError::DeleteMarker { version_id } => error.set_headers(marker_headers(version_id)),
        _ => {}
    }
    error
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl Service {
    /// Runs blocking storage work off the runtime.
    async fn blocking<T, F>(&self, f: F) -> S3Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Storage) -> Result<T, StorageError> + Send + 'static,
    {
        let storage = Arc::clone(&self.storage);
        tokio::task::spawn_blocking(move || f(&storage))
            .await
            .map_err(S3Error::internal_error)?
            .map_err(s3_error)
    }

    /// Writes a request body into a new blob as it arrives (never held whole in memory).
    async fn write_blob(&self, body: Option<StreamingBlob>) -> S3Result<Blob> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
        let storage = Arc::clone(&self.storage);
        let writer = tokio::task::spawn_blocking(move || -> Result<Blob, StorageError> {
            let mut blob = storage.blob_writer()?;
            while let Some(chunk) = rx.blocking_recv() {
                blob.write(&chunk)?;
            }
            blob.finish()
        });
        let mut received: Result<(), S3Error> = Ok(());
        if let Some(mut body) = body {
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(chunk) => {
                        if tx.send(chunk).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        received = Err(S3Error::with_message(
                            S3ErrorCode::IncompleteBody,
                            format!("The request body could not be read: {e}"),
                        ));
                        break;
                    }
                }
            }
        }
        // A broken body: the writer is dropped before it finishes, removing its temporary file.
        if received.is_err() {
            writer.abort();
            return Err(received
                .err()
                .unwrap_or_else(|| S3Error::new(S3ErrorCode::InternalError)));
        }
        drop(tx);
        writer.await.map_err(S3Error::internal_error)?.map_err(s3_error)
    }
}

/// The version id header value of a version: only for buckets that were ever versioned.
fn version_header(versioned: bool, version: &ObjectVersion) -> Option<String> {
    versioned.then(|| version.version_id.clone())
}

fn new_object(content_type: Option<String>, metadata: Option<Metadata>) -> NewObject {
    NewObject {
        content_type,
        metadata: metadata.map(|m| m.into_iter().collect()).unwrap_or_default(),
    }
}

fn metadata(version: &ObjectVersion) -> Option<Metadata> {
    (!version.metadata.is_empty()).then(|| version.metadata.clone().into_iter().collect())
}

#[async_trait::async_trait]
impl S3 for Service {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let caller = self.identity.caller(&req)?;
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned());
        check_location(&caller.region, constraint.as_deref())?;
        let name = req.input.bucket.clone();
        let created = {
            let (account, region, name) = (caller.account.clone(), caller.region.clone(), name.clone());
            self.blocking(move |s| s.create_bucket(&account, &region, &name))
                .await
        };
        match created {
            Ok(_) => {}
            // us-east-1 answers 200 to its owner creating a bucket again (a legacy of the first region).
            Err(e) if *e.code() == S3ErrorCode::BucketAlreadyOwnedByYou && caller.region == "us-east-1" => {}
            Err(e) => return Err(e),
        }
        tracing::info!(bucket = %name, account = %caller.account, region = %caller.region, "S3 bucket created");
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{name}")),
        }))
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        let caller = self.identity.caller(&req)?;
        let name = req.input.bucket;
        let bucket = self.blocking(move |s| s.bucket(&caller.account, &name)).await?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(bucket.region),
            ..Default::default()
        }))
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let caller = self.identity.caller(&req)?;
        let account = caller.account.clone();
        let buckets = self.blocking(move |s| s.list_buckets(&account)).await?;
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(
                buckets
                    .into_iter()
                    .map(|b| s3s::dto::Bucket {
                        bucket_region: Some(b.region),
                        creation_date: Some(timestamp(b.created_ms)),
                        name: Some(b.name),
                    })
                    .collect(),
            ),
            owner: Some(Owner {
                display_name: None,
                id: Some(caller.account),
            }),
            ..Default::default()
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let caller = self.identity.caller(&req)?;
        let name = req.input.bucket;
        self.blocking(move |s| s.delete_bucket(&caller.account, &name))
            .await?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let caller = self.identity.caller(&req)?;
        let name = req.input.bucket;
        let bucket = self.blocking(move |s| s.bucket(&caller.account, &name)).await?;
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint: (bucket.region != "us-east-1")
                .then(|| BucketLocationConstraint::from(bucket.region)),
        }))
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let caller = self.identity.caller(&req)?;
        let status = req
            .input
            .versioning_configuration
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if status != "Enabled" && status != "Suspended" {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        let name = req.input.bucket;
        self.blocking(move |s| s.set_versioning(&caller.account, &name, &status))
            .await?;
        Ok(S3Response::new(PutBucketVersioningOutput {}))
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let caller = self.identity.caller(&req)?;
        let name = req.input.bucket;
        let bucket = self.blocking(move |s| s.bucket(&caller.account, &name)).await?;
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: bucket.versioning.map(BucketVersioningStatus::from),
            ..Default::default()
        }))
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        // The bucket first: no body is stored for a request that cannot succeed.
        {
            let (account, bucket) = (caller.account.clone(), input.bucket.clone());
            self.blocking(move |s| s.bucket(&account, &bucket)).await?;
        }
        let blob = self.write_blob(input.body).await?;
        let object = new_object(input.content_type, input.metadata);
        let (bucket, key) = (input.bucket, input.key);
        let etag_value = blob.md5.clone();
        let written = self
            .blocking(move |s| {
                let versioned = s.bucket(&caller.account, &bucket)?.versioning.is_some();
                let put = s.put_object(&caller.account, &bucket, &key, &blob, &etag_value, &object);
                if put.is_err() {
                    s.discard_blob(blob);
                }
                put.map(|v| (versioned, v))
            })
            .await?;
        let (versioned, version) = written;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag(&version.etag)),
            version_id: version_header(versioned, &version),
            ..Default::default()
        }))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let (bucket, key, version) = (input.bucket, input.key, input.version_id);
        let range = input.range;
        let (versioned, object, file, span) = self
            .blocking(move |s| {
                let (b, object) = s.get_object(&caller.account, &bucket, &key, version.as_deref())?;
                let span = match range {
                    None => None,
                    Some(r) => match r.check(object.size) {
                        Ok(span) => Some(span),
                        Err(_) => return Ok(Err(object.size)),
                    },
                };
                let file = s.open_blob(&object, span.as_ref().map_or(0, |r| r.start))?;
                Ok(Ok((b.versioning.is_some(), object, file, span)))
            })
            .await?
            .map_err(|size| {
                let mut e = S3Error::with_message(
                    S3ErrorCode::InvalidRange,
                    "The requested range is not satisfiable",
                );
                let mut headers = http::HeaderMap::new();
                if let Ok(v) = http::HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(http::header::CONTENT_RANGE, v);
                }
                e.set_headers(headers);
                e
            })?;
        let length = span.as_ref().map_or(object.size, |r| r.end - r.start);
        let file = tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), length);
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
        let mut output = GetObjectOutput {
            body: Some(StreamingBlob::wrap(stream)),
            content_length: Some(i64::try_from(length).unwrap_or(i64::MAX)),
            content_type: object.content_type.clone(),
            e_tag: Some(etag(&object.etag)),
            last_modified: Some(timestamp(object.last_modified_ms)),
            metadata: metadata(&object),
            version_id: version_header(versioned, &object),
            accept_ranges: Some("bytes".into()),
            ..Default::default()
        };
        if let Some(span) = &span {
            output.content_range = Some(format!("bytes {}-{}/{}", span.start, span.end - 1, object.size));
        }
        let mut response = S3Response::new(output);
        if span.is_some() {
            response.status = Some(http::StatusCode::PARTIAL_CONTENT);
        }
        Ok(response)
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let (bucket, key, version) = (input.bucket, input.key, input.version_id);
        let (versioned, object) = self
            .blocking(move |s| {
                let (b, object) = s.get_object(&caller.account, &bucket, &key, version.as_deref())?;
                Ok((b.versioning.is_some(), object))
            })
            .await?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(i64::try_from(object.size).unwrap_or(i64::MAX)),
            content_type: object.content_type.clone(),
            e_tag: Some(etag(&object.etag)),
            last_modified: Some(timestamp(object.last_modified_ms)),
            metadata: metadata(&object),
            version_id: version_header(versioned, &object),
            accept_ranges: Some("bytes".into()),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let (bucket, key, version) = (input.bucket, input.key, input.version_id);
        let (version_id, marker) = self
            .blocking(move |s| s.delete_object(&caller.account, &bucket, &key, version.as_deref()))
            .await?;
        Ok(S3Response::new(DeleteObjectOutput {
            delete_marker: marker.then_some(true),
            version_id,
            ..Default::default()
        }))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let bucket = input.bucket;
        let quiet = input.delete.quiet.unwrap_or(false);
        let objects = input.delete.objects;
        let (deleted, errors) = self
            .blocking(move |s| {
                s.bucket(&caller.account, &bucket)?;
                let mut deleted = Vec::new();
                let mut errors = Vec::new();
                for object in objects {
                    match s.delete_object(
                        &caller.account,
                        &bucket,
                        &object.key,
                        object.version_id.as_deref(),
                    ) {
                        Ok((version_id, marker)) => deleted.push(DeletedObject {
                            delete_marker: marker.then_some(true),
                            delete_marker_version_id: if marker { version_id.clone() } else { None },
                            key: Some(object.key),
                            version_id: if marker { None } else { object.version_id },
                        }),
                        Err(e) => {
                            let e = s3_error(e);
                            errors.push(s3s::dto::Error {
                                code: Some(e.code().as_str().to_owned()),
                                key: Some(object.key),
                                message: e.message().map(str::to_owned),
                                version_id: object.version_id,
                            });
                        }
                    }
                }
                Ok((deleted, errors))
            })
            .await?;
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let (source_bucket, source_key, source_version) = match input.copy_source {
            CopySource::Bucket {
                bucket,
                key,
                version_id,
            } => (
                bucket.to_string(),
                key.to_string(),
                version_id.map(|v| v.to_string()),
            ),
            CopySource::AccessPoint { .. } | CopySource::Outpost { .. } => {
                return Err(S3Error::with_message(
                    S3ErrorCode::NotImplemented,
                    "lamina's S3 has no access points or outposts",
                ));
            }
        };
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == "REPLACE");
        let replacement = new_object(input.content_type, input.metadata);
        let (bucket, key) = (input.bucket, input.key);
        let (versioned, source, version) = self
            .blocking(move |s| {
                let (_, source) = s.get_object(
                    &caller.account,
                    &source_bucket,
                    &source_key,
                    source_version.as_deref(),
                )?;
                let versioned = s.bucket(&caller.account, &bucket)?.versioning.is_some();
                let object = if replace {
                    replacement
                } else {
                    NewObject {
                        content_type: source.content_type.clone(),
                        metadata: source.metadata.clone(),
                    }
                };
                let blob = s.link_blob(&source)?;
                let put = s.put_object(&caller.account, &bucket, &key, &blob, &source.etag, &object);
                if put.is_err() {
                    s.discard_blob(blob);
                }
                Ok((versioned, source, put?))
            })
            .await?;
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&version.etag)),
                last_modified: Some(timestamp(version.last_modified_ms)),
                ..Default::default()
            }),
            copy_source_version_id: (source.version_id != crate::storage::NULL_VERSION)
                .then_some(source.version_id),
            version_id: version_header(versioned, &version),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let after = match &input.continuation_token {
            Some(token) => Some(decode_token(token)?),
            None => input.start_after.clone(),
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone();
        let bucket = input.bucket.clone();
        let page = self
            .blocking(move |s| {
                s.list_objects(
                    &caller.account,
                    &bucket,
                    &prefix,
                    delimiter.as_deref(),
                    after.as_deref(),
                    max,
                )
            })
            .await?;
        let key_count = page.objects.len() + page.prefixes.len();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(input.prefix.unwrap_or_default()),
            max_keys: Some(i32::try_from(max).unwrap_or(1000)),
            key_count: Some(i32::try_from(key_count).unwrap_or(i32::MAX)),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.next.is_some()),
            next_continuation_token: page.next.map(|n| encode_token(&n)),
            contents: Some(page.objects.iter().map(list_entry).collect()),
            common_prefixes: (!page.prefixes.is_empty()).then(|| {
                page.prefixes
                    .into_iter()
                    .map(|p| CommonPrefix { prefix: Some(p) })
                    .collect()
            }),
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            start_after: input.start_after,
            ..Default::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        // ListObjects (version 1) is ListObjectsV2 with `Marker` as `StartAfter`; the next marker is the
        // last key or prefix of the page, as V2's token says.
        let marker = req.input.marker.clone();
        let v2 = self.list_objects_v2(req.map_input(Into::into)).await?;
        Ok(v2.map_output(|v2| {
            let next_marker = v2
                .next_continuation_token
                .as_deref()
                .and_then(|t| decode_token(t).ok())
                .filter(|_| v2.delimiter.is_some());
            ListObjectsOutput {
                name: v2.name,
                prefix: v2.prefix,
                marker: Some(marker.unwrap_or_default()),
                max_keys: v2.max_keys,
                is_truncated: v2.is_truncated,
                next_marker,
                contents: v2.contents,
                common_prefixes: v2.common_prefixes,
                delimiter: v2.delimiter,
                encoding_type: v2.encoding_type,
                ..Default::default()
            }
        }))
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let bucket = input.bucket.clone();
        let (key_marker, version_marker) = (input.key_marker.clone(), input.version_id_marker.clone());
        let page = self
            .blocking(move |s| {
                s.list_versions(
                    &caller.account,
                    &bucket,
                    &prefix,
                    key_marker.as_deref(),
                    version_marker.as_deref(),
                    max,
                )
            })
            .await?;
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        for v in &page.versions {
            if v.delete_marker {
                markers.push(DeleteMarkerEntry {
                    is_latest: Some(v.is_latest),
                    key: Some(v.key.clone()),
                    last_modified: Some(timestamp(v.last_modified_ms)),
                    owner: None,
                    version_id: Some(v.version_id.clone()),
                });
            } else {
                versions.push(s3s::dto::ObjectVersion {
                    e_tag: Some(etag(&v.etag)),
                    is_latest: Some(v.is_latest),
                    key: Some(v.key.clone()),
                    last_modified: Some(timestamp(v.last_modified_ms)),
                    size: Some(i64::try_from(v.size).unwrap_or(i64::MAX)),
                    storage_class: Some(ObjectVersionStorageClass::from_static(
                        ObjectVersionStorageClass::STANDARD,
                    )),
                    version_id: Some(v.version_id.clone()),
                    ..Default::default()
                });
            }
        }
        let (next_key, next_version) = page.next.unzip();
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: Some(input.prefix.unwrap_or_default()),
            key_marker: Some(input.key_marker.unwrap_or_default()),
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            max_keys: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(next_key.is_some()),
            next_key_marker: next_key,
            next_version_id_marker: next_version,
            versions: (!versions.is_empty()).then_some(versions),
            delete_markers: (!markers.is_empty()).then_some(markers),
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let object = new_object(input.content_type, input.metadata);
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let upload_id = self
            .blocking(move |s| s.create_upload(&caller.account, &bucket, &key, &object))
            .await?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            ..Default::default()
        }))
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        if !(1..=10_000).contains(&input.part_number) {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            ));
        }
        {
            let (account, bucket, key, upload_id) = (
                caller.account.clone(),
                input.bucket.clone(),
                input.key.clone(),
                input.upload_id.clone(),
            );
            self.blocking(move |s| s.upload(&account, &bucket, &key, &upload_id))
                .await?;
        }
        let blob = self.write_blob(input.body).await?;
        let (bucket, key, upload_id, number) = (input.bucket, input.key, input.upload_id, input.part_number);
        let part = self
            .blocking(move |s| {
                let put = s.put_part(&caller.account, &bucket, &key, &upload_id, number, &blob);
                if put.is_err() {
                    s.discard_blob(blob);
                }
                put
            })
            .await?;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(etag(&part.etag)),
            ..Default::default()
        }))
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let (bucket, key, upload_id) = (input.bucket.clone(), input.key.clone(), input.upload_id.clone());
        let parts = self
            .blocking(move |s| s.list_parts(&caller.account, &bucket, &key, &upload_id))
            .await?;
        let after = input.part_number_marker.unwrap_or(0);
        let max = usize::try_from(input.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let remaining: Vec<_> = parts.into_iter().filter(|p| p.part_number > after).collect();
        let truncated = remaining.len() > max;
        let page: Vec<_> = remaining.into_iter().take(max).collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            is_truncated: Some(truncated),
            max_parts: Some(i32::try_from(max).unwrap_or(1000)),
            part_number_marker: Some(after),
            next_part_number_marker: page.last().map(|p| p.part_number),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            parts: Some(
                page.into_iter()
                    .map(|p| s3s::dto::Part {
                        e_tag: Some(etag(&p.etag)),
                        last_modified: Some(timestamp(p.last_modified_ms)),
                        part_number: Some(p.part_number),
                        size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let bucket = input.bucket.clone();
        let uploads = self
            .blocking(move |s| s.list_uploads(&caller.account, &bucket, &prefix))
            .await?;
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            is_truncated: Some(false),
            max_uploads: Some(1000),
            uploads: Some(
                uploads
                    .into_iter()
                    .map(|u| MultipartUpload {
                        initiated: Some(timestamp(u.created_ms)),
                        key: Some(u.key),
                        upload_id: Some(u.upload_id),
                        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let (bucket, key, upload_id) = (input.bucket, input.key, input.upload_id);
        self.blocking(move |s| s.abort_upload(&caller.account, &bucket, &key, &upload_id))
            .await?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let caller = self.identity.caller(&req)?;
        let input = req.input;
        let parts: Vec<(i32, String)> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                (
                    p.part_number.unwrap_or(0),
                    p.e_tag.map(|e| e.value().to_owned()).unwrap_or_default(),
                )
            })
            .collect();
        let (bucket, key, upload_id) = (input.bucket.clone(), input.key.clone(), input.upload_id);
        let (versioned, version) = self
            .blocking(move |s| {
                let versioned = s.bucket(&caller.account, &bucket)?.versioning.is_some();
                let version = s.complete_upload(&caller.account, &bucket, &key, &upload_id, &parts)?;
                Ok((versioned, version))
            })
            .await?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            e_tag: Some(etag(&version.etag)),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            version_id: version_header(versioned, &version),
            ..Default::default()
        }))
    }
}

/// CreateBucket's `LocationConstraint` against the region the request was signed for, as S3 checks it.
fn check_location(region: &str, constraint: Option<&str>) -> S3Result<()> {
    match (region, constraint) {
        ("us-east-1", None | Some("")) => Ok(()),
        ("us-east-1", Some(_)) => Err(S3Error::with_message(
            S3ErrorCode::InvalidLocationConstraint,
            "The specified location-constraint is not valid",
        )),
        (_, None | Some("")) => Err(S3Error::with_message(
            S3ErrorCode::IllegalLocationConstraintException,
            "The unspecified location constraint is incompatible for the region specific endpoint this request \
             was sent to.",
        )),
        (region, Some(c)) if c != region => Err(S3Error::with_message(
            S3ErrorCode::IllegalLocationConstraintException,
            format!(
                "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
            ),
        )),
        _ => Ok(()),
    }
}

fn max_keys(given: Option<i32>) -> S3Result<usize> {
    match given {
        None => Ok(MAX_KEYS),
        Some(n) if n < 0 => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "max-keys cannot be negative",
        )),
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_KEYS).min(MAX_KEYS)),
    }
}

fn list_entry(o: &ObjectVersion) -> Object {
    Object {
        e_tag: Some(etag(&o.etag)),
        key: Some(o.key.clone()),
        last_modified: Some(timestamp(o.last_modified_ms)),
        size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        ..Default::default()
    }
}

/// A continuation token: the last key (or common prefix) of the page, hex-encoded.
fn encode_token(after: &str) -> String {
    hex::encode(after.as_bytes())
}

fn decode_token(token: &str) -> S3Result<String> {
    hex::decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "The continuation token provided is incorrect",
            )
        })
}
