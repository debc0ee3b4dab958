"""Video benchmark: seconds and peak GPU memory of a 3-second spin with each backend on full-size architectures.

    .venv/bin/python benchmarks/video_bench.py --out benchmarks/results/video-<machine>.json
    .venv/bin/python benchmarks/video_bench.py --preset tiny --device cpu --out x.json

The benchmark is `stylist.evaluate.bench.video`, which `stylist bench gpu` runs too; this script is its
command line (`--help` lists the options).
"""

from stylist.evaluate.bench.video import main

if __name__ == "__main__":
    main()
