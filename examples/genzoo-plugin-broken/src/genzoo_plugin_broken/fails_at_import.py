"""A plugin whose import fails, as one with a missing dependency or a syntax slip would."""
raise ImportError("genzoo_plugin_broken needs the package 'not-installed-anywhere' (broken on purpose)")
