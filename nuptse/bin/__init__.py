"""lhotse's ``lhotse.bin`` path, for code that imports the command line from there."""
