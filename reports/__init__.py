"""Reports and alert emails."""
