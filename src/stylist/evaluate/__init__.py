"""Evaluation: the metrics looks are judged by, and the reports that use them."""
