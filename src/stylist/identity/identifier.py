"""Pivotal tuning: train the identifier token's own embedding beside the LoRA, so that "sks" comes to mean the person.

A rare identifier's embedding is one the base model never learnt to read. The LoRA on the text encoders
can only reshape what the encoders make of it, and the micro-world (docs/microworld.md) showed that
this is not enough once the base model follows its prompts well: the identity appeared as often for
"a person" as for "sks person". Training the identifier's embedding vector, as textual inversion does and
as diffusers' advanced DreamBooth-LoRA script does beside a LoRA, separated the two.

Each text encoder's token embedding is wrapped in `IdentifierEmbedding`, which swaps in a trained vector
wherever the identifier's token id appears. The encoder's own embedding table stays frozen and untouched,
so only a few hundred numbers are trained, saved and loaded, and unwrapping gives the base model back
exactly.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import DiffusionPipeline
from safetensors.torch import load_file, save_file

from stylist.errors import StylistError

IDENTIFIER_WEIGHTS = "identifier_embeddings.safetensors"
# A pipeline's text encoders and the tokenizer each one reads.
ENCODER_TOKENIZERS = {"text_encoder": "tokenizer", "text_encoder_2": "tokenizer_2"}


class IdentifierEmbedding(torch.nn.Module):
    """A token embedding table with one row replaced by a vector of its own, which is what trains."""

    def __init__(self, table: torch.nn.Embedding, token_id: int, vector: torch.Tensor | None = None) -> None:
        super().__init__()
        self.table = table
        self.token_id = token_id
        # Training starts from the token's own embedding, as textual inversion does.
        start = table.weight[token_id] if vector is None else vector
        self.vector = torch.nn.Parameter(start.detach().to(device=table.weight.device, dtype=torch.float32).clone())

    @property
    def weight(self) -> torch.Tensor:
        """The frozen table, for code that reads an input embedding's weight (its dtype, device or size)."""
        return self.table.weight

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        embeddings = self.table(token_ids)
        hits = (token_ids == self.token_id).unsqueeze(-1)
        return torch.where(hits, self.vector.to(embeddings.dtype), embeddings)


def identifier_token_id(tokenizer, identifier: str) -> int:
    """The identifier's one token id; an identifier the tokenizer splits into several tokens cannot be trained."""
    token_ids = tokenizer(identifier, add_special_tokens=False).input_ids
    if len(token_ids) != 1:
        raise StylistError(f"the identifier {identifier!r} is {len(token_ids)} tokens to this tokenizer; pivotal "
                           "tuning trains one token's embedding: choose a rare single-token word such as 'sks'")
    return token_ids[0]


def attach_identifiers(pipeline: DiffusionPipeline, identifier: str,
                       vectors: dict[str, torch.Tensor] | None = None) -> dict[str, IdentifierEmbedding]:
    """Wrap every text encoder's token embedding; starting from `vectors` (by encoder name) when given."""
    detach_identifiers(pipeline)
    attached = {}
    for name, tokenizer_name in ENCODER_TOKENIZERS.items():
        encoder = getattr(pipeline, name, None)
        if encoder is None:
            continue
        token_id = identifier_token_id(getattr(pipeline, tokenizer_name), identifier)
        wrapper = IdentifierEmbedding(encoder.get_input_embeddings(), token_id, (vectors or {}).get(name))
        encoder.set_input_embeddings(wrapper)
        attached[name] = wrapper
    return attached


def detach_identifiers(pipeline: DiffusionPipeline) -> None:
    """Give every text encoder its own token embedding back, exactly as it was."""
    for name in ENCODER_TOKENIZERS:
        encoder = getattr(pipeline, name, None)
        if encoder is not None and isinstance(encoder.get_input_embeddings(), IdentifierEmbedding):
            encoder.set_input_embeddings(encoder.get_input_embeddings().table)


def identifier_parameters(modules: list[torch.nn.Module]) -> list[torch.nn.Parameter]:
    """The trained identifier vectors inside `modules`; they train at a learning rate of their own."""
    return [module.vector for root in modules for module in root.modules() if isinstance(module, IdentifierEmbedding)]


def save_identifiers(pipeline: DiffusionPipeline, folder: Path) -> str | None:
    """Write the pipeline's identifier vectors to `folder`; the file name, or None when there are none."""
    vectors = {}
    for name in ENCODER_TOKENIZERS:
        encoder = getattr(pipeline, name, None)
        wrapper = encoder.get_input_embeddings() if encoder is not None else None
        if isinstance(wrapper, IdentifierEmbedding):
            vectors[name] = wrapper.vector.detach().cpu().contiguous()
    if not vectors:
        return None
    save_file(vectors, str(folder / IDENTIFIER_WEIGHTS))
    return IDENTIFIER_WEIGHTS


def load_identifiers(pipeline: DiffusionPipeline, file: Path, identifier: str) -> None:
    """Put the vectors `save_identifiers` wrote into `pipeline`'s text encoders."""
    try:
        vectors = load_file(str(file))
    except FileNotFoundError:
        raise StylistError(f"the identity in {file.parent} is incomplete ({file.name} is missing): train it again") from None
    attach_identifiers(pipeline, identifier, vectors)
