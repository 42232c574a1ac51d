"""Training, one job a module: the Trainer (trainer), `zoo train` end to end (recipe), EMA, checkpoints,
random-state capture (rng), precision, distributed runs, run monitoring and stopping on a signal.

Nothing here knows any paper: an Objective (zoo.interfaces.training) says what to update and how.
"""
