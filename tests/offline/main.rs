//! One test binary for everything that needs no emulator. Each part declares its module here.

mod html;
mod soa;
