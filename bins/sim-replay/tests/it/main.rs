//! Integration tests of the sim-replay binary.
