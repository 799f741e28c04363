//! Integration tests of servebench-tokenize against real `tokenizer.json` files.

mod chat_template;
mod hf_files;
mod hub_cache;
mod qwen3;
