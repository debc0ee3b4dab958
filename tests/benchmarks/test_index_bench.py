"""The index benchmark runs on a small catalog and the tiny CLIP, and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "index_bench.py"


def test_small_run_writes_the_numbers(tmp_path):
    spec = importlib.util.spec_from_file_location("index_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "index.json"
    bench.main(["--sizes", "3000", "--queries", "40", "--clip-preset", "tiny", "--device", "cpu",
                "--clip-batch", "4", "--clip-batches", "1", "--out", str(out)])

    results = json.loads(out.read_text())
    assert results["machine"]["faiss"] and results["machine"]["cpu_cores"]
    (size,) = results["index"]
    assert size["products"] == 3000 and size["vectors_bytes"] == 3000 * 512 * 4
    assert 0 < size["exact"]["p50_ms"] <= size["exact"]["p99_ms"]
    for kind, knob in (("hnsw", "ef_search"), ("ivf", "nprobe")):
        sweep = size[kind]["sweep"]
        assert [row[knob] for row in sweep] == sorted(row[knob] for row in sweep)
        assert all(0 <= row["recall_at_10"] <= 1 and row["p50_ms"] > 0 for row in sweep)
        assert sweep[-1]["recall_at_10"] >= sweep[0]["recall_at_10"]  # looking further finds more
    assert size["best_approximate"]["recall_at_10"] >= 0.95
    clip = results["clip"]
    assert clip["model"] == "stylist-tiny-ViT" and clip["image_size"] == 32
    assert clip["images_per_s"] > 0 and clip["texts_per_s"] > 0
