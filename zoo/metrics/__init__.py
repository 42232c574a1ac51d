"""Quality metrics: FID, Inception Score, KID, precision/recall, PSNR/SSIM, and the networks they use.

frechet.py (FID, streaming statistics), inception_score.py, kid.py, precision_recall.py, psnr_ssim.py;
inception.py (the 2015 FID Inception graph), extractor_weights.py (its pinned weight file), resize.py,
extractors.py (the FeatureExtractor protocol, get_extractor), digits_judge.py; streaming.py (batched,
sharded extraction), cache.py (reference features on disk), distributed.py (torchrun gathering),
set_metrics.py + hooks.py (the registered metrics), eval.py (`zoo eval`). See docs/metrics.md.
Importing this package imports nothing heavy.
"""
