"""genzoo: a plugin-based zoo of deep generative models for vision.

    import zoo
    model = zoo.load("dcgan.digits-32")
    images = model.generate(16, seed=0)

Importing zoo is cheap: torch and the plugins load on first use.
"""
__version__ = "0.1.0"


def load(name, **kwargs):
    """Load a pretrained model by name (see zoo.api.load)."""
    from zoo.api import load as _load

    return _load(name, **kwargs)


def create(architecture, **kwargs):
    """Build an untrained model (see zoo.api.create)."""
    from zoo.api import create as _create

    return _create(architecture, **kwargs)


def list_models(pattern=None, *, pretrained=False):
    """Names of registered architectures, or of weight sets with pretrained=True."""
    from zoo.api import list_models as _list

    return _list(pattern, pretrained=pretrained)


__all__ = ["load", "create", "list_models", "__version__"]
