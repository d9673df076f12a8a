//! `TemplateURL`: a template that `sam deploy` and `aws cloudformation deploy` upload to S3 first. The
//! URL names a bucket and key, in any of the forms the tools write (`https://s3.amazonaws.com/b/k`,
//! `https://b.s3.<region>.amazonaws.com/k`, lamina's own endpoint path- or host-style); the object is
//! read from lamina's S3 through [`Objects`].

use std::future::Future;
use std::pin::Pin;

use lamina_query::QueryError;

use crate::actions::TEMPLATE_URL_MAX;

/// Reads objects of lamina's S3 for an account.
pub trait Objects: Send + Sync {
    /// The object `key` of `bucket` (the current version), if `account` may read it; at most `limit`
    /// bytes are read (a larger object is an error).
    fn read<'a>(
        &'a self,
        account: &'a str,
        bucket: &'a str,
        key: &'a str,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send + 'a>>;
}

/// CloudFormation's answer to a `TemplateURL` it cannot read.
fn unreadable() -> QueryError {
    QueryError::validation("TemplateURL must reference a valid S3 object to which you have access.")
}

/// The bucket and key a template URL names.
pub(crate) fn location(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let host = host.split(':').next()?;
    let path = path.split('?').next()?;
    let decode = |s: &str| percent_decode(s);
    let first = host.split('.').next()?;
    let virtual_host =
        host.contains(".s3.") || host.contains(".s3-") || (host.ends_with(".localhost") && first != "s3");
    if virtual_host && !first.is_empty() {
        return Some((first.to_owned(), decode(path)?)).filter(|(_, k)| !k.is_empty());
    }
    let (bucket, key) = path.split_once('/')?;
    Some((decode(bucket)?, decode(key)?)).filter(|(b, k)| !b.is_empty() && !k.is_empty())
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The template at `url`, read for `account`.
pub(crate) async fn read(
    objects: Option<&dyn Objects>,
    account: &str,
    url: &str,
) -> Result<String, QueryError> {
    let (Some(objects), Some((bucket, key))) = (objects, location(url)) else {
        return Err(unreadable());
    };
    let bytes = objects
        .read(account, &bucket, &key, TEMPLATE_URL_MAX)
        .await
        .map_err(|e| {
            tracing::info!(%url, "cannot read the template: {e}");
            unreadable()
        })?;
    String::from_utf8(bytes)
        .map_err(|_| QueryError::validation("Template format error: the template is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_the_tools_write() {
        let expect = Some(("bucket".to_owned(), "app/template.yaml".to_owned()));
        for url in [
            "https://s3.amazonaws.com/bucket/app/template.yaml",
            "https://s3.us-east-1.amazonaws.com/bucket/app/template.yaml",
            "https://bucket.s3.amazonaws.com/app/template.yaml",
            "https://bucket.s3.eu-west-1.amazonaws.com/app/template.yaml?versionId=1",
            "http://localhost:9001/bucket/app/template.yaml",
            "http://127.0.0.1:9001/bucket/app/template.yaml",
            "http://bucket.localhost:9001/app/template.yaml",
            "http://s3.localhost:9001/bucket/app%2Ftemplate.yaml",
        ] {
            assert_eq!(location(url), expect, "{url}");
        }
        assert_eq!(location("ftp://x/y/z"), None);
        assert_eq!(location("https://s3.amazonaws.com/bucket"), None);
    }
}
