//! Integration tests of the `datagen` binary.
