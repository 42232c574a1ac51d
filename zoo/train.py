"""Kept so that `from zoo.train import Trainer, train_architecture` (the names before zoo/training/ held
them) keeps working; the code lives in zoo.training.trainer and zoo.training.recipe."""
from zoo.training.recipe import train_architecture
from zoo.training.trainer import Trainer

__all__ = ["Trainer", "train_architecture"]
