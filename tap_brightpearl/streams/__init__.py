"""Stream classes, one module per kind of Brightpearl data (the run's order is in stream_list.py)."""
