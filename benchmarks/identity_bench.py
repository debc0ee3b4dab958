"""Identity benchmark: DreamBooth-LoRA training steps and image generation on the full-size SDXL architecture.

    .venv/bin/python benchmarks/identity_bench.py --out benchmarks/results/identity-<machine>.json
    .venv/bin/python benchmarks/identity_bench.py --preset tiny --device cpu --train-steps 2 --gen-steps 2 --out x.json

The benchmark is `stylist.evaluate.bench.identity`, which `stylist bench gpu` runs too; this script is its
command line (`--help` lists the options).
"""

from stylist.evaluate.bench.identity import main

if __name__ == "__main__":
    main()
