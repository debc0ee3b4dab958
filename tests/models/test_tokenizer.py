"""The CLIP tokenizer built from open_clip's vocabulary matches open_clip and fits the text encoders."""

from __future__ import annotations

import open_clip
import pytest

from stylist.models.tokenizer import CONTEXT_LENGTH, VOCAB_SIZE, clip_tokenizer

TEXTS = [
    "a photo of sks person wearing a red dress",
    "Harry Potter themed party: a long black robe, round glasses & a wand!",
    "naïve café, 3 o'clock, 😀",
]


@pytest.mark.parametrize("text", TEXTS)
def test_ids_match_open_clip_and_pad_to_77_with_end_of_text(text):
    tokenizer = clip_tokenizer()
    ids = tokenizer(text, padding="max_length", max_length=tokenizer.model_max_length, truncation=True).input_ids
    reference = open_clip.tokenize([text])[0].tolist()
    length = reference.index(tokenizer.eos_token_id) + 1
    assert len(ids) == CONTEXT_LENGTH
    assert ids[:length] == reference[:length]
    assert ids[length:] == [tokenizer.eos_token_id] * (CONTEXT_LENGTH - length)
    assert max(ids) < VOCAB_SIZE


def test_round_trip_and_no_new_ids():
    tokenizer = clip_tokenizer()
    assert len(tokenizer) == VOCAB_SIZE
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id) == (49406, 49407, 49407)
    ids = tokenizer("a photo of sks person in a red coat").input_ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "a photo of sks person in a red coat"


def test_long_prompts_are_truncated_to_the_context():
    tokenizer = clip_tokenizer()
    ids = tokenizer("coat " * 200, truncation=True, max_length=tokenizer.model_max_length).input_ids
    assert len(ids) == CONTEXT_LENGTH and ids[-1] == tokenizer.eos_token_id


def test_each_call_gives_an_independent_tokenizer():
    first, second = clip_tokenizer(), clip_tokenizer()
    first.add_tokens(["<sks>"])
    assert len(first) == VOCAB_SIZE + 1 and len(second) == VOCAB_SIZE
