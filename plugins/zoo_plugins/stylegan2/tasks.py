"""Interpolation in W: the shared zoo.tasks.styles.WInterpolateTask (kept under this name for the
architecture's task list and existing imports)."""
from zoo.tasks.styles import WInterpolateTask


class StyleGAN2Tasks(WInterpolateTask):
    pass
