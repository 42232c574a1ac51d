"""The bag-of-words text encoder, moved to zoo.text.bag_of_words (the text encoders live in zoo.text, a
layer below the datasets, so that tasks can embed a caption too); kept here under its old import path."""
from zoo.text.bag_of_words import STOP_WORDS, BagOfWordsEncoder, content_words

__all__ = ["STOP_WORDS", "BagOfWordsEncoder", "content_words"]
