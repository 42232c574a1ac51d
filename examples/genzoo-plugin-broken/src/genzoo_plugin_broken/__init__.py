"""Two plugins that fail in the two ways a plugin can: at import, and while registering."""
