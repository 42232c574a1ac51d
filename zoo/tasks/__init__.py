"""Task mixins: the methods a loaded model has (`generate`, `encode`, ...), composed into its class from
the tasks its architecture names (zoo.model.model_class)."""
from zoo.tasks.generate import GenerateTask
from zoo.tasks.latent import EditTask, EncodeTask, InterpolateTask, ReconstructTask, lerp, slerp

TASK_MIXINS = {
    "generate": GenerateTask,
    "encode": EncodeTask,
    "reconstruct": ReconstructTask,
    "interpolate": InterpolateTask,
    "edit": EditTask,
}

__all__ = ["TASK_MIXINS", "GenerateTask", "EncodeTask", "ReconstructTask", "InterpolateTask", "EditTask", "lerp", "slerp"]
