"""The pip-installed reference implementations of the SR networks, for the converter tests.

basicsr 1.4.2 imports `torchvision.transforms.functional_tensor`, a module torchvision removed (0.17);
its only use there is `rgb_to_grayscale`, which torchvision.transforms.functional still has. The stand-in
is installed here, in the tests, before basicsr is imported — never in zoo.
"""
from __future__ import annotations

import sys
import types

import pytest


def basicsr_archs():
    """(RRDBNet, SRVGGNetCompact, MSRResNet) of basicsr, or skip when basicsr is not installed."""
    pytest.importorskip("torchvision")
    name = "torchvision.transforms.functional_tensor"
    if name not in sys.modules:
        try:
            __import__(name)
        except ImportError:
            import torchvision.transforms.functional as functional

            stand_in = types.ModuleType(name)
            stand_in.rgb_to_grayscale = functional.rgb_to_grayscale
            sys.modules[name] = stand_in
    pytest.importorskip("basicsr")
    from basicsr.archs.rrdbnet_arch import RRDBNet
    from basicsr.archs.srresnet_arch import MSRResNet
    from basicsr.archs.srvgg_arch import SRVGGNetCompact

    return RRDBNet, SRVGGNetCompact, MSRResNet


def spandrel_model(state: dict):
    """spandrel's model for a state dict (its own layout detection), in eval mode."""
    spandrel = pytest.importorskip("spandrel")
    return spandrel.ModelLoader().load_from_state_dict(state).model.eval()
