//! The aws-chunked body of `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: chunks of
//! `<hex size>;chunk-signature=<64 hex>\r\n<data>\r\n`, ended by a chunk of size 0, each chunk's
//! signature chained from the previous one (the first from the request's seed signature).
//!
//! Spec: <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>.

use crate::AuthError;
use crate::sigv4::{EMPTY_SHA256, SigningKey, sha256_hex};

/// What verifying the chunks of one request needs: the request's signing key, time, scope and seed
/// signature.
#[derive(Debug, Clone)]
pub struct ChunkContext {
    /// The signing key of the request.
    pub key: SigningKey,
    /// The request's `X-Amz-Date`.
    pub amz_date: String,
    /// The request's scope line (`20130524/us-east-1/s3/aws4_request`).
    pub scope: String,
    /// The request's own signature, which the first chunk's chains from.
    pub seed_signature: String,
}

impl ChunkContext {
    /// The signature a chunk with `data` must carry after `previous`.
    pub fn chunk_signature(&self, previous: &str, data: &[u8]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            sha256_hex(data)
        );
        self.key.sign(&string_to_sign)
    }
}

fn malformed(what: &str) -> AuthError {
    AuthError::Chunked(format!("The aws-chunked body is malformed: {what}."))
}

/// Decodes a whole aws-chunked body, verifying every chunk's signature, and returns the payload. A body
/// that ends before its final empty chunk, or carries bytes after it, is refused.
pub fn decode(context: &ChunkContext, body: &[u8]) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    let mut previous = context.seed_signature.clone();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| malformed("a chunk header has no CRLF"))?;
        let header =
            std::str::from_utf8(&rest[..line_end]).map_err(|_| malformed("a chunk header is not ASCII"))?;
        rest = &rest[line_end + 2..];
        let (size, extension) = header
            .split_once(';')
            .ok_or_else(|| malformed("a chunk header has no chunk-signature"))?;
        let size =
            usize::from_str_radix(size.trim(), 16).map_err(|_| malformed("a chunk size is not hex"))?;
        let signature = extension
            .trim()
            .strip_prefix("chunk-signature=")
            .ok_or_else(|| malformed("a chunk header has no chunk-signature"))?;
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err(malformed("a chunk is shorter than its size"));
        }
        let data = &rest[..size];
        rest = &rest[size + 2..];
        let expected = context.chunk_signature(&previous, data);
        let given = hex::decode(signature).unwrap_or_default();
        let wanted = hex::decode(&expected).unwrap_or_default();
        if !bool::from(subtle::ConstantTimeEq::ct_eq(given.as_slice(), wanted.as_slice())) {
            return Err(AuthError::Chunked(
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.".into(),
            ));
        }
        if size == 0 {
            if !rest.is_empty() {
                return Err(malformed("bytes follow the final chunk"));
            }
            return Ok(out);
        }
        out.extend_from_slice(data);
        previous = expected;
    }
}

/// Encodes `payload` as aws-chunked with chunks of `chunk_size` bytes, signed from `context` (what an
/// SDK sends; used by tests and by clients of lamina's own services).
pub fn encode(context: &ChunkContext, payload: &[u8], chunk_size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 256);
    let mut previous = context.seed_signature.clone();
    let chunks = payload.chunks(chunk_size.max(1)).chain(std::iter::once(&[][..]));
    for data in chunks {
        let signature = context.chunk_signature(&previous, data);
        out.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        previous = signature;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's example (S3 API Reference, "Signature calculations for the Authorization header:
    /// Transferring payload in multiple chunks"): 66560 bytes of 'a' in chunks of 65536 and 1024.
    fn example() -> ChunkContext {
        ChunkContext {
            key: SigningKey::derive(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "20130524",
                "us-east-1",
                "s3",
            ),
            amz_date: "20130524T000000Z".into(),
            scope: "20130524/us-east-1/s3/aws4_request".into(),
            seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
        }
    }

    #[test]
    fn chunk_signatures_match_awss_example() {
        let context = example();
        let first = context.chunk_signature(&context.seed_signature, &[b'a'; 65536]);
        assert_eq!(
            first,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let second = context.chunk_signature(&first, &[b'a'; 1024]);
        assert_eq!(
            second,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let last = context.chunk_signature(&second, b"");
        assert_eq!(
            last,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    #[test]
    fn encoded_bodies_decode_and_tampering_is_refused() {
        let context = example();
        let payload = vec![b'a'; 66560];
        let body = encode(&context, &payload, 65536);
        assert!(body.starts_with(b"10000;chunk-signature=ad80c730"));
        assert_eq!(decode(&context, &body).expect("decode"), payload);

        let mut flipped = body.clone();
        let at = flipped.len() - 200;
        flipped[at] = b'b';
        assert!(decode(&context, &flipped).is_err(), "changed data");

        let truncated = &body[..body.len() - 10];
        assert!(decode(&context, truncated).is_err(), "no final chunk");

        let mut trailing = body.clone();
        trailing.extend_from_slice(b"x");
        assert!(decode(&context, &trailing).is_err(), "bytes after the end");

        let other_seed = ChunkContext {
            seed_signature: "0".repeat(64),
            ..context.clone()
        };
        assert!(decode(&other_seed, &body).is_err(), "chained from another seed");

        // Chunks reordered or dropped break the chain.
        let small = encode(&context, b"abcdef", 2);
        assert_eq!(decode(&context, &small).expect("small"), b"abcdef");
        let text = String::from_utf8(small).expect("ascii");
        let mut parts: Vec<&str> = text.split_inclusive("\r\n").collect();
        parts.swap(0, 2);
        parts.swap(1, 3);
        assert!(decode(&context, parts.concat().as_bytes()).is_err(), "reordered");
        assert!(decode(&context, b"").is_err());
        assert!(decode(&context, b"zz;chunk-signature=00\r\n").is_err());
    }
}
