//! Integration tests of the sin-synth binary.
