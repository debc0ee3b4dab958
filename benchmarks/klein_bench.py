"""klein benchmark: seconds per look and peak memory of reference editing on the full-size FLUX.2 klein 4B
architecture, with 1, 2 and 4 references, with and without torch.compile, and the text encoder's share.

    .venv/bin/python benchmarks/klein_bench.py --out benchmarks/results/klein-<machine>.json   # GPU
    .venv/bin/python benchmarks/klein_bench.py --preset tiny-klein --device cpu --compile off --out x.json

The benchmark is `stylist.evaluate.bench.klein`, which `stylist bench gpu` runs too; this script is its
command line (`--help` lists the options).
"""

from stylist.evaluate.bench.klein import main

if __name__ == "__main__":
    main()
