"""Blueprints. Views are thin: load → check access → validate → one service call → redirect."""
