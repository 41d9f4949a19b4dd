"""The stream classes: developer-tools streams, and the one account stream every row builds (row_stream.py)."""
