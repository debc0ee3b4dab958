"""How much a person may ask for: the ranges the pipelines enforce and the CLI and web API offer.

Free of torch and the models, so that the web process (which never imports torch) checks requests against
the same numbers the pipelines do.
"""

# Options in one look: each is a full image generation, so more makes a look slow to arrive.
MAX_OPTIONS = 8
# A spin long enough to see the back of a garment, short enough to make in seconds on one GPU.
MIN_SPIN_SECONDS, MAX_SPIN_SECONDS = 1, 10
MIN_SPIN_FPS, MAX_SPIN_FPS = 4, 30
# A look's recipe as the web API takes it (the CLI leaves these to the person at the keyboard): room to compare
# recipes, not enough for one request to hold the GPU for an hour.
MAX_CANDIDATES = 8
MAX_STEPS = 100
MAX_ADAPTER_SCALE = 2.0
MAX_CLIP_GUIDANCE = 10.0
