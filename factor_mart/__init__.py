"""Factor Mart's shared core: settings, warehouse access and the command line."""
