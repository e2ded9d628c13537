//! Tests that need no emulator, one binary for all of them (one module per part).

mod sarif;
