"""The micro-world: a world small enough to learn on two CPU cores, and the report on whether each trainer learns in it."""
