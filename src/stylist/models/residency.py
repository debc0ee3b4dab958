"""The one model residency manager: every model a process keeps loaded (image pipelines, the looks' and the
reference-editing models, the fashion CLIP, the product index, the video backends) is held here, with its size
and device, so that a worker serving looks, spins and search on one GPU can make room for the next job.

A device has a memory budget (`STYLIST_MEMORY_BUDGET_GB`, else 90 % of a GPU's memory; the CPU's is
unbounded). When loading a model would go over it, the least recently used models on that device are dropped
(and CUDA's cache emptied); the next job that asks for one loads it again. Models are dropped rather than
moved to the CPU: a dropped model costs a reload from disk, one moved to the CPU would keep holding RAM and
still need moving back. A worker runs one job at a time, so nothing dropped is in use.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
BUDGET_VARIABLE = "STYLIST_MEMORY_BUDGET_GB"
GPU_SHARE = 0.9  # of a GPU's memory that models may hold; the rest is the jobs' activations


@dataclass
class Resident:
    value: Any
    device: str  # "cpu" or "cuda", the kind of device it lives on
    size_bytes: int
    stamp: str  # what it was built from (a file's mtime and size): another stamp means build it again


class Residency:
    def __init__(self, budgets: dict[str, int | None] | None = None) -> None:
        self._residents: OrderedDict[Hashable, Resident] = OrderedDict()  # least recently used first
        self._budgets = budgets  # per device kind; None: from the environment and the hardware
        self._lock = threading.RLock()

    def load(self, key: Hashable, build: Callable[[], T], *, device: str = "cpu", stamp: str = "",
             expected_bytes: Callable[[], int | None] | None = None) -> T:
        """The model under `key`, built by `build` on first use (or when `stamp` changed), room made for it on
        `device` ("cpu", "cuda", "cuda:0") by dropping the least recently used models there first.

        Room is made before `build` runs, for `expected_bytes()` (what the caller knows the model will take, read
        from its files; asked only when building) or the size it had when last held: made only afterwards, the new model and the old ones
        would share the device for a moment and could run it out of memory."""
        kind = device.split(":")[0]
        with self._lock:
            resident = self._residents.get(key)
            if resident is not None and resident.stamp == stamp:
                self._residents.move_to_end(key)
                return resident.value
            expected = max((expected_bytes() if expected_bytes else None) or 0,
                           resident.size_bytes if resident is not None else 0)
            self._residents.pop(key, None)
            self._make_room(kind, expected)
            value = build()
            self._residents[key] = Resident(value, kind, model_bytes(value), stamp)
            self._make_room(kind, 0, keep=key)
            return value

    def release(self, device: str) -> None:
        """Drop every model held on `device`'s kind: a training job needs the whole device for itself."""
        kind = device.split(":")[0]
        with self._lock:
            for key in [key for key, each in self._residents.items() if each.device == kind]:
                del self._residents[key]
            _empty_cache(kind)

    def clear(self) -> None:
        """Forget every model (tests start from nothing; a worker never needs this)."""
        with self._lock:
            self._residents.clear()

    def resident(self) -> list[tuple[Hashable, str, int]]:
        """(key, device, bytes) of every model held, least recently used first."""
        with self._lock:
            return [(key, each.device, each.size_bytes) for key, each in self._residents.items()]

    def used_bytes(self, kind: str) -> int:
        with self._lock:
            return sum(each.size_bytes for each in self._residents.values() if each.device == kind)

    def budget_bytes(self, kind: str) -> int | None:
        if self._budgets is not None:
            return self._budgets.get(kind)
        if os.environ.get(BUDGET_VARIABLE):
            return int(float(os.environ[BUDGET_VARIABLE]) * 1e9) if kind != "cpu" else None
        if kind == "cuda":
            import torch

            return int(GPU_SHARE * torch.cuda.get_device_properties(0).total_memory)
        return None

    def _make_room(self, kind: str, needed: int, keep: Hashable | None = None) -> None:
        budget = self.budget_bytes(kind)
        if budget is None:
            return
        for key in [key for key, each in self._residents.items() if each.device == kind and key != keep]:
            if self.used_bytes(kind) + needed <= budget:
                return
            dropped = self._residents.pop(key)
            log.info("dropped %s from %s to make room (%.2f GB)", key, kind, dropped.size_bytes / 1e9)
            del dropped
            _empty_cache(kind)


def model_bytes(value: Any) -> int:
    """The bytes of every weight and buffer in `value`: a torch module, a diffusers pipeline (its components),
    or an object holding one in `.pipeline` or `.model`; 0 for anything else (a faiss index counts its own).
    An object that keeps part of its models off the device says what it holds there in `.device_bytes`."""
    import torch

    held = getattr(value, "device_bytes", None)
    if held is not None:
        return int(held)

    if isinstance(value, torch.nn.Module):
        tensors = [*value.parameters(), *value.buffers()]
        return sum(tensor.numel() * tensor.element_size() for tensor in tensors)
    components = getattr(value, "components", None)
    if isinstance(components, dict):
        return sum(model_bytes(part) for part in components.values() if isinstance(part, torch.nn.Module))
    for attribute in ("pipeline", "model"):
        inner = getattr(value, attribute, None)
        if inner is not None and inner is not value:
            return model_bytes(inner)
    return int(getattr(value, "size_bytes", 0) or 0)


def _empty_cache(kind: str) -> None:
    if kind == "cuda":
        import torch

        torch.cuda.empty_cache()


# The process's one manager.
RESIDENCY = Residency()
