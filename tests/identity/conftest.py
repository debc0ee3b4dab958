"""Identity tests train on the same photos of the astronaut that photo intake is tested with."""

from tests.people.conftest import bad_photos, good_photos  # noqa: F401  (session fixtures, shared)
