"""The trainer's parts, one job each: EMA, checkpoints, precision, distributed runs, run monitoring.

`zoo.train.Trainer` puts them together; nothing here knows any paper.
"""
