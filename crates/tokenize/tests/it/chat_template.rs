//! Chat templates from `tokenizer_config.json`.

use std::path::PathBuf;

use servebench_tokenize::{ChatMessage, ChatTemplate, Error};

fn qwen3_config() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tokenizers/qwen3/tokenizer_config.json"
    ))
}

#[test]
fn qwen3_template_renders_the_chatml_prompt() {
    let template = ChatTemplate::from_config_file(&qwen3_config())
        .unwrap()
        .expect("the Qwen3 config has a chat template");
    let user = [ChatMessage {
        role: "user",
        content: "Hello",
    }];
    // The ChatML layout Qwen documents for its models.
    assert_eq!(
        template.render(&user, true).unwrap(),
        "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
    );
    assert_eq!(
        template.render(&user, false).unwrap(),
        "<|im_start|>user\nHello<|im_end|>\n"
    );
    let with_system = [
        ChatMessage {
            role: "system",
            content: "Be brief.",
        },
        user[0],
    ];
    assert_eq!(
        template.render(&with_system, true).unwrap(),
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn configs_without_a_template_or_file_give_none_and_broken_ones_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        ChatTemplate::from_config_file(&dir.path().join("absent.json"))
            .unwrap()
            .is_none()
    );
    let none = dir.path().join("none.json");
    std::fs::write(&none, r#"{"bos_token": "<s>"}"#).unwrap();
    assert!(ChatTemplate::from_config_file(&none).unwrap().is_none());

    let llama_like = dir.path().join("llama.json");
    std::fs::write(
        &llama_like,
        r#"{"bos_token": {"content": "<s>"}, "chat_template": [{"name": "default", "template": "{{ bos_token }}{% for m in messages %}{% if m.role == 'assistant' %}{{ raise_exception('no') }}{% endif %}[{{ m.role }}]{{ m.content | trim }}{% endfor %}"}]}"#,
    )
    .unwrap();
    let t = ChatTemplate::from_config_file(&llama_like)
        .unwrap()
        .unwrap();
    let hi = ChatMessage {
        role: "user",
        content: " hi ",
    };
    assert_eq!(t.render(&[hi], true).unwrap(), "<s>[user]hi");
    let err = t
        .render(
            &[ChatMessage {
                role: "assistant",
                content: "x",
            }],
            true,
        )
        .unwrap_err();
    assert!(matches!(err, Error::ChatTemplate { .. }), "{err}");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"chat_template": "{% for %}"}"#).unwrap();
    let err = ChatTemplate::from_config_file(&broken).unwrap_err();
    assert!(err.to_string().contains("does not compile"), "{err}");
    assert!(
        err.to_string().contains(&broken.display().to_string()),
        "{err}"
    );
}
