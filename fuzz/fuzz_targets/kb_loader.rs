//! Arbitrary bytes as a KB entry file and as a code table: loading must return Ok or a located
//! error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = rdperr::Kb::builder().file("kb/rdp/rdp-fuzz.toml", text.clone()).build();
    let _ = rdperr::Kb::builder().file("kb/codes/win32.toml", text).build();
});
