"""The daily phases, one module each, in the order the model runs them (see DESIGN.md)."""
