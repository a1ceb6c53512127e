"""Placeholder replaced by the attribution engine."""

from analytics.registry import RunContext


def compute_attribution(context: RunContext) -> dict:
    raise NotImplementedError("the attribution engine is being written")
