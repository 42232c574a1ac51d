"""Schemas of the files genzoo reads from users and the Hub: registry.yaml (its entries and the YAML
itself) and a weight set's config.json. Each module turns a malformed file into one ZooError line that
names the file, the entry and the field. Nothing here imports torch.
"""

# the config.json format this genzoo writes (zoo.schema.config_file reads it and every older one)
FORMAT_VERSION = 2
