"""Tests of every benchmark: the package stylist.evaluate.bench (what `stylist bench gpu` runs) and the scripts in
benchmarks/ (thin command lines over that package, or self-contained ones for the CPU-side benchmarks)."""
