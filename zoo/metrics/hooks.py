"""The core's quality metrics, registered through the same hook as any plugin's."""
from zoo.hookspecs import hookimpl
from zoo.records import MetricRecord


@hookimpl
def register_metrics(register):
    register(MetricRecord(
        name="fid", builder="zoo.metrics.set_metrics:fid",
        description="Fréchet distance between Gaussians fitted to features (Heusel et al. 2017)"))
    register(MetricRecord(
        name="is", builder="zoo.metrics.set_metrics:inception_score_of", higher_is_better=True,
        description="Inception Score, 10 splits, from the extractor's logits (Salimans et al. 2016)"))
    register(MetricRecord(
        name="kid", builder="zoo.metrics.set_metrics:kid",
        description="Kernel Inception Distance: unbiased MMD², cubic kernel, 100 subsets (Bińkowski et al. 2018)"))
    register(MetricRecord(
        name="pr", builder="zoo.metrics.set_metrics:precision_recall_of", higher_is_better=True,
        description="improved precision and recall, k = 3 (Kynkäänniemi et al. 2019)"))
    register(MetricRecord(
        name="psnr", builder="zoo.metrics.psnr_ssim:psnr", higher_is_better=True,
        description="PSNR on the Y channel with border crop, for paired (super-resolution) images"))
    register(MetricRecord(
        name="ssim", builder="zoo.metrics.psnr_ssim:ssim", higher_is_better=True,
        description="SSIM (Wang et al. 2004) on the Y channel with border crop, for paired images"))
