"""Quality metrics: Fréchet distances, Inception Score, KID, precision/recall, PSNR/SSIM, digits judge."""
