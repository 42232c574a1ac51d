"""Datasets that need no download, and batch iteration over them."""
