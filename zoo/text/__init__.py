"""Text encoders for text-conditioned generators: captions in, fixed-size embeddings out.

- `bag_of_words`: a hashed random-projection bag of words (no parameters), the baseline.
- `char_cnn_rnn`: Reed et al.'s char-CNN-RNN (arXiv:1605.05395), small, trained here with the deep
  structured joint embedding loss (`joint_embedding`) on the `captions` data set and shipped
  (`pretrained`; made by `python -m zoo.training.train_text_encoder`).
Shared by the `ganintcls` and `stackgan` plugins (plugins never import each other), by the `captions`
data set and by the text-to-image task. Importing this package imports no torch.
"""
