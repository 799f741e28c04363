//! Integration tests of the burstgpt-convert binary.
