"""The core's own datasets, registered through the same hook as any plugin's."""
from zoo.hookspecs import hookimpl
from zoo.records import DatasetRecord

DATASETS = (
    ("digits", "zoo.data.digits:Digits",
     "scikit-learn's 1,797 labelled 8x8 digits at 8/16/32/64 px in [-1, 1], with measured attributes"),
    ("photos-sr", "zoo.data.photos_sr:PhotosSR",
     "crops of scikit-image's shipped photographs with bicubic x2/x4 low-resolution pairs, split by photograph"),
    ("photos-inpaint", "zoo.data.inpainting:PhotosInpaint",
     "photograph crops with rectangular or free-form holes (mask 1 = hole) and the masked images"),
    ("digits-inpaint", "zoo.data.inpainting:DigitsInpaint",
     "the digits with rectangular or free-form holes (mask 1 = hole) and the masked images"),
    ("voxels", "zoo.data.voxels:Voxels",
     "procedural 3-D primitives, randomly rotated and sized, as labelled 32^3/64^3 occupancy grids"),
    ("voxel-views", "zoo.data.voxel_views:VoxelViews",
     "the voxels primitives with a shaded isometric picture of each (64 px grey in [-1, 1]), for 3D-VAE-GAN"),
    ("layouts", "zoo.data.layouts:Layouts",
     "procedural outdoor scenes: semantic label maps (one-hot too) paired with textured renderings"),
    ("captions", "zoo.data.captions:Captions",
     "the digits with templated captions from their attributes and a bag-of-words text embedding"),
    ("folder", "zoo.data.folder:Folder",
     "your own images (ImageFolder or flat) or .npy voxel grids from root=PATH or $GENZOO_FOLDER_ROOT"),
)


@hookimpl
def register_datasets(register):
    for name, builder, description in DATASETS:
        register(DatasetRecord(name=name, builder=builder, description=description))
