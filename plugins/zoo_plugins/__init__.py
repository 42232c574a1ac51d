"""genzoo's built-in paper plugins, installed as the `zoo_plugins` package."""
