"""`zoo convert FILE --format F -o DIR`: an official checkpoint on disk into a folder `local-dir:DIR` loads."""
from __future__ import annotations

from pathlib import Path

from zoo.errors import UnknownNameError, WeightsNotFoundError, ZooError

SINGLE_FILE_KEY = "checkpoint"  # the key a one-file official source uses in source.files


def add_convert_command(sub) -> None:
    p = sub.add_parser("convert", help="convert an official checkpoint file into a genzoo folder (local-dir:)")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help=f"the official file (passed to the converter as {SINGLE_FILE_KEY!r}), or KEY=FILE "
                        f"for each file of a converter that reads several")
    p.add_argument("-f", "--format", help="the checkpoint format (see --list)")
    p.add_argument("-o", "--output", metavar="DIR", help="folder to write config.json + safetensors into")
    p.add_argument("--list", action="store_true", help="list the formats the installed converters read")
    p.set_defaults(func=cmd_convert)


def cmd_convert(args) -> int:
    from zoo import registry

    by_format = {}
    for conv in registry.catalog().by_kind["converter"].values():
        by_format.setdefault(conv.format or conv.name, conv)
    if args.list:
        for fmt, conv in sorted(by_format.items()):
            print(f"{fmt:<28} {conv.architecture:<14} {conv.description}")
        return 0
    if not (args.files and args.format and args.output):
        raise ZooError("convert needs FILE, --format F and -o DIR (or --list to see the formats)")
    if args.format not in by_format:
        raise UnknownNameError("format", args.format, by_format)
    converter = by_format[args.format]
    paths = _paths(args.files)
    from zoo.hub.checksums import sha256_of
    from zoo.hub.official import convert_files, write_converted

    digests = {key: sha256_of(path) for key, path in paths.items()}
    config, states = convert_files(converter, paths)
    provenance = {"converter": converter.name, "format": args.format,
                  **{f"file {key}": f"{path.name} sha256 {digests[key]}" for key, path in paths.items()}}
    out = write_converted(Path(args.output), converter, config, states, provenance)
    for key, path in paths.items():
        print(f"{path}: sha256 {digests[key]}")
    print(f"wrote {out}; load it with zoo.load('local-dir:{out}')")
    return 0


def _paths(files: list[str]) -> dict[str, Path]:
    if len(files) == 1 and "=" not in files[0]:
        pairs = [(SINGLE_FILE_KEY, files[0])]
    else:
        pairs = [tuple(item.split("=", 1)) if "=" in item else (None, item) for item in files]
        bare = [p for k, p in pairs if k is None]
        if bare:
            raise ZooError(f"with several files, name each one as KEY=FILE (got {bare[0]!r})")
    paths = {key: Path(value).expanduser() for key, value in pairs}
    for path in paths.values():
        if not path.is_file():
            raise WeightsNotFoundError(f"{path}: no such file")
    return paths
