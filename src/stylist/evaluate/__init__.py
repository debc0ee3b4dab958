"""Evaluation: what people chose in the web app, and (later) metrics, ablations and benchmarks."""
