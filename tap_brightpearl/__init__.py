"""Singer tap for Brightpearl, built with the Meltano Singer SDK."""
