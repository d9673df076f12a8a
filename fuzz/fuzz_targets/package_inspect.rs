//! `lamina_package::inspect` on arbitrary bytes as a zip: it never panics, reports rather than fails
//! (a read from memory cannot fail), and its sizes are consistent with the input.
#![no_main]

use std::io::Cursor;

use lamina_package::{InspectOptions, inspect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = inspect(Cursor::new(data), &InspectOptions::default())
        .expect("inspecting bytes in memory never fails to read");
    assert_eq!(report.zipped_size, data.len() as u64);
    if report.is_deployable() {
        assert!(report.bootstrap.is_some(), "a deployable package has a bootstrap");
    }
});
