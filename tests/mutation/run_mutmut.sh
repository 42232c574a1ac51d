#!/usr/bin/env bash
# Mutation-test one paper's losses, objectives and networks with mutmut 3 (docs/testing.md).
#
#   tests/mutation/run_mutmut.sh PAPER [SOURCE_TREE] [SCRATCH]
#
# PAPER is gan | dcgan | vae | cvae | aae | vaegan | cgan | icgan | infogan | sagan | biggan | pggan_inpaint | gan3d | sr | semantic | text | text-core | pix2pix | cyclegan | stylegan2 | progan | stylegan | core (zoo/losses.py and zoo/objectives.py against
# tests/test_losses.py and the six papers' tests). SOURCE_TREE (default: this checkout) is copied to SCRATCH (default
# /tmp/genzoo-mutmut/PAPER) with plugins/zoo_plugins moved to the top level: mutmut names a mutant
# after its file's path and compares that name with the function's __module__, so the file must sit
# where its import name says (zoo_plugins/gan/networks.py, not plugins/zoo_plugins/...). mutmut
# writes only inside SCRATCH (its mutants/ folder), never in the checkout.
set -euo pipefail
paper=${1:?usage: run_mutmut.sh PAPER [SOURCE_TREE] [SCRATCH]}
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
scratch=${3:-/tmp/genzoo-mutmut/$paper}

case $paper in
  gan|dcgan|vae|cvae) files="\"zoo_plugins/$paper/networks.py\""; tests="\"tests/test_$paper.py\"" ;;
  aae) files='"zoo_plugins/aae/networks.py", "zoo_plugins/aae/objective.py", "zoo_plugins/aae/priors.py"'
       tests='"tests/test_aae.py"' ;;
  vaegan) files='"zoo_plugins/vaegan/networks.py", "zoo_plugins/vaegan/objective.py"'; tests='"tests/test_vaegan.py"' ;;
  cgan) files='"zoo/nn/conditional_dcgan.py"'; tests='"tests/test_cgan.py"' ;;
  icgan) files='"zoo_plugins/icgan/networks.py", "zoo_plugins/icgan/objective.py", "zoo_plugins/icgan/tasks.py"'
         tests='"tests/test_icgan.py"' ;;
  infogan) files='"zoo_plugins/infogan/networks.py", "zoo_plugins/infogan/objective.py", "zoo_plugins/infogan/traverse.py", "zoo_plugins/infogan/codes.py"'
           tests='"tests/test_infogan.py"' ;;
  sagan) files='"zoo_plugins/sagan/networks.py", "zoo/nn/spectral.py", "zoo/nn/attention.py", "zoo/nn/conditional_norm.py"'
         tests='"tests/test_sagan.py", "tests/test_nn_blocks.py"' ;;
  biggan) files='"zoo_plugins/biggan/networks.py", "zoo_plugins/biggan/norms.py", "zoo_plugins/biggan/objective.py", "zoo_plugins/biggan/tasks.py", "zoo_plugins/biggan/convert.py", "zoo_plugins/biggan/fast_eval.py"'
          tests='"tests/test_biggan.py", "tests/test_biggan_convert.py"' ;;
  pggan_inpaint) files='"zoo_plugins/pggan_inpaint/networks.py", "zoo_plugins/pggan_inpaint/objective.py"'
                 tests='"tests/test_pggan_inpaint.py"' ;;
  gan3d) files='"zoo_plugins/gan3d/networks.py", "zoo_plugins/gan3d/objective.py", "zoo_plugins/gan3d/convert.py", "zoo_plugins/gan3d/tasks.py", "zoo/voxel_render.py", "zoo/metrics/voxel_scores.py"'
         tests='"tests/test_gan3d.py", "tests/test_voxel_render.py"' ;;
  semantic) files='"zoo_plugins/spade/networks.py", "zoo_plugins/spade/objective.py", "zoo_plugins/spade/converters.py", "zoo_plugins/pix2pixhd/networks.py", "zoo_plugins/pix2pixhd/objective.py", "zoo_plugins/pix2pixhd/converters.py", "zoo/synthesis_objective.py", "zoo/tasks/synthesize.py", "zoo/metrics/synthesis_scores.py"'
            tests='"tests/test_spade.py", "tests/test_pix2pixhd.py", "tests/test_semantic_synthesis_convert.py", "tests/test_layouts_segmenter.py"' ;;
  text) files='"zoo_plugins/ganintcls/networks.py", "zoo_plugins/ganintcls/objective.py", "zoo_plugins/stackgan/networks.py", "zoo_plugins/stackgan/objective.py", "zoo_plugins/stackgan/convert.py", "zoo_plugins/ganintcls/convert_text.py", "zoo_plugins/ganintcls/convert_t7.py", "zoo/text/char_cnn_rnn.py", "zoo/text/joint_embedding.py", "zoo/text/pairs.py", "zoo/tasks/text.py"'
        tests='"tests/test_ganintcls.py", "tests/test_stackgan.py", "tests/test_stackgan_convert.py", "tests/test_ganintcls_convert.py", "tests/test_text_encoder.py", "tests/test_text_task.py"' ;;
  text-core) files='"zoo_plugins/ganintcls/networks.py", "zoo_plugins/ganintcls/objective.py", "zoo_plugins/stackgan/networks.py", "zoo_plugins/stackgan/objective.py", "zoo/text/char_cnn_rnn.py", "zoo/text/joint_embedding.py", "zoo/text/pairs.py"'
             tests='"tests/test_ganintcls.py", "tests/test_stackgan.py", "tests/test_stackgan_convert.py", "tests/test_text_encoder.py"' ;;  # text without the converters and the task (a shorter run)
  pix2pix) files='"zoo_plugins/pix2pix/networks.py", "zoo_plugins/pix2pix/objective.py", "zoo_plugins/pix2pix/pairs.py", "zoo_plugins/pix2pix/converters.py", "zoo/tasks/translate.py"'
           tests='"tests/test_pix2pix.py", "tests/test_translate_official.py", "tests/test_translate_task.py"' ;;
  cyclegan) files='"zoo_plugins/cyclegan/networks.py", "zoo_plugins/cyclegan/objective.py", "zoo_plugins/cyclegan/pool.py", "zoo_plugins/cyclegan/seasons.py", "zoo_plugins/cyclegan/converters.py"'
            tests='"tests/test_cyclegan.py", "tests/test_translate_official.py"' ;;
  sr) files='"zoo_plugins/srgan/networks.py", "zoo_plugins/srgan/objective.py", "zoo_plugins/srgan/adversarial.py", "zoo_plugins/srgan/convert.py", "zoo_plugins/esrgan/networks.py", "zoo_plugins/esrgan/objective.py", "zoo_plugins/esrgan/discriminator.py", "zoo_plugins/esrgan/convert.py", "zoo_plugins/esrgan/interpolation.py"'
      tests='"tests/test_srgan.py", "tests/test_esrgan.py", "tests/test_esrgan_convert.py"' ;;
  stylegan2) files='"zoo_plugins/stylegan2/networks.py", "zoo_plugins/stylegan2/objective.py", "zoo_plugins/stylegan2/ada.py", "zoo_plugins/stylegan2/convert.py", "zoo/nn/equalized.py", "zoo/nn/fir.py", "zoo/nn/modulated_conv.py"'
             tests='"tests/test_stylegan2.py", "tests/test_style_blocks.py", "tests/test_stylegan2_convert.py", "tests/test_stylegan2_ada.py"' ;;
  progan) files='"zoo_plugins/progan/networks.py", "zoo_plugins/progan/objective.py", "zoo_plugins/progan/convert.py", "zoo/nn/progressive.py"'
          tests='"tests/test_progan.py", "tests/test_progan_convert.py"' ;;
  stylegan) files='"zoo_plugins/stylegan/networks.py", "zoo_plugins/stylegan/objective.py", "zoo_plugins/stylegan/convert.py", "zoo/nn/adain.py"'
            tests='"tests/test_stylegan.py", "tests/test_stylegan_convert.py"' ;;
  core) files='"zoo/losses.py", "zoo/objectives.py"'
        tests='"tests/test_losses.py", "tests/test_gan.py", "tests/test_dcgan.py", "tests/test_vae.py", "tests/test_cvae.py", "tests/test_aae.py", "tests/test_vaegan.py", "tests/test_cgan.py"' ;;
  *) echo "run_mutmut.sh: unknown paper '$paper'" >&2; exit 2 ;;
esac

rm -rf "$scratch" && mkdir -p "$scratch"
cp -r "$src/zoo" "$src/tests" "$src/registry.yaml" "$scratch/"
cp -r "$src/plugins/zoo_plugins" "$scratch/zoo_plugins"
find "$scratch" -name __pycache__ -prune -exec rm -rf {} +
# the checkout's [tool.mutmut] table with this paper's files and test files
python - "$src/pyproject.toml" "$scratch/pyproject.toml" "$files" "$tests" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for key, value in (("only_mutate", sys.argv[3]), ("pytest_add_cli_args_test_selection", sys.argv[4])):
    text, n = re.subn(rf"^{key} = \[.*\]$", f"{key} = [{value}]", text, flags=re.M)
    assert n == 1, f"pyproject.toml needs exactly one single-line {key} in [tool.mutmut]"
open(sys.argv[2], "w").write(text)
PY
cd "$scratch"
# the scratch copy's own modules, not the checkout's or the venv's editable /work/main
export PYTHONPATH= OMP_NUM_THREADS=1
# MUTMUT_CHILDREN=2 uses both cores when nothing else runs (one thread per child either way)
nice -n 10 mutmut run --max-children "${MUTMUT_CHILDREN:-1}" > mutmut-run.log 2>&1 || { tail -30 mutmut-run.log; exit 1; }
mutmut export-cicd-stats > /dev/null
python - <<'PY'
import json
s = json.load(open("mutants/mutmut-cicd-stats.json"))
tested = s["total"] - s.get("skipped", 0)
print(json.dumps(s), f"score={(s['killed'] + s.get('timeout', 0)) / max(tested, 1):.3f}")
PY
mutmut results > survivors.txt || true
echo "survivors: $scratch/survivors.txt ($(wc -l < survivors.txt))"
