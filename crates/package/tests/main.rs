//! Integration tests of lamina-package's public API. Where a new test goes:
//! - `write`: packages built by `PackageBuilder` (names, modes, determinism);
//! - `inspect`: the corpus of bad packages, one finding each;
//! - `extract`: the safe extractor, and that nothing lands outside its target;
//! - `util`: builders for raw zips and minimal ELF files shared by the others.

mod extract;
mod inspect;
mod util;
mod write;
