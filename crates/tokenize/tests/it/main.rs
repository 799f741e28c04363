//! Integration tests of servebench-tokenize against real `tokenizer.json` files.

mod hf_files;
mod qwen3;
