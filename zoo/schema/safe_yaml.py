"""A YAML loader for registry files: safe tags only, no anchors or aliases, no duplicate keys.

registry.yaml needs no anchors; refusing them removes alias bombs (a few hundred bytes that expand to
gigabytes when a reader walks them). PyYAML keeps the last of two equal keys silently; here that is an
error naming the key and its line.
"""
from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError


class StrictSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses anchors, aliases and duplicate mapping keys."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ConstructorError(None, None, "YAML anchors and aliases (&name, *name) are not allowed here",
                                   event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise ConstructorError(None, None, "YAML merge keys (<<) are not allowed here",
                                           key_node.start_mark)
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:  # a list or mapping as a key: the base class words this error
                    continue
                if duplicate:
                    raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_strict_yaml(text: str) -> Any:
    """Parse `text` with StrictSafeLoader (raises yaml.YAMLError on anything refused)."""
    loader = StrictSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
