"""Task mixins: the methods a loaded model has (`generate`, `encode`, `upscale`, ...), composed into its
class from the tasks its architecture names (zoo.model.model_class). A plugin may name its own mixin
as "package.module:MixinClass" instead of a built-in task (docs/plugins.md)."""
from zoo.tasks.generate import GenerateTask
from zoo.tasks.inpaint import InpaintTask
from zoo.tasks.latent import (
    EditTask,
    EncodeTask,
    InterpolateTask,
    ReconstructTask,
    lerp,
    slerp,
)
from zoo.tasks.project import ProjectTask
from zoo.tasks.styles import MixStylesTask
from zoo.tasks.synthesize import SynthesizeTask
from zoo.tasks.translate import TranslateTask
from zoo.tasks.upscale import UpscaleTask

TASK_MIXINS = {
    "generate": GenerateTask,
    "encode": EncodeTask,
    "reconstruct": ReconstructTask,
    "interpolate": InterpolateTask,
    "edit": EditTask,
    "upscale": UpscaleTask,
    "inpaint": InpaintTask,
    "synthesize": SynthesizeTask,
    "translate": TranslateTask,
    "mix_styles": MixStylesTask,
    "project": ProjectTask,
}

# methods a model lacks when its architecture does not name their task (a clear error, not a bare AttributeError)
TASK_METHODS = frozenset({"generate", "iter_generate", "generate_to", "encode", "reconstruct", "interpolate",
                          "edit", "attribute_vector", "upscale", "inpaint", "synthesize", "translate",
                          "mix_styles", "seed_ws", "project"})

__all__ = [
    "TASK_METHODS",
    "TASK_MIXINS",
    "EditTask",
    "EncodeTask",
    "GenerateTask",
    "InpaintTask",
    "InterpolateTask",
    "MixStylesTask",
    "ProjectTask",
    "ReconstructTask",
    "SynthesizeTask",
    "TranslateTask",
    "UpscaleTask",
    "lerp",
    "slerp",
]
