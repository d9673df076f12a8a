use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The `CodeSha256` Lambda reports for a package: the base64 (standard alphabet, padded) of the SHA-256
/// of the zip's bytes, 44 characters long.
pub fn code_sha256(zip_bytes: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(zip_bytes))
}

/// [`code_sha256`] of a file, streamed so that a large package is never held in memory.
pub fn code_sha256_of_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(STANDARD.encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_known_digest_of_empty_input() {
        // sha256("") = e3b0c442...b855, base64-encoded.
        assert_eq!(code_sha256(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    #[test]
    fn file_and_slice_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).expect("write");
        assert_eq!(code_sha256_of_file(&path).expect("hash"), code_sha256(&data));
    }
}
