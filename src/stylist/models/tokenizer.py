"""The real CLIP BPE tokenizer, built offline from the vocabulary that ships inside the open_clip wheel.

Building it in memory takes about 0.1 s, faster than reading a saved tokenizer.json back (about 0.4 s),
so nothing is cached on disk: the parsed vocabulary is cached per process and each call returns a new
tokenizer, because a trainer may add tokens to its own copy.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

from open_clip.tokenizer import bytes_to_unicode, default_bpe
from transformers import CLIPTokenizer, Qwen2TokenizerFast

CONTEXT_LENGTH = 77
VOCAB_SIZE = 49408
# open_clip's names for CLIP's special tokens; with any other names transformers would add two new ids
# (49408, 49409), which overflow the text encoders' embeddings.
BOS_TOKEN = "<start_of_text>"
EOS_TOKEN = "<end_of_text>"
# The BPE file holds more merges than CLIP uses: CLIP keeps the first 49152 - 256 - 2 of them.
MERGES = 49152 - 256 - 2


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, int], tuple[tuple[str, str], ...]]:
    """CLIP's vocabulary and merges, in the same order as open_clip.tokenizer.SimpleTokenizer builds them."""
    with gzip.open(default_bpe()) as file:
        lines = file.read().decode("utf-8").split("\n")
    merges = tuple(tuple(line.split()) for line in lines[1 : MERGES + 1])
    byte_tokens = list(bytes_to_unicode().values())
    tokens = byte_tokens + [token + "</w>" for token in byte_tokens] + ["".join(merge) for merge in merges]
    tokens += [BOS_TOKEN, EOS_TOKEN]
    return {token: index for index, token in enumerate(tokens)}, merges


def clip_tokenizer() -> CLIPTokenizer:
    """A new `transformers.CLIPTokenizer` with CLIP's 49,408 ids, padding with end-of-text to 77 tokens."""
    vocab, merges = _vocabulary()
    return CLIPTokenizer(
        vocab=dict(vocab),
        merges=list(merges),
        model_max_length=CONTEXT_LENGTH,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=EOS_TOKEN,
        unk_token=EOS_TOKEN,
    )


# Qwen3's special tokens and chat markers, at the ids its own vocabulary gives them (the real ids only matter
# to the real model, which ships its own tokenizer; these keep the tiny encoder's inputs shaped alike).
QWEN_SPECIAL_TOKENS = {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645}
# The part of Qwen3's chat template that FLUX.2 klein uses: one user turn, then the assistant's turn with
# thinking switched off, exactly as the real template renders it.
QWEN_CHAT_TEMPLATE = (
    "{%- for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}"
    "{%- endif %}"
)


def chat_tokenizer() -> Qwen2TokenizerFast:
    """A byte-level BPE tokenizer with Qwen3's special tokens and chat template, built offline from CLIP's merges.

    For the tiny klein text encoder, which is random: any byte-level vocabulary will do, and CLIP's is at
    hand. Merges that end a word (`</w>`) belong to CLIP's word-level scheme and are dropped.
    """
    _, merges = _vocabulary()
    kept = [merge for merge in merges if not any(part.endswith("</w>") for part in merge)]
    tokens = list(dict.fromkeys([*bytes_to_unicode().values(), *("".join(merge) for merge in kept)]))
    vocab = {token: index for index, token in enumerate(tokens)}
    vocab.update(QWEN_SPECIAL_TOKENS)  # placed before construction, or the constructor gives them new ids
    return Qwen2TokenizerFast(
        vocab=vocab,
        merges=list(kept),
        unk_token=None,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        chat_template=QWEN_CHAT_TEMPLATE,
    )
