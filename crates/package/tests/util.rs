//! Builders for test packages, including ones no honest tool would write.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, System, ZipWriter};

/// Writes a zip entry by entry, with whatever names, modes and kinds a test asks for.
pub(crate) struct RawZip {
    zip: ZipWriter<Cursor<Vec<u8>>>,
}

impl RawZip {
    pub(crate) fn new() -> Self {
        RawZip {
            zip: ZipWriter::new(Cursor::new(Vec::new())),
        }
    }

    fn options() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .system(System::Unix)
    }

    /// A file with a Unix mode, as a Unix tool writes it.
    pub(crate) fn file(mut self, name: &str, data: &[u8], mode: u32) -> Self {
        self.zip
            .start_file(name, Self::options().unix_permissions(mode))
            .expect("start");
        self.zip.write_all(data).expect("write");
        self
    }

    /// A file without Unix mode, as Windows tools write it (made by MS-DOS, archive bit only).
    pub(crate) fn dos_file(mut self, name: &str, data: &[u8]) -> Self {
        let options = Self::options().system(System::Dos).external_attributes(0x20);
        self.zip.start_file(name, options).expect("start");
        self.zip.write_all(data).expect("write");
        self
    }

    pub(crate) fn dir(mut self, name: &str, mode: u32) -> Self {
        self.zip
            .add_directory(name, Self::options().unix_permissions(mode))
            .expect("dir");
        self
    }

    pub(crate) fn symlink(mut self, name: &str, target: &str) -> Self {
        self.zip
            .add_symlink(name, target, Self::options())
            .expect("symlink");
        self
    }

    /// `size` zero bytes, which deflate to about a thousandth of that.
    pub(crate) fn zeros(mut self, name: &str, size: u64) -> Self {
        self.zip
            .start_file(
                name,
                Self::options()
                    .unix_permissions(0o644)
                    .large_file(size > u32::MAX as u64),
            )
            .expect("start");
        let chunk = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            self.zip.write_all(&chunk[..n]).expect("write");
            left -= n as u64;
        }
        self
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.zip.finish().expect("finish").into_inner()
    }
}

/// A 64-bit little-endian ELF executable header for `machine`, with no program or section headers:
/// enough for the kernel (and lamina) to tell what it was built for.
pub(crate) fn elf_header(machine: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"\x7fELF");
    h.extend_from_slice(&[2, 1, 1, 0]); // 64-bit, little-endian, version 1, System V ABI
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    h.extend_from_slice(&machine.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes()); // entry
    h.extend_from_slice(&0u64.to_le_bytes()); // phoff
    h.extend_from_slice(&0u64.to_le_bytes()); // shoff
    h.extend_from_slice(&0u32.to_le_bytes()); // flags
    h.extend_from_slice(&64u16.to_le_bytes()); // ehsize
    h.extend_from_slice(&56u16.to_le_bytes()); // phentsize
    h.extend_from_slice(&0u16.to_le_bytes()); // phnum
    h.extend_from_slice(&64u16.to_le_bytes()); // shentsize
    h.extend_from_slice(&0u16.to_le_bytes()); // shnum
    h.extend_from_slice(&0u16.to_le_bytes()); // shstrndx
    h
}

pub(crate) const EM_X86_64: u16 = 62;
pub(crate) const EM_AARCH64: u16 = 183;
pub(crate) const EM_386: u16 = 3;
