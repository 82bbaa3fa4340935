"""The actors, one module each: columnar state tables and their Mesa ``Agent`` views."""
