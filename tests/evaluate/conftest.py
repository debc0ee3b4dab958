"""Fixtures of the evaluation tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def one_thread():
    """Where other processes share the cores, two torch threads spent four times the CPU per step of one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
