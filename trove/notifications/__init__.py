"""In-app notifications, e-mailed too when asked."""
