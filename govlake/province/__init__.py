"""A sample province: realistic, misbehaving department deliveries with ground truth (issue 3)."""
