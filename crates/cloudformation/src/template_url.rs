//! `TemplateURL`: a template that `sam deploy` and `aws cloudformation deploy` upload to S3 first. The
//! URL names a bucket and key, in any of the forms the tools write (`https://s3.amazonaws.com/b/k`,
//! `https://b.s3.<region>.amazonaws.com/k`, lamina's own endpoint path- or host-style); the object is
//! read from lamina's S3 through `lamina_store::ObjectSource`, as the engine reads code.

use std::io::Read;
use std::sync::Arc;

use lamina_query::QueryError;
use lamina_store::ObjectSource;

use crate::actions::TEMPLATE_URL_MAX;

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

/// The template at `url`, read for `account` in `region` (at most [`TEMPLATE_URL_MAX`] bytes).
pub(crate) async fn read(
    objects: Option<&Arc<dyn ObjectSource>>,
    account: &str,
    region: &str,
    url: &str,
) -> Result<String, QueryError> {
    let (Some(objects), Some((bucket, key))) = (objects, location(url)) else {
        return Err(unreadable());
    };
    let (objects, account, region) = (Arc::clone(objects), account.to_owned(), region.to_owned());
    let read = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let object = objects
            .open_object(&account, &region, &bucket, &key, None)
            .map_err(|e| e.to_string())?;
        if object.size > TEMPLATE_URL_MAX as u64 {
            return Err(format!("the template is {} bytes", object.size));
        }
        let mut bytes = Vec::new();
        object
            .body
            .take(TEMPLATE_URL_MAX as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    })
    .await
    .map_err(|e| QueryError::internal(format!("reading the template failed: {e}")))?;
    let bytes = read.map_err(|e| {
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
