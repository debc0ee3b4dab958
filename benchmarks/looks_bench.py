"""Looks benchmark: seconds and peak memory of generating looks on the full-size SDXL architecture, and the
time of every stage of `stylist style` on tiny.

    .venv/bin/python benchmarks/looks_bench.py --out benchmarks/results/looks-<machine>.json          # GPU
    .venv/bin/python benchmarks/looks_bench.py --preset tiny --device cpu --steps 2 --out x.json      # its CPU test
    .venv/bin/python benchmarks/looks_bench.py --stages --out benchmarks/results/looks-stages-<machine>.json

The benchmark is `stylist.evaluate.bench.looks`, which `stylist bench gpu` runs too; this script is its
command line (`--help` lists the options).
"""

from stylist.evaluate.bench.looks import main

if __name__ == "__main__":
    main()
