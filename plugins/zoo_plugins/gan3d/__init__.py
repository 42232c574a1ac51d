"""3D-GAN and 3D-VAE-GAN: Wu, Zhang, Xue, Freeman, Tenenbaum 2016, "Learning a Probabilistic Latent
Space of Object Shapes via 3D Generative-Adversarial Modeling" (NeurIPS 2016, arXiv:1610.07584).

Registration only (no torch import): networks in .networks, the adaptive training rule in .objective,
the converter of the authors' Lua Torch generators in .convert, shape arithmetic in .tasks.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Learning a Probabilistic Latent Space of Object Shapes via 3D Generative-Adversarial "
                    "Modeling", authors="Wu, Zhang, Xue, Freeman, Tenenbaum", year=2016, arxiv="1610.07584")

# Sec. 4: z ∈ R²⁰⁰, 64³ voxels, G widths 512-256-128-64, Adam lr_G 0.0025, lr_D 1e-5, β1 0.5, batch 100,
# D updated only when its accuracy on the last batch is below 80 %.
GAN_CONFIG = {"latent_dim": 200, "resolution": 64, "g_width": 64, "d_width": 64, "latent_prior": "uniform",
              "g_lr": 0.0025, "d_lr": 1e-5, "beta1": 0.5, "beta2": 0.999, "d_threshold": 0.8,
              # not the paper's: instance noise on D's inputs (std, linearly to 0 at the step), 0 = off
              "instance_noise": 0.0, "instance_noise_steps": 0}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="gan3d",
        paper=PAPER,
        description="volumetric GAN: 200-d z, 3-D transposed convolutions to a sigmoid occupancy grid; "
                    "D updated only while its accuracy is below 80 %",
        components={"generator": "zoo_plugins.gan3d.networks:VoxelGenerator",
                    "discriminator": "zoo_plugins.gan3d.networks:VoxelDiscriminator"},
        default_config=dict(GAN_CONFIG),
        test_config={"resolution": 8, "g_width": 4, "d_width": 4, "latent_dim": 8},
        tasks=("generate", "interpolate", "zoo_plugins.gan3d.tasks:ShapeArithmeticTask"),
        objective="gan3d",
    ))
    register(Architecture(
        name="gan3d-vae",
        paper=PAPER,
        description="3D-VAE-GAN: an image encoder gives a Gaussian z that the 3D-GAN generator decodes "
                    "into the voxels of the object in the image",
        components={"encoder": "zoo_plugins.gan3d.networks:ImageEncoder",
                    "generator": "zoo_plugins.gan3d.networks:VoxelGenerator",
                    "discriminator": "zoo_plugins.gan3d.networks:VoxelDiscriminator"},
        # Sec. 3.2: alpha1 = 5 (KL), alpha2 = 1e-4 (reconstruction); the prior of z is N(0, I).
        default_config={**GAN_CONFIG, "latent_prior": "normal", "image_size": 64, "image_channels": 1,
                        "e_width": 64, "e_lr": None, "alpha1": 5.0, "alpha2": 1e-4},
        test_config={"resolution": 8, "g_width": 4, "d_width": 4, "e_width": 4, "latent_dim": 8,
                     "image_size": 8},
        tasks=("generate", "encode", "reconstruct", "interpolate", "zoo_plugins.gan3d.tasks:ShapeArithmeticTask"),
        objective="gan3d-vae",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="gan3d", builder="zoo_plugins.gan3d.objective:Gan3DObjective",
        description="Wu 2016: BCE game, Adam(lr_G 0.0025, lr_D 1e-5, beta1 0.5); the D phase runs only "
                    "while D's accuracy on the last batch is below 80 %"))
    register(ObjectiveRecord(
        name="gan3d-vae", builder="zoo_plugins.gan3d.objective:Gan3DVAEObjective",
        description="Wu 2016 Sec. 3.2: 3D-GAN's game + alpha1*KL(q(z|image)||N(0,I)) + alpha2*||G(E(image)) - x||^2"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="3dgan-t7", architecture="gan3d", format="3dgan-t7", builder="zoo_plugins.gan3d.convert:convert",
        description="the authors' Lua Torch 3D-GAN generators (3dgan-release: car, chair, desk, gun, sofa "
                    "*_G_cpu.t7): nn.Sequential of VolumetricFullConvolution/BatchNormalization/ReLU/Sigmoid"))
