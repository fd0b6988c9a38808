"""Fetching sources, extracting their text, and judging liveness and change."""
