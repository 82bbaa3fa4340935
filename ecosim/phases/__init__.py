"""The daily phases, one module each: functions of the world's state (``ecosim.state``).

The model runs them in the order of docs/model.md, section 3 (process overview and
scheduling); docs/architecture.md shows how they fit together.
"""
