"""The same tap on the SDK's defaults (simplejson writer, per-message flush, recursive
conformance): the B3 baseline. `python -m bench.sdk_defaults --config ... --catalog ...`
"""

from __future__ import annotations

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.io_base import SingerWriter

from tap_brightpearl.streams.developer_tools import DeveloperToolsStream
from tap_brightpearl.tap import TapBrightpearl


class SdkDefaultsTap(TapBrightpearl):
    """TapBrightpearl with the SDK's default writer."""

    message_writer_class = SingerWriter


if __name__ == "__main__":
    DeveloperToolsStream.TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.RECURSIVE
    SdkDefaultsTap.cli()
