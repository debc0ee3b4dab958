"""Spin videos: a pose-driven video model turns the person in their chosen look once around."""
