"""Site-wide pages: the home page and health check."""
