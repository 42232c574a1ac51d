"""Pretrained feature networks for perceptual losses and metrics: `load_feature_network(name)`.

    vgg19          torchvision's VGG19 trunk (perceptual losses: SRGAN, ESRGAN, ...), ImageNet normalization
    vgg16, alexnet torchvision's trunks (LPIPS backbones)
    lpips-vgg      LPIPS v0.1 on VGG16;   lpips-alex  LPIPS v0.1 on AlexNet

Weights are the authors' files, fetched and pinned like official weight sets (zoo.features.weights),
or the files that environment variables such as GENZOO_VGG19_WEIGHTS point at.
"""
from zoo.features.weights import FEATURE_FILES, feature_file, load_feature_network

__all__ = ["FEATURE_FILES", "feature_file", "load_feature_network"]
